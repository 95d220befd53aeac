"""The ``icegate_xml`` adapter plugin: the XML rendering read and written, and XML responses.

The reader, writer and response writer (and lxml with them) are imported when first used: a run
that meets no XML does not load them (about 4 MiB of memory)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

from customs_engine.adapters.icegate_xml import FORMAT
from customs_engine.core.formats import Messages, ParsedMessage, ResponseFormat, WireFormat
from customs_engine.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from customs_engine.adapters.icegate_xml.responses import XmlResponseWriter

_XML_START = re.compile(rb"^\s*<")


def detect(head: bytes, name: str) -> bool:
    """Starts with ``<`` (after a BOM and blanks), or is named ``*.xml``."""
    return bool(_XML_START.match(head.removeprefix(b"\xef\xbb\xbf"))) or (
        name.lower().endswith(".xml")
    )


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


def read(data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]) -> list[ParsedMessage]:
    from customs_engine.adapters.icegate_xml import reader

    return reader.read(data, source)


def write(messages: Messages) -> bytes:
    from customs_engine.adapters.icegate_xml import writer

    return writer.write_all(messages)


def response_writer(stream: BinaryIO) -> XmlResponseWriter:
    from customs_engine.adapters.icegate_xml import responses

    return responses.XmlResponseWriter(stream)


@hookimpl
def customs_wire_formats() -> list[WireFormat]:
    return [
        WireFormat(
            name=FORMAT,
            title="ICEGATE XML",
            detect=detect,
            read=read,
            write=write,
            convert_name="xml",
        )
    ]


@hookimpl
def customs_response_formats() -> list[ResponseFormat]:
    return [ResponseFormat(name="xml", title="ICEGATE-style XML responses", writer=response_writer)]
