"""The ``edifact`` adapter plugin: detection, parsing, writing and the CUSRES response writer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from customs_engine.adapters.edifact import cusres, reader, writer
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.parsing import ParsedMessage, ResponseWriter

FORMAT = reader.FORMAT
_START = re.compile(rb"^\s*UN[AB]")


@hookimpl
def customs_detect_format(head: bytes, name: str) -> str | None:
    return FORMAT if _START.match(head.removeprefix(b"\xef\xbb\xbf")) else None


#: the message type of the first UNH (``UNH+ref+CUSCAR:D:95B:UN'``), any service characters
_MESSAGE_TYPE = re.compile(rb"UNH.[^\x00-\x1f]{1,40}?.(CUSCAR|CUSDEC)\b")


@hookimpl
def customs_message_kind(format: str, head: bytes) -> str | None:
    if format != FORMAT:
        return None
    match = _MESSAGE_TYPE.search(head)
    if match is None:
        return None
    return "manifest" if match.group(1) == b"CUSCAR" else "bill_of_entry"


@hookimpl
def customs_parse(format: str, data: bytes, source: str) -> list[ParsedMessage] | None:
    if format != FORMAT:
        return None
    return reader.read(data, source)


@hookimpl
def customs_write_messages(
    messages: Sequence[BillOfEntry | ImportGeneralManifest], format: str
) -> bytes | None:
    if format != FORMAT:
        return None
    return writer.write_all(messages)


@hookimpl
def customs_output_formats() -> list[str]:
    return [cusres.FORMAT]


@hookimpl
def customs_response_writer(format: str, stream: BinaryIO) -> ResponseWriter | None:
    return cusres.CusresWriter(stream) if format == cusres.FORMAT else None
