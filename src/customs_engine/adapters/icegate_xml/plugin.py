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
#: XML in UTF-16 or UTF-32, told by its byte-order mark or by its first ``<`` (XML 1.0 F.1);
#: longest first (UTF-32 LE's mark starts as UTF-16 LE's)
_WIDE = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


def _ascii_view(head: bytes) -> bytes:
    """The head as UTF-8 bytes (BOM dropped): a UTF-16 or UTF-32 head is decoded, so that a
    file is known as XML, and its root found, by content in every encoding the reader takes."""
    for mark, codec in _WIDE:
        if head.startswith(mark):
            text = head.decode(codec, errors="ignore")  # a cut last character is dropped
            return text.removeprefix("\ufeff").encode("utf-8", errors="ignore")
    return head.removeprefix(b"\xef\xbb\xbf")


def detect(head: bytes, name: str) -> bool:
    """Starts with ``<`` (after a BOM and blanks, in UTF-8, UTF-16 or UTF-32), or is named
    ``*.xml``."""
    return bool(_XML_START.match(_ascii_view(head))) or name.lower().endswith(".xml")


#: a start tag's name
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
#: what comes before the root and is no element: comments, processing instructions, DOCTYPE
_NOT_ELEMENTS = re.compile(rb"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|<!.*?(?:>|\Z)", re.DOTALL)
_KINDS = {b"ImportGeneralManifest": "manifest", b"BillOfEntry": "bill_of_entry"}


@hookimpl
def customs_message_kind(format: str, head: bytes) -> str | None:
    """The root element's local name; under a ``<Messages>`` wrapper, the first message's. A
    comment before it that mentions ``<BillOfEntry>`` is no element."""
    if format != FORMAT:
        return None
    for match in _FIRST_ELEMENT.finditer(_NOT_ELEMENTS.sub(b" ", _ascii_view(head))):
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
