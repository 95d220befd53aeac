"""A fast EDIFACT segment splitter that yields pydifact ``Segment`` objects with their position.

pydifact's tokenizer walks the text one character at a time (slow on large files; figures in
``benchmarks/RESULTS.md``). This one splits with
``str.split`` on the segment terminator, data separator and component separator, and only
re-joins pieces where a release character escaped the separator, so ordinary files never touch a
per-character loop. The segments it returns are identical to ``pydifact.parser.Parser().parse``
(same tag, same element model: a composite is a list only with ≥2 non-trailing components,
trailing empty components dropped, empty simple elements kept as ``''``) — a differential test
holds it to that. On top it records each segment's 1-based line and column, strips a UTF-8 BOM,
and accepts a UNA at the start of every interchange of a file (pydifact refuses a second UNA).
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pydifact.constants import Element
from pydifact.control import Characters
from pydifact.segments import Segment

BOM = "\ufeff"
#: private-use characters standing in for escaped service characters while splitting
MARKS = "\ue000\ue001\ue002\ue003"
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
    """Segments of a file in order, with the offset where each one starts in the text."""

    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    #: the characters in force for each segment (changes only at a UNA)
    characters: list[Characters] = field(default_factory=list)
    #: (text offset, raw pieces split at the terminator — None for a UNA), in order; offsets
    #: are worked out from them only when a finding needs a position
    chunks: list[tuple[int, list[str] | None]] = field(default_factory=list)
    _newlines: list[int] | None = None
    _offsets: list[int] | None = None
    _offsets_chunks: int = 0

    @property
    def offsets(self) -> list[int]:
        """Text offset where each segment starts (after the blanks skipped after a terminator)."""
        if self._offsets is None or self._offsets_chunks != len(self.chunks):
            offsets: list[int] = []
            for pos, parts in self.chunks:
                if parts is None:
                    offsets.append(pos)
                    continue
                for part in parts:
                    offsets.append(pos + len(part) - len(part.lstrip(_AFTER_TERMINATOR)))
                    pos += len(part) + 1
            self._offsets, self._offsets_chunks = offsets, len(self.chunks)
        return self._offsets

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) where segment ``index`` starts."""
        return position_of(self.text, self.offsets[index], self)


def position_of(text: str, offset: int, cache: Tokens | None = None) -> tuple[int, int]:
    """1-based (line, column) of a text offset; positions are only needed for findings, so the
    line index is built lazily, once per file."""
    newlines = cache._newlines if cache is not None else None
    if newlines is None:
        newlines = [m.start() for m in re.finditer("\n", text)]
        if cache is not None:
            cache._newlines = newlines
    line = bisect_right(newlines, offset - 1)
    line_start = newlines[line - 1] + 1 if line else 0
    return line + 1, offset - line_start + 1


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
        self.marks = [
            (self.esc + char, mark)
            for char, mark in zip(
                (self.esc, self.data_sep, self.comp_sep, self.term), MARKS, strict=True
            )
        ]
        self.restore = str.maketrans(
            dict(zip(MARKS, (self.esc, self.data_sep, self.comp_sep, self.term), strict=True))
        )
        esc = re.escape(self.esc)
        # a release character (an odd run of them) directly before a line break
        self.escaped_newline = re.compile(f"(?<!{esc})(?:{esc}{esc})*{esc}\n")

    def marked_segment(self, raw: str) -> Segment | None:
        """A segment whose release characters only escape service characters: swap each
        escaped pair for a private-use mark, split like an ordinary segment, put them back.
        ``None`` when something else follows a release character (the general path decides)."""
        marked = raw
        for pair, mark in self.marks:
            marked = marked.replace(pair, mark)
        if self.esc in marked:
            return None
        comp_sep, restore = self.comp_sep, self.restore
        tag, *pieces = marked.split(self.data_sep)
        elements: list[Element] = list(pieces)
        for i, element in enumerate(pieces):
            if comp_sep in element:
                components = [
                    c.translate(restore) for c in element.rstrip(comp_sep).split(comp_sep)
                ]
                elements[i] = components if len(components) > 1 else components[0]
            else:
                elements[i] = element.translate(restore)
        if comp_sep in tag:
            return None
        tag = tag.translate(restore)
        if not _valid_tags.get(tag):
            return None  # the general path checks the tag and names the problem
        return _new_segment(tag, elements)

    def join_escaped(self, parts: list[str], sep: str) -> list[str]:
        """Re-join pieces split at a separator that a release character escaped.

        Linear in the text: the pieces of one escaped run are collected and joined once (joining
        them pairwise would copy the growing run again for every escaped separator). Only the
        newest piece decides whether the run goes on: a separator ends any run of release
        characters, so the trailing run always lies inside the newest piece."""
        esc = self.esc
        out: list[str] = []
        pending: list[str] = []
        for part in parts:
            if part.endswith(esc) and (len(part) - len(part.rstrip(esc))) % 2 == 1:
                pending.append(part)
            elif pending:
                pending.append(part)
                out.append(sep.join(pending))
                pending = []
            else:
                out.append(part)
        if pending:
            out.append(sep.join(pending))
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
        if MARKS[0] in text:
            return self._unescape.sub(r"\1", text)
        # Escaped release characters become a mark; every release character left escapes the
        # character after it, so dropping them all unescapes the rest in one pass.
        esc = self.esc
        return text.replace(esc + esc, MARKS[0]).replace(esc, "").replace(MARKS[0], esc)

    def segment(self, raw: str) -> Segment:
        has_esc = self.esc in raw
        parts = raw.split(self.data_sep)
        if has_esc:
            parts = self.join_escaped(parts, self.data_sep)
        tag = self.element(parts[0]) if has_esc or self.comp_sep in parts[0] else parts[0]
        if not isinstance(tag, str):
            raise ValueError(f"invalid segment tag {parts[0]!r}")
        _check_tag(tag)
        element = self.element
        elements: list[Element]
        if has_esc or self.comp_sep in raw:
            elements = [element(part) for part in parts[1:]]
        else:
            elements = list(parts[1:])
        return _new_segment(tag, elements)


def tokenize(text: str) -> Tokens:
    """Split a whole file (already decoded, BOM removed) into segments with positions.

    Raises :class:`EdifactSyntaxError` naming line and column for text that is not a sequence
    of well-formed segments.
    """
    with paused_gc():
        return _tokenize(text)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Tens of thousands of small lists and Segments in a row make the cyclic garbage collector
    rescan the young heap again and again (about half the run time), yet none of them form
    cycles: they are freed by reference counting. Pause it while a file is read, then hand the
    survivors straight to the oldest generation (freeze + unfreeze moves them there without a
    scan) so the first young collection afterwards does not walk them all either. Nothing is
    kept from collection: the oldest generation is still collected as usual."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _tokenize(text: str) -> Tokens:
    tokens = Tokens(text=text)
    pos = len(text) - len(text.lstrip(" \t\r\n"))
    chars = Characters()
    while pos < len(text):
        if text.startswith("UNA", pos):
            if len(text) < pos + 9:
                raise _error(tokens, "UNA segment is shorter than 9 characters", pos)
            chars = Characters.from_str(text[pos : pos + 9])
            tokens.segments.append(_new_segment("UNA", [text[pos + 3 : pos + 9]]))
            tokens.chunks.append((pos, None))
            tokens.characters.append(chars)
            pos += 9
            while pos < len(text) and text[pos] in "\r\n":
                pos += 1
            continue
        pos = _split(text, pos, chars, tokens)
    return tokens


def _error(tokens: Tokens, message: str, offset: int) -> EdifactSyntaxError:
    line, column = position_of(tokens.text, offset, tokens)
    return EdifactSyntaxError(message, line, column)


_new = object.__new__
_valid_tags: dict[str, bool] = {}


def _new_segment(tag: str, elements: list[Element]) -> Segment:
    """A ``Segment`` exactly as ``Segment(tag, *elements)`` builds it, without the per-call
    checks and warnings (the tag is checked here, once per distinct tag)."""
    seg = _new(Segment)
    seg.tag = tag
    seg.elements = elements
    return seg


def _check_tag(tag: str) -> None:
    valid = _valid_tags.get(tag)
    if valid is None:
        valid = _valid_tags[tag] = tag.isalnum() and len(tag) == 3 and tag.isupper()
    if not valid:
        if not tag:
            raise ValueError("invalid segment tag ''")
        raise ValueError(f"segment tag must be 3 upper-case letters or digits, not {tag!r}")


def _split(text: str, pos: int, chars: Characters, tokens: Tokens) -> int:
    """Split segments from ``pos`` until the end or the next UNA; return where it stopped."""
    splitter = _Splitter(chars)
    term, esc = splitter.term, splitter.esc
    data_sep, comp_sep = splitter.data_sep, splitter.comp_sep
    body = text[pos:] if pos else text
    parts = body.split(term)
    if esc + term in body:
        parts = splitter.join_escaped(parts, term)
    tail: str | None = parts.pop()
    if "UNA" in body:
        for index, raw in enumerate(parts):
            if index and raw.lstrip(_AFTER_TERMINATOR).startswith("UNA"):
                tail = None  # a new interchange with its own service characters starts here
                del parts[index:]
                break
        if tail is not None and tail.lstrip(_AFTER_TERMINATOR).startswith("UNA"):
            tail = None
    segments = tokens.segments
    first = len(segments)
    tokens.chunks.append((pos, parts))
    new, valid_tags, blanks = _new, _valid_tags, _AFTER_TERMINATOR
    append = segments.append
    has_esc = esc in body
    can_mark = has_esc and not any(mark in body for mark in MARKS)
    for raw in [part.lstrip(blanks) for part in parts]:
        if (has_esc and esc in raw) or not raw:
            seg = splitter.marked_segment(raw) if can_mark and raw else None
            append(seg or _slow_segment(splitter, raw, tokens, len(segments)))
            continue
        tag, *elements = raw.split(data_sep)
        if comp_sep in raw:
            if comp_sep in tag:
                append(_slow_segment(splitter, raw, tokens, len(segments)))
                continue
            # No release character here, so trailing empty components are trailing separators.
            # (A plain loop: a comprehension costs a frame per segment on Python 3.11.)
            i = 0
            for element in elements:
                if comp_sep in element:
                    components = element.rstrip(comp_sep).split(comp_sep)
                    elements[i] = (
                        components
                        if len(components) > 1  # type: ignore[assignment]
                        else components[0]
                    )
                i += 1  # noqa: SIM113 - enumerate() is measurably slower here
        if not valid_tags.get(tag):
            append(_slow_segment(splitter, raw, tokens, len(segments)))
            continue
        seg = new(Segment)
        seg.tag = tag
        seg.elements = elements  # type: ignore[assignment]
        append(seg)
    tokens.characters += [chars] * (len(segments) - first)
    end = pos + sum(len(part) + 1 for part in parts)
    if tail is None:
        return end + len(text[end:]) - len(text[end:].lstrip(_AFTER_TERMINATOR))
    if tail.strip(_AFTER_TERMINATOR):
        raise _error(
            tokens,
            f"unexpected end of text: the last segment has no terminator {term!r}",
            end + len(tail) - len(tail.lstrip(_AFTER_TERMINATOR)),
        )
    return len(text)


def _slow_segment(splitter: _Splitter, raw: str, tokens: Tokens, index: int) -> Segment:
    """A segment with release characters, composites in the tag or an unchecked tag."""
    try:
        seg = splitter.segment(raw)
        if "\n" in raw:
            bad = splitter.escaped_newline.search(raw)
            if bad:
                raise _PositionedError(
                    "a release character may not be followed by a line break", bad.end() - 2
                )
        return seg
    except (ValueError, _PositionedError) as exc:
        offset = tokens.offsets[index]
        if isinstance(exc, _PositionedError):
            raise _error(tokens, exc.message, offset + exc.at) from None
        raise _error(tokens, f"segment {raw[:12]!r}: {exc}", offset) from None


class _PositionedError(Exception):
    def __init__(self, message: str, at: int):
        super().__init__(message)
        self.message, self.at = message, at
