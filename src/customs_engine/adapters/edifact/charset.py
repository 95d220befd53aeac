"""The character repertoire an interchange we write declares, and bytes that match it.

ISO 9735 names the repertoire in the UNB syntax identifier (S001): ``UNOC`` is ISO/IEC 8859-1
(Latin alphabet No. 1), the repertoire most EDI partners take; ``UNOW`` is ISO/IEC 10646 in
UTF-8, from syntax version 4. A converted message is written in UNOC when all its text fits,
else in UNOW (nothing of the declaration is lost); a CUSRES response is always UNOC, its own
wording spelled in Latin-1 and control characters escaped (the JSON response keeps the text as
it is).
"""

from __future__ import annotations

import re

#: ISO/IEC 8859-1, syntax version 3
LATIN_1 = ["UNOC", "3"]
#: ISO/IEC 10646 in UTF-8, syntax version 4
UTF_8 = ["UNOW", "4"]

#: typography of our own wording, spelled in Latin-1
_SPELLED = str.maketrans(
    {
        "…": "...",
        "—": "-",
        "–": "-",
        "−": "-",
        "→": "->",
        "↔": "<->",
        "×": "x",
        "≥": ">=",
        "≤": "<=",
        "₹": "INR ",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
    }
)


#: what UNOC cannot carry as data although ISO 8859-1 codes it: the C0 controls (NUL, tab, line
#: feed, ESC …), DEL and the C1 controls — UNOC's repertoire is 8859-1's graphic characters
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def in_latin_1(text: str) -> str:
    """``text`` with only ISO 8859-1 graphic characters: a control character written as a
    Python escape (``\\n``, ``\\x1b``, as the text writer writes it; the XML and JUnit
    writers write ``\\x1b`` too), typography spelled out, anything else ``?``."""
    if text.isascii() and text.isprintable():
        return text
    text = _CONTROLS.sub(lambda found: repr(found.group())[1:-1], text)
    if text.isascii():
        return text
    return text.translate(_SPELLED).encode("latin-1", "replace").decode("latin-1")


def encoded(text: str) -> tuple[list[str], bytes]:
    """The syntax identifier that fits ``text`` and the text encoded in it: UNOC when every
    character is Latin-1, else UNOW (UTF-8) — also when the Latin-1 bytes would read as UTF-8
    (``Ã©``), since readers commonly take UTF-8 first whatever is declared."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return UTF_8, text.encode("utf-8")
    if not data.isascii() and _reads_as_utf_8(data):
        return UTF_8, text.encode("utf-8")
    return LATIN_1, data


def _reads_as_utf_8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
