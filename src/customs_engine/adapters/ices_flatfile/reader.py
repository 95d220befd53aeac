"""Bytes → :class:`ParsedMessage` list: one message per HREC … TREC envelope of the file.

An envelope whose header cannot be read, and lines before the first HREC, are a message of their
own (type unknown, with the findings that say why): their findings never land on another
message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from customs_engine.adapters.ices_flatfile import (
    FORMAT,
    MESSAGE_ID_LENGTH,
    cachi01,
    sachi01,
    settings,
)
from customs_engine.adapters.ices_flatfile.catalogue import RULES
from customs_engine.adapters.ices_flatfile.records import Envelope, Unread, read_envelopes
from customs_engine.core.formats import ParsedMessage, syntax_finding, unparsable, wide_encoding
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
    if (wide := wide_encoding(data)) is not None:
        said = f"the file is {wide} text: an ICES 1.5 flat file is ASCII text; save it as ASCII"
        return [unparsable(FORMAT, said, line=1, column=1)]
    options = settings.load(config)
    parts = read_envelopes(data) or [
        Unread([syntax_finding("no HREC … TREC message found", line=1)])
    ]
    out = []
    for index, part in enumerate(parts):
        part.findings.extend(syntax_finding(text) for text in options.problems)
        if isinstance(part, Unread):
            out.append(
                ParsedMessage(index=index, format=FORMAT, type="unknown", findings=part.findings)
            )
        else:
            out.append(_message(index, part, options))
    return out


def _message(index: int, envelope: Envelope, options: settings.Settings) -> ParsedMessage:
    kind: MessageType
    model: Any = None
    if envelope.dialect == "cachi01":
        reference, kind = cachi01.message_id(envelope), "bill_of_entry"
    else:
        reference, kind = sachi01.message_id(envelope), "manifest"
    if len(reference) > MESSAGE_ID_LENGTH:
        # cut, it could be another message's id: the document is not made
        header = envelope.header
        name, position, value = max(
            ("control number", 10, header.control_no),
            ("receiver", 5, header.receiver),
            key=lambda part: len(part[2]),
        )
        envelope.problem(
            f"the message id {reference[:MESSAGE_ID_LENGTH]}… would have {len(reference)} "
            f"characters, more than {MESSAGE_ID_LENGTH}: the {name} has {len(value)}",
            table="HREC",
            line=header.line,
            position=position,
            kind="envelope",
        )
    elif envelope.dialect == "cachi01":
        model = cachi01.to_bill_of_entry(envelope, options)
    else:
        model = sachi01.to_manifest(envelope, options)
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
