"""The ``icegate_xml`` adapter plugin: detection, parsing and writing of the XML rendering."""

from __future__ import annotations

import re

from customs_engine.adapters.icegate_xml import reader, writer
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.parsing import ParsedMessage

FORMAT = reader.FORMAT
_XML_START = re.compile(rb"^\s*<")


@hookimpl
def customs_detect_format(head: bytes, name: str) -> str | None:
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _XML_START.match(text) or name.lower().endswith(".xml"):
        return FORMAT
    return None


@hookimpl
def customs_parse(format: str, data: bytes, source: str) -> list[ParsedMessage] | None:
    if format != FORMAT:
        return None
    return reader.read(data, source)


@hookimpl
def customs_write_message(
    message: BillOfEntry | ImportGeneralManifest, format: str
) -> bytes | None:
    if format != "xml":
        return None
    return writer.write(message)
