"""Untrusted text made safe for a terminal or a line-oriented report."""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with every non-printable character written as a Python escape (``\\n``,
    ``\\x1b``, ``\\u202e``), so a file or member name cannot start a fake line or recolour the
    screen. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
