"""Bytes → one :class:`ParsedMessage` per UNH…UNT message."""

from __future__ import annotations

from customs_engine.adapters.edifact.cuscar import CuscarReader
from customs_engine.adapters.edifact.cusdec import CusdecReader
from customs_engine.adapters.edifact.envelope import Envelope, RawMessage, read_envelope
from customs_engine.adapters.edifact.reading import MessageReader
from customs_engine.adapters.edifact.structure import check_lengths, validate
from customs_engine.adapters.edifact.tokenizer import (
    EdifactSyntaxError,
    Tokens,
    decode,
    paused_gc,
    tokenize,
)
from customs_engine.core.formats import ParsedMessage, unparsable
from customs_engine.core.response import Finding, MessageType

FORMAT = "edifact"
#: (type, directory version) → (structure tree, reader, canonical message type)
MIG: dict[tuple[str, str], tuple[str, type[MessageReader], MessageType]] = {
    ("CUSDEC", "D:96B:UN"): ("CUSDEC_D96B", CusdecReader, "bill_of_entry"),
    ("CUSCAR", "D:95B:UN"): ("CUSCAR_D95B", CuscarReader, "manifest"),
}


def read(data: bytes, source: str = "") -> list[ParsedMessage]:
    """Parse a whole EDIFACT file; never raises."""
    try:
        with paused_gc():
            return _read(data)
    except Exception as exc:  # a bug here must still give the message a response
        return [unparsable(FORMAT, f"EDIFACT adapter error: {type(exc).__name__}: {exc}")]


def ingest(text: str) -> tuple[Tokens, Envelope]:
    """Text → segments (pydifact ``Segment`` objects) cut into checked messages."""
    with paused_gc():
        tokens = tokenize(text)
        return tokens, read_envelope(tokens)


def _read(data: bytes) -> list[ParsedMessage]:
    try:
        tokens = tokenize(decode(data))
    except EdifactSyntaxError as exc:
        return [unparsable(FORMAT, exc.message, line=exc.line, column=exc.column)]
    envelope = read_envelope(tokens)
    if envelope.fatal is not None:
        return [ParsedMessage(index=0, format=FORMAT, type="unknown", findings=[envelope.fatal])]
    return [_message(raw, index) for index, raw in enumerate(envelope.messages)]


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
    findings += [
        raw.finding(p.index, p.text, kind="structure") for p in validate(raw.segments, tree)
    ]
    findings += [raw.finding(p.index, p.text) for p in check_lengths(raw.segments)]
    reader = reader_class(raw)
    message = reader.read()
    findings += reader.findings
    return ParsedMessage(
        index=index,
        format=FORMAT,
        type=kind if message else "unknown",
        reference=raw.reference,
        message=message,
        findings=_once(findings),
    )


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
