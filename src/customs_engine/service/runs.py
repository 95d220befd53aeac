"""One validation run for the service: an uploaded or watched file through the engine.

The run is :func:`customs_engine.core.batch.runner.run` with the inputs of
:func:`customs_engine.core.batch.inputs.iter_file` — the machinery of ``customs validate``, with its
archive protections (traversal, links, size and ratio bounds, no nesting) — so the messages of one
request or file see each other as in one CLI run (an IGM earlier in an archive notes a later Bill
of Entry; a second Bill of Entry sees the first one's debit). Several files of one console upload
are one run too, read as ``customs validate`` reads a folder (:func:`iter_uploads`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, func, select
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from customs_engine.core.batch.archives import HEAD_BYTES, Classifier, archive_kind, is_archive_name
from customs_engine.core.batch.inputs import InputFile, Limits, iter_file, read_bounded, read_file
from customs_engine.core.batch.runner import run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.formats import ResponseWriter
from customs_engine.core.ledger.run_state import LedgerError, RunState
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import database
from customs_engine.core.registry.database import database_reason
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


@dataclass(frozen=True)
class Upload:
    """A received file: where it is on disk, and the name it is shown (and recognised) by."""

    path: str
    name: str
    #: false when the client named no file (``name`` is then ``upload``): an archive or a
    #: compressed file is known by its first bytes, as standard input is; else by its name, as
    #: ``customs validate`` knows a file (see ``iter_file``)
    named: bool = True


def iter_uploads(
    uploads: Sequence[Upload], limits: Limits, is_manifest: Classifier | None = None
) -> Iterator[InputFile]:
    """Several received files as one run, manifests first as ``customs validate`` reads a folder:
    the message files that are manifests, then the archives (each with its own manifests first),
    then the other files, each group in the order given. So a Bill of Entry picked or dropped
    together with its IGM, loose or packed, is noted against it, whatever order the browser sent
    them in. One file is read exactly as :func:`iter_file` reads it."""
    if is_manifest is None or len(uploads) == 1:
        for upload in uploads:
            yield from iter_file(
                upload.path, upload.name, limits, is_manifest=is_manifest, named=upload.named
            )
        return
    archives: list[Upload] = []
    others: list[Upload] = []
    for upload in uploads:
        head = _head(upload.path)
        if (
            is_archive_name(upload.name)
            if upload.named
            else archive_kind("", head[:512]) is not None
        ):
            archives.append(upload)
        elif is_manifest(head, upload.name):
            yield read_file(upload.path, upload.name, limits)
        else:
            others.append(upload)
    for upload in archives:
        yield from iter_file(upload.path, upload.name, limits, is_manifest=is_manifest)
    for upload in others:
        yield read_file(upload.path, upload.name, limits)


#: the names a validation of several files is listed under, before "and N more"
NAMES_SHOWN = 5


def uploads_source(uploads: Sequence[Upload]) -> str:
    """What a validation of ``uploads`` is listed as: the file's name, or the files' names."""
    names = [upload.name for upload in uploads]
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _head(path: str) -> bytes:
    try:
        return read_bounded(path, HEAD_BYTES - 1)
    except OSError:
        return b""  # reading it in full reports the problem


class Collector:
    """A response writer that keeps the responses (for a handful: a run of any size is written
    as it goes, see :meth:`Validator.run_uploads`)."""

    def __init__(self) -> None:
        self.responses: list[Response] = []

    def write(self, response: Response) -> None:
        self.responses.append(response)

    def close(self) -> None:
        pass


class Tee:
    """A response writer that hands each response to several, in order."""

    def __init__(self, *writers: ResponseWriter) -> None:
        self.writers = writers

    def write(self, response: Response) -> None:
        for writer in self.writers:
            writer.write(response)

    def close(self) -> None:
        for writer in self.writers:
            writer.close()


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
            with (
                self.registry.engine.connect() as connection,
                database.one_snapshot(connection).begin(),
            ):
                ctx = CheckContext(
                    registry=self.reference(connection), as_of=as_of, config=self.config
                )
                # SqlRegistry's reads open a Session on what it is given: on this connection
                # they join its transaction (it never commits through it)
                reader = SqlRegistry(cast(SqlEngine, connection))
                yield Engine(self.host, ctx, RunState(reader))
        except SQLAlchemyError as exc:  # the reads before the run, or closing the connection
            raise LedgerError(f"registry database failed: {database_reason(exc)}") from exc

    def run_files(
        self,
        files: Iterable[InputFile],
        *,
        as_of: date | None = None,
        commit: bool = False,
        writer: ResponseWriter | None = None,
    ) -> list[Response]:
        """Validate ``files`` as one run; with ``commit`` each message is committed as it
        completes (a :class:`~customs_engine.core.ledger.run_state.LedgerError` stops the run).
        Each response is written to ``writer`` as it completes (none are then returned), else
        returned."""
        with self.engine(as_of=as_of, commit=commit) as engine:
            return self._run(engine, files, writer)

    def run_path(
        self,
        path: str,
        name: str,
        *,
        as_of: date | None = None,
        commit: bool = False,
        writer: ResponseWriter | None = None,
    ) -> list[Response]:
        """One file on disk shown as ``name``: a message file, or an archive read exactly as
        ``customs validate`` reads it — its manifests first, then the rest — so a Bill of Entry
        packed before its IGM is noted against it all the same. (``writer``: as
        :meth:`run_files`.)"""
        return self.run_uploads([Upload(path, name)], as_of=as_of, commit=commit, writer=writer)

    def run_uploads(
        self,
        uploads: Sequence[Upload],
        *,
        as_of: date | None = None,
        commit: bool = False,
        writer: ResponseWriter | None = None,
    ) -> list[Response]:
        """Several files on disk as one run, in the order of :func:`iter_uploads`.
        (``writer``: as :meth:`run_files`.)"""
        with self.engine(as_of=as_of, commit=commit) as engine:
            files = iter_uploads(uploads, self.limits, is_manifest=engine.is_manifest)
            return self._run(engine, files, writer)

    @staticmethod
    def _run(
        engine: Engine, files: Iterable[InputFile], writer: ResponseWriter | None
    ) -> list[Response]:
        if writer is not None:
            run(engine, files, writer)
            return []
        collector = Collector()
        run(engine, files, collector)
        return collector.responses

    def writer(self, fmt: str, stream: BinaryIO) -> ResponseWriter:
        """The writer of an output format on ``stream``, as ``customs validate --format``'s."""
        writer = self.host.response_writer(fmt, stream)
        if writer is None:
            raise ValueError(f"no loaded plugin writes {fmt}")
        return writer

    def render(self, responses: Sequence[Response], fmt: str) -> bytes:
        """The responses in an output format, exactly as ``customs validate --format`` writes."""
        stream = io.BytesIO()
        writer = self.writer(fmt, stream)
        for response in responses:
            writer.write(response)
        writer.close()
        return stream.getvalue()
