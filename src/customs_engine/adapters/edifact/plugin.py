"""The ``edifact`` adapter plugin: detection, parsing, writing and the CUSRES response writer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from customs_engine.adapters.edifact import cusres, reader, writer
from customs_engine.adapters.edifact.catalogue import RULES
from customs_engine.core.formats import ParsedMessage, ResponseFormat, WireFormat
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.ledger.run_view import RunView
from customs_engine.core.models import Function, ImportGeneralManifest
from customs_engine.core.rules import Rule

FORMAT = reader.FORMAT
#: an interchange (UNA/UNB), or a bare message stored without its envelope (UNH+)
_START = re.compile(rb"^\s*(UN[AB]|UNH\+)")


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


def detect(head: bytes, name: str) -> bool:
    """An interchange (``UNA`` or ``UNB`` first, after a BOM and blanks), or a bare ``UNH``
    message stored without its envelope."""
    return bool(_START.match(head.removeprefix(b"\xef\xbb\xbf")))


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


def read(
    data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]
) -> Iterator[ParsedMessage]:
    """The file's messages one at a time: a large interchange is never held parsed whole."""
    return reader.messages(data, source)


@hookimpl
def customs_wire_formats() -> list[WireFormat]:
    return [
        WireFormat(
            name=FORMAT, title="UN/EDIFACT", detect=detect, read=read, write=writer.write_all
        )
    ]


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [
        ResponseFormat(
            name=cusres.FORMAT, title="UN/EDIFACT CUSRES responses", writer=cusres.CusresWriter
        )
    ]


@hookimpl
def customs_resolve_message(parsed: ParsedMessage, run: RunView) -> ImportGeneralManifest | None:
    """A CUSCAR amendment of a manifest the run knows keeps that manifest's IGM date.

    CUSCAR gives a manifest one date, its filing time (``DTM+137``), which the reader takes as the
    IGM date; an amendment filed on a later day would re-date the IGM, and the Bills of Entry
    quoting its real date would no longer be noted against it. The IGM date is allotted with the
    IGM number and no amendment changes it, so the known document's date is kept (a cancellation
    is matched to its document by the engine)."""
    amendment = parsed.message
    if (
        parsed.format != FORMAT
        or not isinstance(amendment, ImportGeneralManifest)
        or amendment.function != Function.AMENDMENT
        or not amendment.igm_number
    ):
        return None
    for known in run.manifests_numbered(amendment.igm_number):
        if known.message_id == amendment.message_id and known.port_code == amendment.port_code:
            if known.igm_date is None or known.igm_date == amendment.igm_date:
                return None
            return amendment.model_copy(update={"igm_date": known.igm_date})
    return None
