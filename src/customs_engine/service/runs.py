"""One validation run for the service: an uploaded or watched file through the engine.

The run is :func:`customs_engine.core.batch.runner.run` with the inputs of
:func:`customs_engine.core.batch.inputs.iter_file` — the machinery of ``customs validate``, with its
archive protections (traversal, links, size and ratio bounds, no nesting) — so the messages of one
request or file see each other as in one CLI run (an IGM earlier in an archive notes a later Bill
of Entry; a second Bill of Entry sees the first one's debit).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from customs_engine.core.batch.inputs import InputFile, Limits, iter_file
from customs_engine.core.batch.runner import run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry.store import SqlRegistry
from customs_engine.core.response import Response

#: media type of each output format (anything else is sent as bytes)
MEDIA_TYPES = {
    "json": "application/json",
    "jsonl": "application/jsonl",
    "text": "text/plain",
    "csv": "text/csv",
    "junit": "application/xml",
    "xml": "application/xml",
    "cusres": "application/edifact",
    "ices-ack": "text/plain",
    "scmtr-sfl": "application/jsonl",
    "scmtr-ack": "application/jsonl",
}


class Collector:
    """A response writer that keeps the responses (a request's answer is a handful)."""

    def __init__(self) -> None:
        self.responses: list[Response] = []

    def write(self, response: Response) -> None:
        self.responses.append(response)

    def close(self) -> None:
        pass


@dataclass
class Validator:
    """The engine's plugins and registry, shared by every run of one process."""

    host: PluginHost
    registry: SqlRegistry
    limits: Limits = field(default_factory=Limits.from_env)
    config: dict[str, Any] = field(default_factory=dict)

    def engine(self, *, as_of: date | None = None, commit: bool = False) -> Engine:
        """The engine of one run: a registry snapshot for its checks, a fresh run state."""
        ctx = CheckContext(registry=self.registry.snapshot(), as_of=as_of, config=self.config)
        return Engine(self.host, ctx, RunState(self.registry, commit=commit))

    def run_files(
        self,
        files: Iterable[InputFile],
        *,
        as_of: date | None = None,
        commit: bool = False,
        engine: Engine | None = None,
    ) -> list[Response]:
        """Validate ``files`` as one run; with ``commit`` each message is committed as it
        completes (a :class:`~customs_engine.core.ledger.run_state.LedgerError` stops the run)."""
        engine = engine or self.engine(as_of=as_of, commit=commit)
        collector = Collector()
        run(engine, files, collector)
        return collector.responses

    def run_path(
        self, path: str, name: str, *, as_of: date | None = None, commit: bool = False
    ) -> list[Response]:
        """One file on disk shown as ``name``: a message file, or an archive read exactly as
        ``customs validate`` reads it — its manifests first, then the rest — so a Bill of Entry
        packed before its IGM is noted against it all the same."""
        engine = self.engine(as_of=as_of, commit=commit)
        files = iter_file(path, name, self.limits, is_manifest=engine.is_manifest)
        return self.run_files(files, engine=engine)

    def render(self, responses: Sequence[Response], fmt: str) -> bytes:
        """The responses in an output format, exactly as ``customs validate --format`` writes."""
        stream = io.BytesIO()
        writer = self.host.response_writer(fmt, stream)
        if writer is None:
            raise ValueError(f"no loaded plugin writes {fmt}")
        for response in responses:
            writer.write(response)
        writer.close()
        return stream.getvalue()
