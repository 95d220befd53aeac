"""The ``ices_flatfile`` adapter plugin: ICES 1.5 CACHI01 / SACHI01 in, CHCAI02 acks out.

The reader and the acknowledgement writer are imported when first used (see the package)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from customs_engine.adapters.ices_flatfile import (
    ACK_FORMAT,
    FORMAT,
    GS,
    MESSAGE_IDS,
    SETTINGS,
    message_id,
)
from customs_engine.adapters.ices_flatfile.catalogue import RULES
from customs_engine.core.formats import ParsedMessage, ResponseFormat, WireFormat, narrowed
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.rules import Rule

if TYPE_CHECKING:
    from customs_engine.adapters.ices_flatfile.ack import AckWriter


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


def _message_id(head: bytes) -> str | None:
    """Position 9 of the HREC header when it is CACHI01, CACHI01_A or SACHI01 (in a file saved
    as UTF-16 or UTF-32 too, which the reader then refuses for its encoding)."""
    text = narrowed(head).removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not text.startswith(b"HREC"):
        return None
    first = text.split(b"\n", 1)[0].rstrip(b"\r").decode("ascii", errors="replace")
    fields = first.split(GS)
    return message_id(fields[8]) if len(fields) > 8 else None


def detect(head: bytes, name: str) -> bool:
    """An HREC header whose position 9 is CACHI01, CACHI01_A or SACHI01."""
    return _message_id(head) is not None


@hookimpl
def customs_message_kind(format: str, head: bytes) -> str | None:
    if format != FORMAT:
        return None
    code = _message_id(head)
    if code is None:
        return None
    return "manifest" if MESSAGE_IDS[code] == "sachi01" else "bill_of_entry"


def read(data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]) -> list[ParsedMessage]:
    from customs_engine.adapters.ices_flatfile import reader

    return reader.read(data, source, config)


def ack_writer(stream: BinaryIO) -> AckWriter:
    from customs_engine.adapters.ices_flatfile import ack

    return ack.AckWriter(stream)


@hookimpl
def customs_wire_formats() -> list[WireFormat]:
    return [
        WireFormat(
            name=FORMAT,
            title="an ICES 1.5 flat file",
            detect=detect,
            read=read,
            settings=SETTINGS,
        )
    ]


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [
        ResponseFormat(name=ACK_FORMAT, title="ICES CHCAI02 acknowledgements", writer=ack_writer)
    ]
