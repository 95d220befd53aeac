"""Bytes → one :class:`ParsedMessage` per UNH…UNT message, handed on one at a time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator

from pydifact.segments import Segment

from customs_engine.adapters.edifact.cuscar import CuscarReader
from customs_engine.adapters.edifact.cusdec import CusdecReader
from customs_engine.adapters.edifact.elements import text_of
from customs_engine.adapters.edifact.envelope import (
    Envelope,
    RawMessage,
    Span,
    cut,
    read_envelope,
    scan,
)
from customs_engine.adapters.edifact.reading import MessageReader
from customs_engine.adapters.edifact.structure import check_lengths, validate
from customs_engine.adapters.edifact.tokenizer import (
    BLOCK_CHARS,
    Block,
    EdifactSyntaxError,
    Lines,
    Tokens,
    blocks,
    decode,
    paused_gc,
    tokenize,
)
from customs_engine.core.formats import ParsedMessage, SyntaxKind, unparsable
from customs_engine.core.response import Finding, MessageType

FORMAT = "edifact"
#: (type, directory version) → (structure tree, reader, canonical message type)
MIG: dict[tuple[str, str], tuple[str, type[MessageReader], MessageType]] = {
    ("CUSDEC", "D:96B:UN"): ("CUSDEC_D96B", CusdecReader, "bill_of_entry"),
    ("CUSCAR", "D:95B:UN"): ("CUSCAR_D95B", CuscarReader, "manifest"),
}
#: a text up to this long is split into segments once and kept for both passes; a longer one is
#: split again for the second pass, block by block, so it is never held as segments whole
WHOLE_CHARS = 4 * BLOCK_CHARS


def read(data: bytes, source: str = "") -> list[ParsedMessage]:
    """Parse a whole EDIFACT file; never raises."""
    return list(messages(data, source))


def messages(data: bytes, source: str = "") -> Iterator[ParsedMessage]:
    """Every message of an EDIFACT file in order, one at a time; never raises.

    A first pass checks the syntax of every segment and the envelope (counts and references
    of interchanges, groups and messages), so a file that cannot be split into segments is one
    unreadable message as before, and an interchange's problems reach every one of its
    messages; the second pass reads, maps and hands on one message at a time, so memory does not
    grow with the number of messages in the file.
    """
    light: Iterable[Block]
    full: Iterable[Block]
    try:
        # a large ASCII file is split from its bytes, decoded a window at a time (one byte a
        # character): it is not held a second time as text
        large = isinstance(data, bytes) and len(data) > WHOLE_CHARS
        text = data if large and data.isascii() else decode(data)
        if isinstance(text, str) and len(text) <= WHOLE_CHARS:
            with paused_gc():
                tokens = tokenize(text)
            lines, light, full = tokens.lines, tokens.blocks, tokens.blocks
        else:
            lines = Lines(text)
            light, full = blocks(text, light=True, lines=lines), blocks(text, lines=lines)
        plan = scan(light, lines)
    except EdifactSyntaxError as exc:
        yield unparsable(FORMAT, exc.message, line=exc.line, column=exc.column)
        return
    except Exception as exc:  # a bug here must still give the message a response
        yield _adapter_error(exc)
        return
    if plan.fatal is not None:
        yield ParsedMessage(index=0, format=FORMAT, type="unknown", findings=[plan.fatal])
        return
    index = 0
    try:
        for raw in cut(full, lines, plan):
            with paused_gc():
                parsed = _message(raw, index)
            yield parsed
            index += 1
    except Exception as exc:  # the messages before it were handed on already
        yield _adapter_error(exc, index)


def _adapter_error(exc: Exception, index: int = 0) -> ParsedMessage:
    return unparsable(FORMAT, f"EDIFACT adapter error: {type(exc).__name__}: {exc}", index=index)


def ingest(text: str) -> tuple[Tokens, Envelope]:
    """Text → segments (pydifact ``Segment`` objects) cut into checked messages."""
    with paused_gc():
        tokens = tokenize(text)
        return tokens, read_envelope(tokens)


def _message(raw: RawMessage, index: int) -> ParsedMessage:
    mig = MIG.get((raw.type, raw.version))
    if mig is None:
        raw.findings.append(
            raw.finding(
                0,
                f"{raw.type or '?'} {raw.version or '?'} is not covered by our message "
                "implementation guide (CUSDEC D:96B:UN, CUSCAR D:95B:UN)",
                kind="version",
            )
        )
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=raw.reference,
            findings=raw.findings,
        )
    if not raw.closed:
        # truncated: the envelope finding says so; the guide's checks of what is left would
        # only pile up consequences of the cut (missing UNS, UNT, CNT …)
        return ParsedMessage(
            index=index,
            format=FORMAT,
            type="unknown",
            reference=raw.reference,
            findings=raw.findings,
        )
    tree, reader_class, kind = mig
    findings = list(raw.findings)
    problems: list[tuple[int, str, SyntaxKind]] = [
        (p.index, p.text, "structure") for p in validate(raw.segments, tree)
    ]
    problems += [
        (p.index, p.text, p.kind) for p in check_lengths(raw.segments, tree.rpartition("_")[2])
    ]
    if problems:
        item_of = _items(raw.segments, ITEM_TAGS[kind])
        findings += [
            raw.finding(index, text, kind=fault, item=item_of(index))
            for index, text, fault in problems
        ]
    findings += _controls(raw)
    reader = reader_class(raw)
    message = reader.read()
    findings += reader.findings
    if message is None and not findings:
        # never an answer without a reason: a mandatory value whose segment stands where the
        # structure allows it but the guide does not read it (a header's LOC+22 in an item)
        findings += [
            raw.finding(
                index,
                f"mandatory {what} is not read here: the message implementation guide reads it "
                "in the message header",
                kind="structure",
                field=field,
            )
            for what, field, index in reader.unread
        ] or [
            raw.finding(
                0,
                f"the {kind.replace('_', ' ')} cannot be read: a mandatory value is not where "
                "the message implementation guide reads it",
                kind="structure",
            )
        ]
    return ParsedMessage(
        index=index,
        format=FORMAT,
        type=kind if message else "unknown",
        reference=raw.reference,
        message=message,
        findings=_once(findings),
    )


#: the segment that starts a goods item (CUSDEC) or a manifest line (CUSCAR), its number first
ITEM_TAGS: dict[MessageType, str] = {"bill_of_entry": "CST", "manifest": "CNI"}


def _items(segments: list[Segment], tag: str) -> Callable[[int], int | None]:
    """Segment index → the number of the item (or manifest line) it belongs to: from its
    ``CST``/``CNI`` to the next one, or to the summary section (``UNS``); ``None`` for the
    header, the summary and an item whose number does not read."""
    starts: list[tuple[int, int | None]] = []
    for index, seg in enumerate(segments):
        if seg.tag == tag:
            number = text_of(seg, 0)
            starts.append((index, int(number) if number.isdecimal() else None))
        elif seg.tag == "UNS" and starts:
            starts.append((index, None))

    def item_of(index: int) -> int | None:
        at = bisect_right(starts, index, key=lambda start: start[0]) - 1
        return starts[at][1] if at >= 0 else None

    return item_of


def _controls(raw: RawMessage) -> list[Finding]:
    """A finding at each segment of the message whose data holds a control character."""
    span = raw.span
    if not isinstance(span, Span):
        return []
    found = []
    end = raw.start + len(raw.segments)
    for block in span.blocks:
        for at, offset, char in block.controls():
            if raw.start <= block.start + at < end:
                found.append(
                    raw.finding(
                        block.start + at - raw.start,
                        f"the control character U+{ord(char):04X} is not allowed in data: no "
                        "EDIFACT character repertoire (ISO 9735) carries control characters"
                        if ord(char) < 0x100
                        else f"the noncharacter U+{ord(char):04X} is not allowed in data: it is "
                        "no character of any repertoire, and XML cannot carry it",
                        at=span.lines.position(offset),
                    )
                )
    return found


def _once(findings: list[Finding]) -> list[Finding]:
    """One finding per problem: the same rule, place and text is reported once."""
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for finding in findings:
        key = (finding.rule, finding.item, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
