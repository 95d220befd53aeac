"""The ``icegate_xml`` adapter plugin: detection, parsing and writing of the XML rendering."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from customs_engine.adapters.icegate_xml import reader, responses, writer
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.parsing import ParsedMessage, ResponseWriter

FORMAT = reader.FORMAT
_XML_START = re.compile(rb"^\s*<")


@hookimpl
def customs_detect_format(head: bytes, name: str) -> str | None:
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _XML_START.match(text) or name.lower().endswith(".xml"):
        return FORMAT
    return None


#: the first element that is not a comment, processing instruction or DOCTYPE
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_KINDS = {b"ImportGeneralManifest": "manifest", b"BillOfEntry": "bill_of_entry"}


@hookimpl
def customs_message_kind(format: str, head: bytes) -> str | None:
    """The root element's local name; under a ``<Messages>`` wrapper, the first message's."""
    if format != FORMAT:
        return None
    for match in _FIRST_ELEMENT.finditer(head):
        kind = _KINDS.get(match.group(1).rpartition(b":")[2])
        if kind is not None:
            return kind
    return None


@hookimpl
def customs_parse(format: str, data: bytes, source: str) -> list[ParsedMessage] | None:
    if format != FORMAT:
        return None
    return reader.read(data, source)


@hookimpl
def customs_write_messages(
    messages: Sequence[BillOfEntry | ImportGeneralManifest], format: str
) -> bytes | None:
    if format != "xml":
        return None
    return writer.write_all(messages)


@hookimpl
def customs_output_formats() -> list[str]:
    return ["xml"]


@hookimpl
def customs_response_writer(format: str, stream: BinaryIO) -> ResponseWriter | None:
    return responses.XmlResponseWriter(stream) if format == "xml" else None
