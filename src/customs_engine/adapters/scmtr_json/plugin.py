"""The ``scmtr_json`` adapter plugin: SCMTR SACHM22 sea cargo declarations (JSON) in."""

from __future__ import annotations

import re

from customs_engine.adapters.scmtr_json import reader
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.parsing import ParsedMessage

FORMAT = reader.FORMAT
#: ``"messageID" : "SACHM2x"`` near the start of a JSON document (the header comes first)
_MESSAGE = re.compile(rb'"messageID"\s*:\s*"SACHM2[0-9]"')
_JSON_START = re.compile(rb"^\s*[\[{]")


@hookimpl
def customs_detect_format(head: bytes, name: str) -> str | None:
    """By content, never by file name: a JSON document whose header names SACHM22 (or its
    vessel sister SACHM23, which is then reported as not supported)."""
    text = head.removeprefix(b"\xef\xbb\xbf")
    if _JSON_START.match(text) and _MESSAGE.search(text):
        return FORMAT
    return None


@hookimpl
def customs_parse(format: str, data: bytes, source: str) -> list[ParsedMessage] | None:
    if format != FORMAT:
        return None
    return reader.read(data, source)
