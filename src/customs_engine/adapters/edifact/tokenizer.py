"""A fast EDIFACT segment splitter that yields pydifact ``Segment`` objects with their position.

pydifact's tokenizer walks the text one character at a time (≈0.5 MB/s). This one splits with
``str.split`` on the segment terminator, data separator and component separator, and only
re-joins pieces where a release character escaped the separator, so ordinary files never touch a
per-character loop. The segments it returns are identical to ``pydifact.parser.Parser().parse``
(same tag, same element model: a composite is a list only with ≥2 non-trailing components,
trailing empty components dropped, empty simple elements kept as ``''``) — a differential test
holds it to that. On top it records each segment's 1-based line and column, strips a UTF-8 BOM,
and accepts a UNA at the start of every interchange of a file (pydifact refuses a second UNA).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from pydifact.control import Characters
from pydifact.segments import Segment

BOM = "\ufeff"
#: pydifact skips these after a segment terminator (one-segment-per-line files).
_AFTER_TERMINATOR = " \r\n"


class EdifactSyntaxError(ValueError):
    """The text cannot be split into segments; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Tokens:
    """Segments of a file in order, with the position where each one starts."""

    segments: list[Segment] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    #: the characters in force for each segment (changes only at a UNA)
    characters: list[Characters] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Bytes → text: UTF-8 (BOM dropped) when it decodes, else ISO 8859-1 like pydifact."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso8859-1")
    return text.removeprefix(BOM)


class _Splitter:
    """Splits one stretch of text that shares a set of service characters."""

    def __init__(self, chars: Characters):
        self.chars = chars
        self.esc = chars.escape_character
        self.term = chars.segment_terminator
        self.data_sep = chars.data_separator
        self.comp_sep = chars.component_separator
        self._unescape = re.compile(re.escape(self.esc) + "(.)", re.DOTALL)
        esc = re.escape(self.esc)
        # a release character (an odd run of them) directly before a line break
        self.escaped_newline = re.compile(f"(?<!{esc})(?:{esc}{esc})*{esc}\n")

    def join_escaped(self, parts: list[str], sep: str) -> list[str]:
        """Re-join pieces split at a separator that a release character escaped."""
        esc = self.esc
        out: list[str] = []
        pending: str | None = None
        for part in parts:
            if pending is not None:
                part = pending + sep + part
                pending = None
            if part.endswith(esc) and (len(part) - len(part.rstrip(esc))) % 2 == 1:
                pending = part
            else:
                out.append(part)
        if pending is not None:
            out.append(pending)
        return out

    def element(self, text: str) -> str | list[str]:
        if self.comp_sep not in text:
            return self.unescape(text)
        parts = text.split(self.comp_sep)
        if self.esc in text:
            parts = self.join_escaped(parts, self.comp_sep)
        components = [self.unescape(part) for part in parts]
        while components and components[-1] == "":
            components.pop()
        if not components:
            return ""
        if len(components) == 1:
            return components[0]
        return components

    def unescape(self, text: str) -> str:
        if self.esc not in text:
            return text
        if text.endswith(self.esc) and (len(text) - len(text.rstrip(self.esc))) % 2 == 1:
            raise ValueError("release character at the end of a segment")
        return self._unescape.sub(r"\1", text)

    def segment(self, raw: str) -> Segment:
        has_esc = self.esc in raw
        parts = raw.split(self.data_sep)
        if has_esc:
            parts = self.join_escaped(parts, self.data_sep)
        tag = self.element(parts[0]) if has_esc or self.comp_sep in parts[0] else parts[0]
        if not isinstance(tag, str) or not tag:
            raise ValueError(f"invalid segment tag {parts[0]!r}")
        if not tag.isalnum():
            raise ValueError(f"tag {tag!r} must only contain alphanumeric characters")
        element = self.element
        if has_esc or self.comp_sep in raw:
            elements = [element(part) for part in parts[1:]]
        else:
            elements = parts[1:]
        return Segment(tag, *elements)  # raises ValueError for a tag that is not 3 upper-case


def tokenize(text: str) -> Tokens:
    """Split a whole file (already decoded, BOM removed) into segments with positions.

    Raises :class:`EdifactSyntaxError` naming line and column for text that is not a sequence
    of well-formed segments.
    """
    tokens = Tokens()
    pos = len(text) - len(text.lstrip(" \t\r\n"))
    line = 1 + text.count("\n", 0, pos)
    line_start = text.rfind("\n", 0, pos) + 1
    with warnings.catch_warnings():
        # pydifact warns about segments without elements and missing directories; not findings.
        warnings.simplefilter("ignore")
        chars = Characters()
        while pos < len(text):
            if text.startswith("UNA", pos):
                if len(text) < pos + 9:
                    raise EdifactSyntaxError("UNA segment is shorter than 9 characters",
                                             line, pos - line_start + 1)
                chars = Characters.from_str(text[pos:pos + 9])
                tokens.segments.append(Segment("UNA", text[pos + 3:pos + 9]))
                tokens.lines.append(line)
                tokens.columns.append(pos - line_start + 1)
                tokens.characters.append(chars)
                new_pos = pos + 9
                while new_pos < len(text) and text[new_pos] in "\r\n":
                    new_pos += 1
                line += text.count("\n", pos, new_pos)
                if line > tokens.lines[-1]:
                    line_start = text.rfind("\n", pos, new_pos) + 1
                pos = new_pos
                continue
            pos, line, line_start = _split(text, pos, line, line_start, chars, tokens)
    return tokens


def _split(text: str, pos: int, line: int, line_start: int, chars: Characters,
           tokens: Tokens) -> tuple[int, int, int]:
    """Split segments from ``pos`` until the end or the next UNA; return where it stopped."""
    splitter = _Splitter(chars)
    term = splitter.term
    body = text[pos:] if pos else text
    parts = body.split(term)
    if splitter.esc in body:
        parts = splitter.join_escaped(parts, term)
    last = len(parts) - 1
    append_segment = tokens.segments.append
    append_line = tokens.lines.append
    append_column = tokens.columns.append
    append_chars = tokens.characters.append
    offset = pos
    segment = splitter.segment
    for index, raw in enumerate(parts):
        start = offset
        if index:
            stripped = raw.lstrip(_AFTER_TERMINATOR)
            start += len(raw) - len(stripped)
        else:
            stripped = raw
        if start > offset:
            newlines = text.count("\n", offset, start)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", offset, start) + 1
        if index and stripped.startswith("UNA"):
            return start, line, line_start  # a new interchange with its own characters
        if index == last:
            if stripped:
                raise EdifactSyntaxError(
                    "unexpected end of text: the last segment has no terminator "
                    f"{term!r}", line, start - line_start + 1)
            return len(text), line, line_start
        column = start - line_start + 1
        try:
            seg = segment(stripped)
        except ValueError as exc:
            raise EdifactSyntaxError(f"segment {stripped[:12]!r}: {exc}", line, column) from None
        append_segment(seg)
        append_line(line)
        append_column(column)
        append_chars(chars)
        end = start + len(stripped)
        if "\n" in stripped:
            bad = splitter.escaped_newline.search(stripped)
            if bad:
                at = start + bad.end() - 2
                raise EdifactSyntaxError(
                    "a release character may not be followed by a line break",
                    line + text.count("\n", start, at),
                    at - (text.rfind("\n", 0, at) + 1) + 1)
            line += stripped.count("\n")
            line_start = text.rfind("\n", start, end) + 1
        offset = end + 1
    return len(text), line, line_start
