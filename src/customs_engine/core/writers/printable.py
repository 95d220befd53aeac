"""Untrusted text made safe for a terminal, a line-oriented report, a CSV file or an XML
document."""

from __future__ import annotations

import re

#: what XML 1.0 cannot carry: C0 controls but tab, line feed and carriage return; surrogates;
#: the noncharacters U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` with every non-printable character written as a Python escape (``\\n``,
    ``\\x1b``, ``\\u202e``), so a file or member name cannot start a fake line or recolour the
    screen. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


#: what a quoted CSV cell carries as it is, printable or not
_CSV_KEPT = frozenset("\t\n\r")


def csv_safe(text: str) -> str:
    """``text`` as :func:`printable` writes it, except tab, line feed and carriage return, which
    a quoted CSV cell carries: NUL, ESC, BEL or U+202E never reach a spreadsheet or a terminal
    that shows the file. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch in _CSV_KEPT else repr(ch)[1:-1] for ch in text)


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry written as a Python escape
    (``\\x01``, ``\\uffff``): a value quoted in a finding never stops an XML answer. Other
    text is unchanged."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(lambda found: repr(found.group())[1:-1], text)
