"""Bytes → :class:`ParsedMessage` list: one message per HREC … TREC envelope of the file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from customs_engine.adapters.ices_flatfile import FORMAT, cachi01, sachi01, settings
from customs_engine.adapters.ices_flatfile.catalogue import RULES
from customs_engine.adapters.ices_flatfile.records import Envelope, read_envelopes
from customs_engine.core.formats import ParsedMessage, syntax_finding, unparsable
from customs_engine.core.response import MessageType


def read(
    data: bytes, source: str, config: Mapping[str, Mapping[str, Any]] | None = None
) -> list[ParsedMessage]:
    try:
        return parse(data, config)
    except Exception as exc:  # a reader bug must still yield a response naming the file
        return [
            unparsable(
                FORMAT, f"the ices_flatfile reader failed on {source}: {type(exc).__name__}: {exc}"
            )
        ]


def parse(data: bytes, config: Mapping[str, Mapping[str, Any]] | None) -> list[ParsedMessage]:
    """Like :func:`read` without the last-resort guard (fuzzing calls this to see real bugs)."""
    options = settings.load(config)
    envelopes, stray = read_envelopes(data)
    if not envelopes:
        findings = stray or [syntax_finding("no HREC … TREC message found", line=1)]
        return [ParsedMessage(index=0, format=FORMAT, type="unknown", findings=findings)]
    out = []
    for index, envelope in enumerate(envelopes):
        if index == 0:
            envelope.findings[:0] = stray
        envelope.findings.extend(syntax_finding(text) for text in options.problems)
        out.append(_message(index, envelope, options))
    return out


def _message(index: int, envelope: Envelope, options: settings.Settings) -> ParsedMessage:
    kind: MessageType
    if envelope.dialect == "cachi01":
        model: Any = cachi01.to_bill_of_entry(envelope, options)
        reference, kind = cachi01.message_id(envelope), "bill_of_entry"
    else:
        model = sachi01.to_manifest(envelope, options)
        reference, kind = sachi01.message_id(envelope), "manifest"
    if model is None:
        kind = "unknown"
    findings = list(envelope.findings)
    if envelope.signature is not None:
        findings.append(
            RULES["ICES-SIG-001"].finding(
                "info",
                f"line {envelope.signature.line}: the file is digitally signed (signer "
                f"version {envelope.signature.signer_version or 'not given'}); the "
                "signature is not verified",
                field=f"signature[line {envelope.signature.line}]",
            )
        )
    return ParsedMessage(
        index=index, format=FORMAT, type=kind, reference=reference, message=model, findings=findings
    )
