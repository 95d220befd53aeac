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

import codecs
import gc
import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from pydifact.constants import Element
from pydifact.control import Characters
from pydifact.segments import Segment

BOM = "\ufeff"
BOM_BYTES = BOM.encode()
#: private-use characters standing in for escaped service characters while splitting
MARKS = "\ue000\ue001\ue002\ue003"
#: the marks of a block are the first four of these that neither occur in it nor serve as
#: service characters: control characters first, as they keep a Latin-1 text one byte a
#: character (a private-use mark makes every copy of a long value twice or four times as large)
MARK_CHOICES = "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11" + MARKS
#: layout skipped after a segment terminator: line breaks (one-segment-per-line files) and the
#: blanks a pretty-printer leaves at the end of a line (pydifact skips the first three)
_AFTER_TERMINATOR = " \t\r\n"


class EdifactSyntaxError(ValueError):
    """The text cannot be split into segments; ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


#: a block of segments ends at the first unescaped segment terminator after this many characters:
#: a file is split, checked and handed on one block at a time, so memory does not grow with it
BLOCK_CHARS = 1 << 13
#: text searched at once for unescaped terminators where release characters escape some
WINDOW_CHARS = 1 << 18
#: characters of a large ASCII file decoded at a time (:class:`_Text`)
DECODE_CHARS = 1 << 18


class Lines:
    """1-based (line, column) of offsets in a text. Positions are only needed for findings, so
    lines are counted on demand, from the nearest offset already placed (no index of every line
    break: that alone would hold more than the text).

    The text may be given as the bytes of an ASCII file (one byte a character: the offsets are
    the same), so that a large file is not held decoded as well."""

    def __init__(self, text: str | bytes):
        self.text = text
        self._newline: str | bytes = b"\n" if isinstance(text, bytes) else "\n"
        self._offsets = [0]
        self._places = [(1, 1)]

    def position(self, offset: int) -> tuple[int, int]:
        text, newline = self.text, self._newline
        at = bisect_right(self._offsets, offset) - 1
        below = self._offsets[at]
        if below == offset:
            return self._places[at]
        line, column = self._places[at]
        breaks = text.count(newline, below, offset)  # type: ignore[arg-type]
        if breaks:
            line += breaks
            column = offset - text.rfind(newline, below, offset)  # type: ignore[arg-type]
        else:
            column += offset - below
        self._offsets.insert(at + 1, offset)
        self._places.insert(at + 1, (line, column))
        return line, column


@dataclass(eq=False)
class Block:
    """Consecutive segments of a file that share service characters, split from one stretch of
    its text (a UNA is a block of its own)."""

    #: index in the file of the block's first segment
    start: int
    #: text offset where the block's text starts
    pos: int
    #: the raw pieces split at the terminator (``None`` for a UNA); offsets are worked out from
    #: them only when a finding needs a position
    parts: list[str] | None
    segments: list[Segment]
    #: the characters in force (they change only at a UNA)
    characters: Characters
    _offsets: list[int] | None = None
    _controls: list[tuple[int, int, str]] | None = None

    @property
    def end(self) -> int:
        """Index in the file after the block's last segment."""
        return self.start + len(self.segments)

    def controls(self) -> list[tuple[int, int, str]]:
        """(index in the block, text offset, character) of the first control character in each
        of its segments that holds one: C0 controls and DEL, other than the service characters
        in force and the line breaks and blanks that may follow a segment terminator. No
        EDIFACT character repertoire (ISO 9735) carries them. One scan of the block's text
        decides; only a block that holds one is looked at segment by segment. Kept: every
        message the block holds asks."""
        if self._controls is None:
            self._controls = self._find_controls()
        return self._controls

    def _find_controls(self) -> list[tuple[int, int, str]]:
        parts = self.parts
        if not parts:
            return []
        chars = self.characters
        term = chars.segment_terminator
        service = chars.component_separator + chars.data_separator + chars.escape_character + term
        text = term.join(parts).lstrip(_AFTER_TERMINATOR)
        # line breaks are data unless they follow a terminator: counted, then the rest searched
        # (C-speed passes over the text, no copy of it per segment)
        breaks_follow = text.count("\r") == text.count(term + "\r") and text.count(
            "\n"
        ) == text.count(term + "\n") + text.count(term + "\r\n")
        if breaks_follow:
            if _control_pattern(service + "\r\n").search(text) is None:
                return []
        elif _control_pattern(service).search(_after_terminator(term).sub("", text)) is None:
            return []
        control = _control_pattern(service)
        found = []
        for at, part in enumerate(parts):
            raw = part.lstrip(_AFTER_TERMINATOR)
            bad = control.search(raw)
            if bad is not None:
                found.append((at, self.offsets[at] + bad.start(), bad.group()))
        return found

    @property
    def offsets(self) -> list[int]:
        """Text offset where each segment starts (after the blanks skipped after a terminator)."""
        if self._offsets is None:
            if self.parts is None:
                self._offsets = [self.pos]
            else:
                offsets = []
                pos = self.pos
                for part in self.parts:
                    offsets.append(pos + len(part) - len(part.lstrip(_AFTER_TERMINATOR)))
                    pos += len(part) + 1
                self._offsets = offsets
        return self._offsets


@dataclass
class Tokens:
    """Segments of a whole file in order, with their positions (see :func:`tokenize`; large
    files are read block by block instead, :func:`blocks`)."""

    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    #: the characters in force for each segment (changes only at a UNA)
    characters: list[Characters] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    lines: Lines = field(default_factory=lambda: Lines(""))
    _offsets: list[int] | None = None

    @property
    def offsets(self) -> list[int]:
        """Text offset where each segment starts (after the blanks skipped after a terminator)."""
        if self._offsets is None:
            self._offsets = [offset for block in self.blocks for offset in block.offsets]
        return self._offsets

    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) where segment ``index`` starts."""
        return self.lines.position(self.offsets[index])


def position_of(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a text offset."""
    return Lines(text).position(offset)


#: the ISO 8859 part each UNB syntax identifier (S001, ISO 9735 code list 0001) declares
_DECLARED_PARTS = {
    b"UNOC": "iso8859-1",
    b"UNOD": "iso8859-2",
    b"UNOE": "iso8859-5",
    b"UNOF": "iso8859-7",
    b"UNOG": "iso8859-3",
    b"UNOH": "iso8859-4",
    b"UNOI": "iso8859-6",
    b"UNOJ": "iso8859-8",
    b"UNOK": "iso8859-9",
}
_SYNTAX_IDENTIFIER = re.compile(rb"UNB.(UNO[A-Z])")


def decode(data: bytes) -> str:
    """Bytes → text: UTF-8 (BOM dropped) when it decodes — what most files are, whatever their
    UNB declares — else the ISO 8859 part the UNB's syntax identifier names (UNOD Latin-2, UNOE
    Cyrillic …), else ISO 8859-1 like pydifact."""
    try:
        if data.startswith(BOM_BYTES):  # decoded without it: no second copy of a large text
            return codecs.utf_8_decode(memoryview(data)[len(BOM_BYTES) :], "strict", True)[0]
        return data.decode("utf-8")
    except UnicodeDecodeError:
        declared = _SYNTAX_IDENTIFIER.search(data, 0, 1024)
        part = _DECLARED_PARTS.get(declared.group(1), "iso8859-1") if declared else "iso8859-1"
        return data.decode(part, "replace")


class _Splitter:
    """Splits one stretch of text that shares a set of service characters."""

    def __init__(self, chars: Characters):
        self.chars = chars
        self.esc = chars.escape_character
        self.term = chars.segment_terminator
        self.data_sep = chars.data_separator
        self.comp_sep = chars.component_separator
        self._unescape = re.compile(re.escape(self.esc) + "(.)", re.DOTALL)
        #: the characters a release character may escape, in the order of their marks
        self.service = (self.esc, self.data_sep, self.comp_sep, self.term)
        esc = re.escape(self.esc)
        # a release character (an odd run of them) directly before a line break
        self.escaped_newline = re.compile(f"(?<!{esc})(?:{esc}{esc})*{esc}\n")
        #: with the release character as terminator nothing is escaped
        self.escapes_term = self.esc != self.term
        #: overwrites escaped pairs in :meth:`terminators` (anything but the two characters)
        self.filler = next(c for c in "\0\1\2" if c not in (self.esc, self.term)) * 2

    def cut(self, text: str, pos: int) -> int:
        """Where a block from ``pos`` (where no release character is pending) ends: after the
        first unescaped terminator at least :data:`BLOCK_CHARS` on, or the end of the text."""
        start = pos + BLOCK_CHARS
        if start >= len(text):
            return len(text)
        at = text.find(self.term, start)
        if at < 0:
            return len(text)
        if not self.escapes_term or text[at - 1] != self.esc:
            return at + 1
        for at in self.terminators(text, pos, len(text)):
            if at >= start:
                return at + 1
        return len(text)

    def terminators(self, text: str, begin: int, end: int) -> Iterator[int]:
        """Offsets of the unescaped terminators in ``text[begin:end]`` (no release character is
        pending at ``begin``), found a window of :data:`WINDOW_CHARS` at a time: in a copy of
        the window, each escaped release character and escaped terminator is overwritten
        together with its release character (every offset stays), so the terminators left are
        the unescaped ones. Linear in the text with no per-character work in Python and memory
        bounded by the window, however many release characters there are."""
        esc, term, filler = self.esc, self.term, self.filler
        escaped_esc, escaped_term = esc + esc, esc + term
        while begin < end:
            stop = min(begin + WINDOW_CHARS, end)
            window = text[begin:stop]
            if esc in window:
                # pairs from the left of each run of release characters: each one that is
                # left after the first replace escapes the character after it
                window = window.replace(escaped_esc, filler)
                if window.count(term) == window.count(escaped_term):
                    at = -1  # every terminator in it is escaped (no copy to find none)
                else:
                    window = window.replace(escaped_term, filler)
                    at = window.find(term)
            else:
                at = window.find(term)
            while at >= 0:
                yield begin + at
                at = window.find(term, at + 1)
            # a release character left at the end escapes the first one of the next window:
            # that window starts with it (nothing is pending before it)
            begin = stop - 1 if stop < end and window.endswith(esc) else stop

    def split_escaped(self, text: str, pos: int, stop: int) -> list[str]:
        """``text[pos:stop]`` split at its unescaped terminators (the last piece is what
        follows the last one); no release character is pending at ``pos``."""
        if not self.escapes_term:
            return text[pos:stop].split(self.term)
        parts = []
        for at in self.terminators(text, pos, stop):
            parts.append(text[pos:at])
            pos = at + 1
        parts.append(text[pos:stop])
        return parts

    def marks(self, text: str, pos: int, stop: int) -> str | None:
        """Four characters (:data:`MARK_CHOICES`) that ``text[pos:stop]`` does not hold, to
        stand for its escaped service characters; ``None`` if there are not four."""
        found = ""
        for mark in MARK_CHOICES:
            if mark not in self.service and text.find(mark, pos, stop) < 0:
                found += mark
                if len(found) == 4:
                    return found
        return None

    def restore(self, text: str, marks: str) -> str:
        """The service characters back in place of their marks (chained ``str.replace``:
        ``str.translate`` goes character by character, seconds on a 30-million-character
        value)."""
        for mark, char in zip(marks, self.service, strict=True):
            if mark in text:
                text = text.replace(mark, char)
        return text

    def marked_segment(self, raw: str, marks: str) -> Segment | None:
        """A segment whose release characters only escape service characters: swap each
        escaped pair for its mark (:meth:`marks`, none of them in ``raw``), split like an
        ordinary segment, put them back. ``None`` when something else follows a release
        character (the general path decides)."""
        esc = self.esc
        marked = raw
        for char, mark in zip(self.service, marks, strict=True):
            marked = marked.replace(esc + char, mark)
        if esc in marked:
            return None
        comp_sep, restore = self.comp_sep, self.restore
        tag, *pieces = marked.split(self.data_sep)
        del marked  # a long value is held once as pieces, not twice
        elements: list[Element] = list(pieces)
        for i, element in enumerate(pieces):
            if comp_sep in element:
                components = [restore(c, marks) for c in element.rstrip(comp_sep).split(comp_sep)]
                elements[i] = components if len(components) > 1 else components[0]
            else:
                elements[i] = restore(element, marks)
            pieces[i] = ""
        if comp_sep in tag:
            return None
        tag = restore(tag, marks)
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
    tokens = Tokens(text=text, lines=Lines(text))
    for block in blocks(text, lines=tokens.lines):
        tokens.blocks.append(block)
        tokens.segments += block.segments
        tokens.characters += [block.characters] * len(block.segments)
    return tokens


def blocks(
    text: str | bytes, *, light: bool = False, lines: Lines | None = None
) -> Iterator[Block]:
    """The segments of a file (already decoded, BOM removed), one :class:`Block` at a time, so
    that a large file is never held as segments all at once. The bytes of an ASCII file may be
    given instead of its text: they are then decoded a window at a time (:class:`_Text`), so
    the file is not held twice.

    Raises :class:`EdifactSyntaxError` (naming line and column) at the block where the text stops
    being a sequence of well-formed segments. With ``light``, only service segments (UNA, UNB,
    UNG, UNH, UNT, UNE, UNZ) are split into elements; every other segment is checked as usual but
    stands for itself as a shared placeholder with its tag and no elements (a first pass over the
    envelope of a large file).
    """
    lines = lines or Lines(text)
    source = _Text(text)
    at = source.skip(0, _LEADING)  # offsets in the file; ``pos`` is the same one in the window
    splitter = _splitter("")
    index = 0
    fresh = True  # ``at`` starts a stretch of text: the file, after a UNA, or at a cut UNA
    while at < source.size:
        pos = source.hold(at, BLOCK_CHARS + UNA_CHARS)
        window = source.window
        if window.startswith("UNA", pos):
            if len(window) < pos + UNA_CHARS:
                raise _error(lines, "UNA segment is shorter than 9 characters", at)
            clash = _una_clash(window[pos : pos + UNA_CHARS])
            if clash:
                raise _error(lines, clash, at)
            splitter = _splitter(window[pos : pos + UNA_CHARS])
            una = _new_segment("UNA", [window[pos + 3 : pos + UNA_CHARS]])
            yield Block(index, at, None, [una], splitter.chars)
            index += 1
            at = source.skip(at + UNA_CHARS, _LINE_BREAKS)
            fresh = True
            continue
        stop = splitter.cut(window, pos)
        while stop == len(window) and not source.whole:
            # the block runs past the window: widen it until its end is in sight
            pos = source.hold(at, 2 * (len(window) - pos))
            window = source.window
            stop = splitter.cut(window, pos)
        with paused_gc():
            block, pos, fresh = _block(
                window, pos, stop, splitter, index, fresh, light, lines, source.base
            )
        at = source.base + pos
        if fresh:  # a UNA follows, after blanks that may go on past the window
            at = source.skip(at, _BLANKS)
        if block.segments:
            index += len(block.segments)
            yield block


class _Text:
    """The text :func:`blocks` splits: all of it, or, given the bytes of an ASCII file, a window
    of at least :data:`DECODE_CHARS` characters decoded from them (one byte a character, so an
    offset in the bytes is the same offset in the text), moved on as the blocks go."""

    def __init__(self, text: str | bytes):
        self.data = text
        self.size = len(text)
        self.base = 0  # the file offset where :attr:`window` starts
        self.window = text if isinstance(text, str) else ""

    @property
    def whole(self) -> bool:
        """Whether the window reaches the end of the text."""
        return self.base + len(self.window) >= self.size

    def hold(self, offset: int, chars: int) -> int:
        """Make the window hold ``chars`` characters from ``offset`` (those there are); returns
        where ``offset`` is in it."""
        end = min(offset + chars, self.size)
        if not self.base <= offset <= end <= self.base + len(self.window):
            data = self.data
            assert isinstance(data, bytes), "a text is held whole"
            self.base = offset
            self.window = str(memoryview(data)[offset : offset + max(chars, DECODE_CHARS)], "ascii")
        return offset - self.base

    def skip(self, offset: int, run: re.Pattern[str]) -> int:
        """The offset after the ``run`` (of blanks) that starts at ``offset``."""
        while offset < self.size:
            pos = self.hold(offset, 1)
            match = run.match(self.window, pos)
            assert match is not None, "a run may be empty"
            offset = self.base + match.end()
            if match.end() < len(self.window):
                break
        return offset


#: the UNA's service characters that must tell text apart, by their place in ``UNA:+.? '``
_UNA_ROLES = {
    3: "component separator",
    4: "data element separator",
    6: "release character",
    8: "segment terminator",
}


def _una_clash(una: str) -> str | None:
    """Why a UNA's service characters cannot be read (one character in two roles), or ``None``;
    a space as release character means none is used."""
    seen: dict[str, str] = {}
    for place, role in _UNA_ROLES.items():
        char = una[place]
        if place == 6 and char == " ":
            continue
        if char in seen:
            return (
                f"UNA declares {char!r} as both the {seen[char]} and the {role}: each service "
                "character must differ from the others"
            )
        seen[char] = role
    return None


@lru_cache(maxsize=64)
def _splitter(una: str) -> _Splitter:
    """The splitter of the service characters a UNA declares (``""``: the default ones),
    made once (a file has one or a few)."""
    return _Splitter(Characters.from_str(una) if una else Characters())


@contextmanager
def paused_gc() -> Iterator[None]:
    """Tens of thousands of small lists and Segments in a row make the cyclic garbage collector
    rescan the young heap again and again (a large share of the run time), yet none of them form
    cycles: they are freed by reference counting. Pause it while a block is read, then hand the
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


def _error(lines: Lines, message: str, offset: int) -> EdifactSyntaxError:
    line, column = lines.position(offset)
    return EdifactSyntaxError(message, line, column)


_new = object.__new__
_valid_tags: dict[str, bool] = {}
_stubs: dict[str, Segment] = {}
#: a UNA segment is always this long (tag and six service characters)
UNA_CHARS = 9
#: runs of blanks skipped: after a terminator, at the start of a file, after a UNA
_BLANKS = re.compile(f"[{_AFTER_TERMINATOR}]*")
_LEADING = re.compile("[ \t\r\n]*")
_LINE_BREAKS = re.compile("[\r\n]*")
SERVICE_TAGS = frozenset({"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})


@lru_cache(maxsize=64)
def _control_pattern(service: str) -> re.Pattern[str]:
    """C0 controls and DEL, but for service characters that are control characters (syntax
    level B separates with them); and the noncharacters U+FFFE and U+FFFF, which UTF-8 (UNOW)
    can spell but no text may hold (XML cannot carry them)."""
    allowed = set(service)
    forbidden = [*range(32), 127, 0xFFFE, 0xFFFF]
    return re.compile(
        "[" + "".join(re.escape(c) for c in map(chr, forbidden) if c not in allowed) + "]"
    )


@lru_cache(maxsize=64)
def _after_terminator(terminator: str) -> re.Pattern[str]:
    """The blanks and line breaks after a segment terminator (skipped, not data)."""
    return re.compile(f"(?<={re.escape(terminator)})[{_AFTER_TERMINATOR}]+")


def _new_segment(tag: str, elements: list[Element]) -> Segment:
    """A ``Segment`` exactly as ``Segment(tag, *elements)`` builds it, without the per-call
    checks and warnings (the tag is checked here, once per distinct tag)."""
    seg = _new(Segment)
    seg.tag = tag
    seg.elements = elements
    return seg


def _stub(tag: str) -> Segment:
    """The shared placeholder of a segment with this (valid) tag (``blocks(light=True)``)."""
    seg = _stubs.get(tag)
    if seg is None:
        seg = _stubs[tag] = _new_segment(tag, [])
    return seg


def _check_tag(tag: str) -> None:
    valid = _valid_tags.get(tag)
    if valid is None:
        valid = _valid_tags[tag] = tag.isalnum() and len(tag) == 3 and tag.isupper()
    if not valid:
        if not tag:
            raise ValueError("invalid segment tag ''")
        raise ValueError(f"segment tag must be 3 upper-case letters or digits, not {tag!r}")


def _block(
    text: str,
    pos: int,
    stop: int,
    splitter: _Splitter,
    index: int,
    fresh: bool,
    light: bool,
    lines: Lines,
    base: int = 0,
) -> tuple[Block, int, bool]:
    """Split segments from ``pos`` up to ``stop`` (:meth:`_Splitter.cut`) or the next UNA;
    ``text`` starts at offset ``base`` of the file. Returns the block, where it ends in ``text``
    and whether a fresh stretch (a UNA, perhaps after blanks) follows."""
    esc, data_sep, comp_sep = splitter.esc, splitter.data_sep, splitter.comp_sep
    has_esc = text.find(esc, pos, stop) >= 0
    parts, tail, marks = _pieces(text, pos, stop, splitter, has_esc, fresh)
    block = Block(index, base + pos, parts, [], splitter.chars)
    segments = block.segments
    new, valid_tags, blanks, stubs = _new, _valid_tags, _AFTER_TERMINATOR, _stubs
    append = segments.append
    for raw in [part.lstrip(blanks) for part in parts]:
        if (has_esc and esc in raw) or not raw:
            if light and raw and raw[-1] != esc and esc + "\n" not in raw:
                # neither of the two errors a release character can cause (one at the end of
                # the segment, one before a line break): only the tag is left to check
                at = raw.find(data_sep)
                tag = raw if at < 0 else raw[:at]
                if (
                    valid_tags.get(tag)
                    and tag not in SERVICE_TAGS
                    and esc not in tag
                    and comp_sep not in tag
                ):
                    append(stubs.get(tag) or _stub(tag))
                    continue
            seg = splitter.marked_segment(raw, marks) if marks and raw else None
            append(seg or _slow_segment(splitter, raw, block, len(segments), lines))
            continue
        if light:
            at = raw.find(data_sep)
            tag = raw if at < 0 else raw[:at]
            if valid_tags.get(tag) and tag not in SERVICE_TAGS and comp_sep not in tag:
                append(stubs.get(tag) or _stub(tag))
                continue
        tag, *elements = raw.split(data_sep)
        if comp_sep in raw:
            if comp_sep in tag:
                append(_slow_segment(splitter, raw, block, len(segments), lines))
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
            append(_slow_segment(splitter, raw, block, len(segments), lines))
            continue
        seg = new(Segment)
        seg.tag = tag
        seg.elements = elements  # type: ignore[assignment]
        append(seg)
    end = pos + sum(map(len, parts)) + len(parts)
    if tail is None:
        return block, end, True  # (the caller skips the blanks before the UNA)
    if tail.strip(_AFTER_TERMINATOR):
        raise _error(
            lines,
            f"unexpected end of text: the last segment has no terminator {splitter.term!r}",
            base + end + len(tail) - len(tail.lstrip(_AFTER_TERMINATOR)),
        )
    return block, stop, False


def _pieces(
    text: str, pos: int, stop: int, splitter: _Splitter, has_esc: bool, fresh: bool
) -> tuple[list[str], str | None, str | None]:
    """The block's text from ``pos`` to ``stop`` cut at unescaped terminators: the whole
    segments, what follows the last terminator (``None`` when a UNA starts a new interchange
    there or earlier: the block ends before it), and the marks its escaped segments are read
    by (:meth:`_Splitter.marked_segment`; ``None``: the general path reads them)."""
    term, esc = splitter.term, splitter.esc
    if has_esc and text.find(esc + term, pos, stop) >= 0:
        # pieces between unescaped terminators, without a piece per escaped one (16 MiB of
        # ``a?'`` would otherwise be millions of pieces before they are joined again)
        parts = splitter.split_escaped(text, pos, stop)
        marks = splitter.marks(text, pos, stop)
    else:
        body = text[pos:stop] if pos or stop < len(text) else text
        parts = body.split(term)
        marks = splitter.marks(text, pos, stop) if has_esc else None
    tail: str | None = parts.pop()
    if text.find("UNA", pos, stop) >= 0:
        for i, raw in enumerate(parts):
            if (i or not fresh) and raw.lstrip(_AFTER_TERMINATOR).startswith("UNA"):
                tail = None  # a new interchange with its own service characters starts here
                del parts[i:]
                break
        if tail is not None and tail.lstrip(_AFTER_TERMINATOR).startswith("UNA"):
            tail = None
    return parts, tail, marks


def _slow_segment(splitter: _Splitter, raw: str, block: Block, index: int, lines: Lines) -> Segment:
    """A segment with release characters, composites in the tag or an unchecked tag."""
    try:
        seg = splitter.segment(raw)
        if splitter.esc + "\n" in raw:
            bad = splitter.escaped_newline.search(raw)
            if bad:
                raise _PositionedError(
                    "a release character may not be followed by a line break", bad.end() - 2
                )
        return seg
    except (ValueError, _PositionedError) as exc:
        offset = block.offsets[index]
        if isinstance(exc, _PositionedError):
            raise _error(lines, exc.message, offset + exc.at) from None
        raise _error(lines, f"segment {raw[:12]!r}: {exc}", offset) from None


class _PositionedError(Exception):
    def __init__(self, message: str, at: int):
        super().__init__(message)
        self.message, self.at = message, at
