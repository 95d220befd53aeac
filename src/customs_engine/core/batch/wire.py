"""What travels between the main process and the worker processes of a ``-jN`` run.

Two costs decide how much a second core gains, and both fall on the main process, which also runs
every stateful step:

* **Rebuilding objects.** Unpickling the canonical model costs more than the checks the main
  process runs on it: a 10-item Bill of Entry is some hundred pydantic objects, each rebuilt by a
  Python-level ``__setstate__``. So the message and the findings travel as the JSON pydantic
  writes for them and are rebuilt by pydantic-core's validator in one call, without a Python
  frame per object (figures in ``benchmarks/RESULTS.md``). Fees, claims and routing are few and
  stay pickled as they are, so their exact values (``Decimal`` places included, which the
  response's money format would round) are kept. Only the message the checks saw travels: the
  valued copy (:attr:`Assessment.message`) when the engine made one, else the parsed message; it
  arrives as :attr:`ParsedMessage.message`, which is what :meth:`Engine.complete
  <customs_engine.core.engine.Engine.complete>` reads when the assessment carries no message of
  its own (the submission key was computed before the journey).
* **Pipes.** A pipe holds 64 KiB and an uncompressed batch of files or results is larger. The
  writer then waits, chunk by chunk, for the reader — and on the main process's side the reading
  and writing threads of :mod:`concurrent.futures` each need the interpreter lock that the main
  thread holds while it checks. Compressed with LZ4 (far cheaper than zlib's fastest level;
  figures in ``benchmarks/RESULTS.md``) a batch passes in one write.
"""

from __future__ import annotations

import pickle
from typing import Any

import lz4.block
from pydantic import TypeAdapter

from customs_engine.core.engine import Assessment
from customs_engine.core.formats import ParsedMessage
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest, Message
from customs_engine.core.response import AuthorisationClaim, Fee, Finding, Routing

__all__ = ["Packed", "compress", "decompress", "pack", "unpack"]

#: one message on the wire: the parsed message's index, format, type, reference and echo; the
#: assessment's fees, claims, routing, key and the message as the plugins were given it (to
#: find a plugin that changed it); and, as JSON, both lists of findings and the message
Packed = tuple[
    int,
    str,
    str,
    str | None,
    dict[str, Any] | None,
    list[Fee],
    list[AuthorisationClaim],
    Routing | None,
    str | None,
    bytes | None,
    bytes,
]

_JSON: TypeAdapter[tuple[list[Finding], list[Finding], BillOfEntry | ImportGeneralManifest | None]]
_JSON = TypeAdapter(tuple[list[Finding], list[Finding], Message | None])


def pack(parsed: ParsedMessage, assessment: Assessment) -> Packed:
    message = assessment.message or parsed.message
    return (
        parsed.index,
        parsed.format,
        parsed.type,
        parsed.reference,
        parsed.echo,
        assessment.fees,
        assessment.claims,
        assessment.routing,
        assessment.key,
        assessment.given,
        _JSON.dump_json((parsed.findings, assessment.findings, message)),
    )


def unpack(packed: Packed) -> tuple[ParsedMessage, Assessment]:
    index, format, type_, reference, echo, fees, claims, routing, key, given, json = packed
    parsed_findings, findings, message = _JSON.validate_json(json)
    # validated on the worker's side already: rebuilt without validating again
    return (
        ParsedMessage.model_construct(
            index=index,
            format=format,
            type=type_,
            reference=reference,
            message=message,
            findings=parsed_findings,
            echo=echo,
        ),
        Assessment.model_construct(
            findings=findings,
            fees=fees,
            claims=claims,
            routing=routing,
            message=None,
            key=key,
            given=given,
        ),
    )


def compress(value: Any) -> bytes:
    """``value`` pickled and compressed, small enough to pass a pipe in one write."""
    return lz4.block.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def decompress(data: bytes) -> Any:
    """The value :func:`compress` was given (only ever bytes this run's own processes made)."""
    return pickle.loads(lz4.block.decompress(data))
