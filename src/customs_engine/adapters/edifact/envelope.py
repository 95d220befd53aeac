"""Service segments: UNA/UNB…UNZ interchanges, UNG/UNE groups and UNH…UNT messages.

pydifact checks none of the counts and references and knows no functional groups; this module
cuts the segment stream into messages and reports every envelope problem as a finding on the
messages it concerns, so a wrong UNT count still leaves the message readable.

A file is read in two passes over its blocks of segments (:func:`~.tokenizer.blocks`), so that a
large interchange is never held whole: :func:`scan` checks the syntax of every segment and the
whole envelope and keeps only what it found (an interchange's own problems, such as a wrong UNZ
count, reach every one of its messages, so they must be known before the first message is handed
on); :func:`cut` then reads the messages one at a time and gives each its findings.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pydifact.segments import Segment

from customs_engine.adapters.edifact.catalogue import RULES
from customs_engine.adapters.edifact.elements import component, text_of
from customs_engine.adapters.edifact.references import MAX_REFERENCE, MAX_SHOWN_REFERENCE
from customs_engine.adapters.edifact.tokenizer import SERVICE_TAGS, Block, Lines, Tokens
from customs_engine.core.formats import SyntaxKind, syntax_finding
from customs_engine.core.response import Finding
from customs_engine.core.temporary import FirstSeen

__all__ = ["SERVICE_TAGS", "Envelope", "Plan", "RawMessage", "cut", "read_envelope", "scan"]


class Positions(Protocol):
    def position(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of segment ``index`` of the file."""
        ...


class Span:
    """Positions of the segments of the blocks a message spans."""

    blocks: list[Block]
    lines: Lines

    def __init__(self, blocks: list[Block], lines: Lines):
        self.blocks = blocks
        self.lines = lines

    def position(self, index: int) -> tuple[int, int]:
        for block in self.blocks:
            if block.start <= index < block.end:
                return self.lines.position(block.offsets[index - block.start])
        raise IndexError(index)


@dataclass
class RawMessage:
    """One UNH…UNT message: its segments (UNH and UNT included) with their positions."""

    reference: str
    identifier: list[str]
    segments: list[Segment]
    span: Positions
    start: int  # index of the UNH in the file
    decimal_mark: str
    findings: list[Finding] = field(default_factory=list)
    #: False when the message is cut off before its UNT (truncated)
    closed: bool = True

    @property
    def type(self) -> str:
        return self.identifier[0] if self.identifier else ""

    @property
    def version(self) -> str:
        return ":".join(self.identifier[1:4])

    def finding(
        self,
        index: int,
        text: str,
        *,
        kind: SyntaxKind = "value",
        item: int | None = None,
        field: str | None = None,
        at: tuple[int, int] | None = None,
    ) -> Finding:
        """A syntax finding of this kind that names this message, the segment and where it
        stands (``at``: the line and column of the fault inside it, if known)."""
        index = min(max(index, 0), len(self.segments) - 1)
        tag = self.segments[index].tag
        line, column = at or self.span.position(self.start + index)
        return syntax_finding(
            f"message {self.reference}, segment {tag} #{index + 1}: {text}",
            kind=kind,
            line=line,
            column=column,
            item=item,
            field=field,
        )


@dataclass
class Envelope:
    messages: list[RawMessage] = field(default_factory=list)
    #: problems that leave no message to attach to (no UNB, no UNH at all)
    fatal: Finding | None = None


@dataclass
class Plan:
    """What :func:`scan` found: how many messages there are and their envelope findings."""

    count: int = 0
    #: problems that leave no message to attach to (no UNB, no UNH at all)
    fatal: Finding | None = None
    #: (first message, message after the last, findings) of each interchange with problems of
    #: its own: every message of it carries them first
    common: list[tuple[int, int, list[Finding]]] = field(default_factory=list)
    #: the envelope findings of each message that has some, by its place in the file
    own: dict[int, list[Finding]] = field(default_factory=dict)
    #: the reference given to each message whose UNH names none
    references: dict[int, str] = field(default_factory=dict)

    def findings(self, ordinal: int) -> list[Finding]:
        """The envelope findings of message ``ordinal`` (a new list)."""
        found: list[Finding] = []
        at = bisect_right(self.common, ordinal, key=lambda entry: entry[0]) - 1
        if at >= 0 and ordinal < self.common[at][1]:
            found += self.common[at][2]
        found += self.own.get(ordinal, ())
        return found


class Cursor:
    """The segments of a file one at a time, over its blocks; keeps the first block and the one
    in hand (for positions), nothing else."""

    def __init__(self, blocks: Iterable[Block], lines: Lines):
        self._blocks = iter(blocks)
        self.lines = lines
        self.first: Block | None = None
        self.block: Block | None = None
        self._segments: list[Segment] = []
        self._at = 0
        #: index in the file of the segment in hand (the number of segments at the end)
        self.index = 0
        self._load()

    def _load(self) -> bool:
        for block in self._blocks:
            if block.segments:
                if self.first is None:
                    self.first = block
                self.block, self._segments, self._at = block, block.segments, 0
                return True
        self._segments, self._at = [], 0
        return False

    def peek(self) -> Segment | None:
        """The segment in hand (``None`` at the end)."""
        return self._segments[self._at] if self._at < len(self._segments) else None

    def advance(self) -> None:
        self._at += 1
        self.index += 1
        if self._at >= len(self._segments):
            self._load()

    def position(self, index: int) -> tuple[int, int]:
        """Position of the segment in hand, the last one, or one of the first block."""
        for block in (self.block, self.first):
            if block is not None and block.start <= index < block.end:
                return self.lines.position(block.offsets[index - block.start])
        raise IndexError(index)

    def take_message(self) -> tuple[list[Segment], list[Block], bool]:
        """From the UNH in hand to the next service segment: UNT closes the message (it is
        included), anything else cuts it. The segments, the blocks they lie in, and whether
        the message is closed."""
        assert self.block is not None
        blocks = [self.block]
        segments: list[Segment] = []
        source, begin = self._segments, self._at
        at = begin + 1  # past the UNH
        while True:
            end = len(source)
            while at < end and source[at].tag not in SERVICE_TAGS:
                at += 1
            segments += source[begin:at]
            self.index += at - begin
            if at < end:
                self._at = at
                break
            if not self._load():
                break
            source, begin, at = self._segments, 0, 0
            blocks.append(self.block)  # type: ignore[arg-type]
        seg = self.peek()
        closed = seg is not None and seg.tag == "UNT"
        if closed:
            segments.append(seg)  # type: ignore[arg-type]
            self.advance()
        return segments, blocks, closed


def _raw_message(
    cursor: Cursor, fallback: str, findings: list[Finding] | None = None
) -> RawMessage:
    """The message whose UNH is in hand (``fallback``: its reference when the UNH names none)."""
    unh = cursor.peek()
    assert unh is not None
    start = cursor.index
    segments, blocks, closed = cursor.take_message()
    reference = text_of(unh, 0)
    return RawMessage(
        # as written, so that a reply names what the input said (an over-long one has its own
        # finding); bounded, as a message id is, against a hostile one
        reference=reference[:MAX_SHOWN_REFERENCE] or fallback,
        identifier=[c for c in (unh[1] if isinstance(unh[1], list) else [unh[1] or ""])],
        segments=segments,
        span=Span(blocks, cursor.lines),
        start=start,
        decimal_mark=blocks[0].characters.decimal_point,
        findings=[] if findings is None else findings,
        closed=closed,
    )


def _check_unb(unb: Segment, where: _Where) -> list[Finding]:
    found = []
    syntax = component(unb, 0, 0), component(unb, 0, 1)
    if not syntax[0] or not syntax[1].isdecimal():
        found.append(where(f"UNB syntax identifier (S001) must be like UNOC:3, got {unb[0]!r}"))
    date, time = component(unb, 3, 0), component(unb, 3, 1)
    if not _unb_datetime(date, time):
        found.append(
            where(
                "UNB date/time of preparation (S004) must be "
                f"YYMMDD:HHMM or CCYYMMDD:HHMM, got {unb[3]!r}",
            )
        )
    if not text_of(unb, 4):
        found.append(where("UNB interchange control reference (0020) is missing"))
    return found


def _unb_datetime(date: str, time: str) -> bool:
    """Whether ``strptime`` reads YYMMDD or CCYYMMDD and HHMM (its ``%y`` century rule), by
    hand for plain ASCII digits (``strptime`` costs more than the rest of the envelope)."""
    if len(date) not in (6, 8) or len(time) != 4:
        return False
    if not (date.isascii() and date.isdigit() and time.isascii() and time.isdigit()):
        try:  # other digits and blanks are as strptime's patterns take them
            datetime.strptime(date + time, ("%y" if len(date) == 6 else "%Y") + "%m%d%H%M")
        except ValueError:
            return False
        return True
    year = int(date[:-4])
    if len(date) == 6:
        year += 2000 if year <= 68 else 1900
    try:
        datetime(year, int(date[-4:-2]), int(date[-2:]), int(time[:2]), int(time[2:]))
    except ValueError:
        return False
    return True


class _Where(Protocol):
    def __call__(self, text: str) -> Finding: ...


def _count_check(
    seg: Segment, expected: int, what: str, reference: str, ref_name: str
) -> list[str]:
    """Problems with a trailer's count (element 1) and reference (element 2)."""
    found = []
    count = text_of(seg, 0)
    if count != str(expected):
        found.append(f"{seg.tag} says {count or 'nothing'} {what}, but there are {expected}")
    if text_of(seg, 1) != reference:
        found.append(
            f"{seg.tag} reference {text_of(seg, 1)!r} does not match the {ref_name} {reference!r}"
        )
    return found


class _Scanner:
    """The first pass: every envelope check, keeping findings but no message."""

    def __init__(self, cursor: Cursor):
        self.cursor = cursor
        self.plan = Plan()
        #: messages of the interchanges (or runs of bare messages) before the one being read
        self.done = 0
        self._last: int | None = None  # the latest message, while its findings may still grow
        #: UNH message reference → the number in the file of the first message of the
        #: interchange (or run of bare messages) being read that has it: a reference names one
        #: message there (bounded in memory: an interchange may hold hundreds of thousands)
        self.references = FirstSeen()

    @staticmethod
    def _at(seg: Segment, place: tuple[int, int], text: str) -> Finding:
        line, column = place
        return syntax_finding(
            f"segment {seg.tag}: {text}", kind="envelope", line=line, column=column
        )

    def here(self, text: str) -> Finding:
        """An envelope finding at the segment in hand."""
        seg = self.cursor.peek()
        assert seg is not None
        return self._at(seg, self.cursor.position(self.cursor.index), text)

    def read(self) -> Plan:
        cursor, plan = self.cursor, self.plan
        if cursor.peek() is None:
            plan.fatal = syntax_finding("no EDIFACT segment found", line=1, column=1)
            return plan
        while cursor.peek() is not None:
            if cursor.peek().tag == "UNA":  # type: ignore[union-attr]
                cursor.advance()
            seg = cursor.peek()
            if seg is not None and seg.tag == "UNH":
                self._bare()
                continue
            if seg is None or seg.tag != "UNB":
                if seg is None:
                    finding = self._last_where(
                        "an interchange must start with UNB (after an optional UNA), found "
                        "end of file"
                    )
                else:
                    finding = self.here(
                        "an interchange must start with UNB (after an optional UNA), found "
                        f"{seg.tag}"
                    )
                if not plan.count:
                    plan.fatal = finding
                else:
                    self._own(plan.count - 1).append(finding)
                return self._done()
            self._interchange()
        if not plan.count:
            first = cursor.first
            assert first is not None
            plan.fatal = self._at(
                first.segments[0],
                cursor.lines.position(first.offsets[0]),
                "the interchange holds no UNH message",
            )
        return self._done()

    def _last_where(self, text: str) -> Finding:
        """An envelope finding at the last segment of the file (the text is exhausted)."""
        block = self.cursor.block
        assert block is not None
        return self._at(block.segments[-1], self.cursor.lines.position(block.offsets[-1]), text)

    def _done(self) -> Plan:
        self._settle()
        return self.plan

    def _own(self, ordinal: int) -> list[Finding]:
        return self.plan.own.setdefault(ordinal, [])

    def _settle(self) -> None:
        """Forget the latest message's list of findings if it stayed empty."""
        if self._last is not None and not self.plan.own.get(self._last, True):
            del self.plan.own[self._last]
        self._last = None

    def _message(self) -> RawMessage:
        """Read the message whose UNH is in hand and check its UNH and UNT."""
        self._settle()
        plan = self.plan
        ordinal = plan.count
        plan.count += 1
        message = _raw_message(self.cursor, f"#{self.done + 1}", self._own(ordinal))
        self._last = ordinal
        unh = message.segments[0]
        reference = text_of(unh, 0)
        if not reference:
            plan.references[ordinal] = message.reference
            message.findings.append(
                message.finding(0, "UNH message reference (0062) is missing", kind="envelope")
            )
        elif len(reference) > MAX_REFERENCE:
            message.findings.append(
                message.finding(
                    0,
                    f"UNH message reference (0062) is longer than {MAX_REFERENCE} characters",
                    kind="envelope",
                )
            )
        if reference:
            # by number, not place: a place computed for every message would be kept for each
            first = self.references.first(reference, ordinal + 1)
            if first is not None:
                message.findings.append(
                    message.finding(
                        0,
                        f"UNH message reference (0062) {reference!r} is already that of "
                        f"message {first} of the file: each message of an interchange needs "
                        "its own reference",
                        kind="envelope",
                    )
                )
        identifier = message.identifier
        if len(identifier) < 4 or not all(identifier[:4]):
            message.findings.append(
                message.finding(
                    0,
                    "UNH message identifier (S009) must name type, version, release and agency, "
                    f"got {unh[1]!r}",
                    kind="envelope",
                )
            )
        if message.closed:
            segments = message.segments
            message.findings += [
                message.finding(len(segments) - 1, text, kind="envelope")
                for text in _count_check(
                    segments[-1],
                    len(segments),
                    "segments in the message",
                    reference,
                    "UNH message reference",
                )
            ]
        else:
            message.findings.append(
                message.finding(
                    len(message.segments) - 1, "message not closed by UNT", kind="envelope"
                )
            )
        return message

    def _bare(self) -> None:
        """Read UNH…UNT messages stored without UNB/UNZ (as many systems keep EDIFACT) up to
        the next interchange; each is read and checked, with a warning that the envelope is
        missing."""
        cursor = self.cursor
        messages = 0
        self.references = FirstSeen()
        while (seg := cursor.peek()) is not None and seg.tag not in ("UNA", "UNB"):
            if seg.tag == "UNH":
                message = self._message()
                line, column = message.span.position(message.start)
                message.findings.insert(
                    0,
                    RULES["EDIFACT-ENV-001"].finding(
                        "warn",
                        f"line {line}, column {column}: message {message.reference} has no "
                        "UNB…UNZ interchange envelope: sender, recipient and interchange "
                        "control reference are not checked",
                    ),
                )
                messages += 1
                continue
            finding = self.here("segment outside a UNH…UNT message")
            if messages:
                self._own(self.plan.count - 1).append(finding)
            cursor.advance()
        self.done = self.plan.count

    def _interchange(self) -> None:
        """Read UNB…UNZ from the UNB in hand."""
        cursor, plan = self.cursor, self.plan
        unb = cursor.peek()
        assert unb is not None
        unb_block, unb_index = cursor.block, cursor.index
        assert unb_block is not None

        def at_unb(text: str) -> Finding:
            # placed only when there is a finding: offsets are worked out per block
            offset = unb_block.offsets[unb_index - unb_block.start]
            return self._at(unb, cursor.lines.position(offset), text)

        common = _check_unb(unb, at_unb)
        reference = text_of(unb, 4)
        self.references = FirstSeen()
        first = plan.count
        groups = 0
        group: tuple[Segment, int] | None = None  # (UNG, messages in group)
        cursor.advance()
        while (seg := cursor.peek()) is not None:
            tag = seg.tag
            if tag == "UNH":
                self._message()
                if group is not None:
                    group = (group[0], group[1] + 1)
                continue
            if tag == "UNG":
                if group is not None:
                    common.append(self.here("UNG before the UNE of the previous group"))
                group = (seg, 0)
                groups += 1
            elif tag == "UNE":
                if group is None:
                    common.append(self.here("UNE without a UNG"))
                else:
                    common += [
                        self.here(text)
                        for text in _count_check(
                            seg,
                            group[1],
                            "messages in the group",
                            text_of(group[0], 4),
                            "UNG group reference",
                        )
                    ]
                group = None
            elif tag == "UNZ":
                if group is not None:
                    common.append(self.here("UNZ before the UNE closing the group"))
                expected = groups if groups else plan.count - first
                what = "groups" if groups else "messages"
                common += [
                    self.here(text)
                    for text in _count_check(
                        seg, expected, what, reference, "UNB control reference"
                    )
                ]
                cursor.advance()
                break
            elif tag in ("UNB", "UNA"):
                common.append(self.here("UNZ missing before the next interchange"))
                break
            else:
                common.append(self.here("segment outside a UNH…UNT message"))
            cursor.advance()
        else:
            common.append(self._last_where("interchange not closed by UNZ"))
        if plan.count == first and not first:
            plan.fatal = common[0] if common else at_unb("the interchange holds no UNH message")
        if common and plan.count > first:
            plan.common.append((first, plan.count, common))
        self.done = plan.count


def scan(blocks: Iterable[Block], lines: Lines) -> Plan:
    """The first pass over a file's segments (``blocks(light=True)`` will do): every envelope
    count and reference checked, the findings kept, the messages counted but not kept."""
    return _Scanner(Cursor(blocks, lines)).read()


def cut(blocks: Iterable[Block], lines: Lines, plan: Plan) -> Iterator[RawMessage]:
    """The second pass: the file's messages one at a time, each with its envelope findings
    from ``plan`` (the :func:`scan` of the same text)."""
    cursor = Cursor(blocks, lines)
    for ordinal in range(plan.count):
        while (seg := cursor.peek()) is not None and seg.tag != "UNH":
            cursor.advance()
        if seg is None:
            return
        yield _raw_message(
            cursor, plan.references.get(ordinal, f"#{ordinal + 1}"), plan.findings(ordinal)
        )


def read_envelope(tokens: Tokens) -> Envelope:
    """Cut the file's segments into messages and check every envelope count and reference."""
    plan = scan(tokens.blocks, tokens.lines)
    return Envelope(messages=list(cut(tokens.blocks, tokens.lines, plan)), fatal=plan.fatal)
