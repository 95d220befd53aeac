"""One validation run for the service: an uploaded or watched file through the engine.

The run is :func:`customs_engine.core.batch.runner.run` with the inputs of
:func:`customs_engine.core.batch.inputs.iter_file` — the machinery of ``customs validate``, with its
archive protections (traversal, links, size and ratio bounds, no nesting) — so the messages of one
request or file see each other as in one CLI run (an IGM earlier in an archive notes a later Bill
of Entry; a second Bill of Entry sees the first one's debit).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, func, select
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from customs_engine.core.batch.inputs import InputFile, Limits, iter_file
from customs_engine.core.batch.runner import run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.ledger.run_state import LedgerError, RunState
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry.records import MemoryRegistry
from customs_engine.core.registry.store import SqlRegistry
from customs_engine.core.registry.tables import RecordRow
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
    #: the registry's reference rows as last read, with the fingerprint they were read at
    _reference: tuple[tuple[int, int | None], MemoryRegistry] | None = field(
        default=None, init=False, repr=False
    )

    def reference(self, bind: SqlEngine | Connection) -> MemoryRegistry:
        """The reference rows checks read (licences, agencies, rates): read once per process,
        and again whenever they changed — their count or their highest row id moved, as every
        ``customs registry import`` (new rows, replaced rows) moves one. Reading every row on
        every request would cost a large registry seconds per request."""
        with Session(bind) as session:
            count, highest = session.execute(
                select(func.count(RecordRow.id), func.max(RecordRow.id))
            ).one()
        fingerprint = (int(count), highest)
        cached = self._reference
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        # read after the fingerprint: never older than it (a newer one is read again next time)
        snapshot = SqlRegistry(cast(SqlEngine, bind)).snapshot()
        self._reference = (fingerprint, snapshot)
        return snapshot

    @contextmanager
    def engine(self, *, as_of: date | None = None, commit: bool = False) -> Iterator[Engine]:
        """The engine of one run: the reference rows, and a fresh run state over the ledger.

        A run that commits nothing reads the ledger through one connection in one read
        transaction (one consistent view, and none of the per-read connection checkout,
        BEGIN and ROLLBACK of about fourteen reads a Bill of Entry makes); a committing run
        reads and commits through the registry as ``customs validate --commit`` does."""
        try:
            if commit:
                ctx = CheckContext(
                    registry=self.reference(self.registry.engine), as_of=as_of, config=self.config
                )
                yield Engine(self.host, ctx, RunState(self.registry, commit=True))
                return
            with self.registry.engine.connect() as connection, connection.begin():
                ctx = CheckContext(
                    registry=self.reference(connection), as_of=as_of, config=self.config
                )
                # SqlRegistry's reads open a Session on what it is given: on this connection
                # they join its transaction (it never commits through it)
                reader = SqlRegistry(cast(SqlEngine, connection))
                yield Engine(self.host, ctx, RunState(reader))
        except SQLAlchemyError as exc:  # the reads before the run, or closing the connection
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise LedgerError(f"registry database failed: {reason}") from exc

    def run_files(
        self, files: Iterable[InputFile], *, as_of: date | None = None, commit: bool = False
    ) -> list[Response]:
        """Validate ``files`` as one run; with ``commit`` each message is committed as it
        completes (a :class:`~customs_engine.core.ledger.run_state.LedgerError` stops the run)."""
        with self.engine(as_of=as_of, commit=commit) as engine:
            return self._run(engine, files)

    def run_path(
        self, path: str, name: str, *, as_of: date | None = None, commit: bool = False
    ) -> list[Response]:
        """One file on disk shown as ``name``: a message file, or an archive read exactly as
        ``customs validate`` reads it — its manifests first, then the rest — so a Bill of Entry
        packed before its IGM is noted against it all the same."""
        with self.engine(as_of=as_of, commit=commit) as engine:
            files = iter_file(path, name, self.limits, is_manifest=engine.is_manifest)
            return self._run(engine, files)

    @staticmethod
    def _run(engine: Engine, files: Iterable[InputFile]) -> list[Response]:
        collector = Collector()
        run(engine, files, collector)
        return collector.responses

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
