"""Service segments: UNA/UNB…UNZ interchanges, UNG/UNE groups and UNH…UNT messages.

pydifact checks none of the counts and references and knows no functional groups; this module
cuts the segment stream into messages and reports every envelope problem as a finding on the
messages it concerns, so a wrong UNT count still leaves the message readable.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from pydifact.segments import Segment

from customs_engine.adapters.edifact.catalogue import RULES
from customs_engine.adapters.edifact.elements import component, text_of
from customs_engine.adapters.edifact.references import MAX_REFERENCE
from customs_engine.adapters.edifact.tokenizer import Tokens
from customs_engine.core.formats import SyntaxKind, syntax_finding
from customs_engine.core.response import Finding

SERVICE_TAGS = frozenset({"UNA", "UNB", "UNG", "UNH", "UNT", "UNE", "UNZ"})


@dataclass
class RawMessage:
    """One UNH…UNT message: its segments (UNH and UNT included) with their positions."""

    reference: str
    identifier: list[str]
    segments: list[Segment]
    tokens: Tokens
    start: int  # index of the UNH in ``tokens``
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
    ) -> Finding:
        """A syntax finding of this kind that names this message, the segment and where it
        stands."""
        index = min(max(index, 0), len(self.segments) - 1)
        tag = self.segments[index].tag
        line, column = self.tokens.position(self.start + index)
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


def _where(tokens: Tokens, index: int, text: str) -> Finding:
    """An envelope finding (CORE-SYNTAX-002) at a service segment outside any message."""
    seg = tokens.segments[index]
    line, column = tokens.position(index)
    return syntax_finding(f"segment {seg.tag}: {text}", kind="envelope", line=line, column=column)


def _check_unb(tokens: Tokens, index: int) -> list[Finding]:
    unb = tokens.segments[index]
    found = []
    syntax = component(unb, 0, 0), component(unb, 0, 1)
    if not syntax[0] or not syntax[1].isdecimal():
        found.append(
            _where(
                tokens, index, f"UNB syntax identifier (S001) must be like UNOC:3, got {unb[0]!r}"
            )
        )
    date, time = component(unb, 3, 0), component(unb, 3, 1)
    formats = {6: "%y%m%d", 8: "%Y%m%d"}
    try:
        if len(date) not in formats or len(time) != 4:
            raise ValueError
        datetime.strptime(date + time, formats[len(date)] + "%H%M")
    except ValueError:
        found.append(
            _where(
                tokens,
                index,
                "UNB date/time of preparation (S004) must be "
                f"YYMMDD:HHMM or CCYYMMDD:HHMM, got {unb[3]!r}",
            )
        )
    if not text_of(unb, 4):
        found.append(_where(tokens, index, "UNB interchange control reference (0020) is missing"))
    return found


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


class _Reader:
    def __init__(self, tokens: Tokens):
        self.tokens = tokens
        self.segs = tokens.segments
        self.envelope = Envelope()
        self.service = [i for i, seg in enumerate(self.segs) if seg.tag in SERVICE_TAGS]

    def read(self) -> Envelope:
        i, n = 0, len(self.segs)
        if n == 0:
            self.envelope.fatal = syntax_finding("no EDIFACT segment found", line=1, column=1)
            return self.envelope
        while i < n:
            if self.segs[i].tag == "UNA":
                i += 1
            if i < n and self.segs[i].tag == "UNH":
                i = self._bare(i)
                continue
            if i >= n or self.segs[i].tag != "UNB":
                at = min(i, n - 1)
                tag = self.segs[at].tag if i < n else "end of file"
                finding = _where(
                    self.tokens,
                    at,
                    f"an interchange must start with UNB (after an optional UNA), found {tag}",
                )
                if not self.envelope.messages:
                    self.envelope.fatal = finding
                else:
                    self.envelope.messages[-1].findings.append(finding)
                return self.envelope
            i = self._interchange(i)
        if not self.envelope.messages:
            self.envelope.fatal = _where(self.tokens, 0, "the interchange holds no UNH message")
        return self.envelope

    def _bare(self, start: int) -> int:
        """Read UNH…UNT messages stored without UNB/UNZ (as many systems keep EDIFACT) up to
        the next interchange; each is read and checked, with a warning that the envelope is
        missing."""
        segs, i = self.segs, start
        messages: list[RawMessage] = []
        while i < len(segs) and segs[i].tag not in ("UNA", "UNB"):
            if segs[i].tag == "UNH":
                message, i = self._message(i)
                line, column = self.tokens.position(message.start)
                message.findings.insert(
                    0,
                    RULES["EDIFACT-ENV-001"].finding(
                        "warn",
                        f"line {line}, column {column}: message {message.reference} has no "
                        "UNB…UNZ interchange envelope: sender, recipient and interchange "
                        "control reference are not checked",
                    ),
                )
                messages.append(message)
                continue
            finding = _where(self.tokens, i, "segment outside a UNH…UNT message")
            (messages[-1].findings if messages else []).append(finding)
            i += 1
        self.envelope.messages += messages
        return i

    def _interchange(self, start: int) -> int:
        """Read UNB…UNZ from ``start``; return the index after it."""
        segs, tokens = self.segs, self.tokens
        unb = segs[start]
        common = _check_unb(tokens, start)
        reference = text_of(unb, 4)
        messages: list[RawMessage] = []
        groups = 0
        group: tuple[int, int] | None = None  # (UNG index, messages in group)
        i = start + 1
        while i < len(segs):
            tag = segs[i].tag
            if tag == "UNH":
                message, i = self._message(i)
                messages.append(message)
                if group is not None:
                    group = (group[0], group[1] + 1)
                continue
            if tag == "UNG":
                if group is not None:
                    common.append(_where(tokens, i, "UNG before the UNE of the previous group"))
                group = (i, 0)
                groups += 1
            elif tag == "UNE":
                if group is None:
                    common.append(_where(tokens, i, "UNE without a UNG"))
                else:
                    common += [
                        _where(tokens, i, text)
                        for text in _count_check(
                            segs[i],
                            group[1],
                            "messages in the group",
                            text_of(segs[group[0]], 4),
                            "UNG group reference",
                        )
                    ]
                group = None
            elif tag == "UNZ":
                if group is not None:
                    common.append(_where(tokens, i, "UNZ before the UNE closing the group"))
                expected = groups if groups else len(messages)
                what = "groups" if groups else "messages"
                common += [
                    _where(tokens, i, text)
                    for text in _count_check(
                        segs[i], expected, what, reference, "UNB control reference"
                    )
                ]
                i += 1
                break
            elif tag in ("UNB", "UNA"):
                common.append(_where(tokens, i, "UNZ missing before the next interchange"))
                break
            else:
                common.append(_where(tokens, i, "segment outside a UNH…UNT message"))
            i += 1
        else:
            last = len(segs) - 1
            common.append(_where(tokens, last, "interchange not closed by UNZ"))
        if not messages and not self.envelope.messages:
            self.envelope.fatal = (
                common[0]
                if common
                else _where(tokens, start, "the interchange holds no UNH message")
            )
        for message in messages:
            message.findings[:0] = common
        self.envelope.messages += messages
        return i

    def _message(self, start: int) -> tuple[RawMessage, int]:
        segs, tokens = self.segs, self.tokens
        unh = segs[start]
        reference = text_of(unh, 0)
        identifier = [c for c in (unh[1] if isinstance(unh[1], list) else [unh[1] or ""])]
        # the message runs to the next service segment: UNT closes it, anything else cuts it
        following = bisect_right(self.service, start)
        end = self.service[following] if following < len(self.service) else len(segs)
        closed = end < len(segs) and segs[end].tag == "UNT"
        if closed:
            end += 1
        message = RawMessage(
            reference=reference[:MAX_REFERENCE] or f"#{len(self.envelope.messages) + 1}",
            identifier=identifier,
            segments=segs[start:end],
            tokens=tokens,
            start=start,
            decimal_mark=tokens.characters[start].decimal_point,
            closed=closed,
        )
        if not reference:
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
        if len(identifier) < 4 or not all(identifier[:4]):
            message.findings.append(
                message.finding(
                    0,
                    "UNH message identifier (S009) must name type, version, release and agency, "
                    f"got {unh[1]!r}",
                    kind="envelope",
                )
            )
        if closed:
            unt_index = end - start - 1
            message.findings += [
                message.finding(unt_index, text, kind="envelope")
                for text in _count_check(
                    segs[end - 1],
                    end - start,
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
        return message, end


def read_envelope(tokens: Tokens) -> Envelope:
    """Cut the file's segments into messages and check every envelope count and reference."""
    return _Reader(tokens).read()
