"""Stored validation results: every answer of ``customs serve`` (and ``customs watch``) is kept in
the registry database for ``GET /v1/validations/{id}`` and the console, for a retention period.

A validation is one run (one request, one watched file); each of its responses is stored as its
structured JSON response with the status and the rules of its findings, which the console
filters on. A run's responses are kept on disk as they are written (:class:`Spool`), not in
memory, and stored in chunks of :data:`SAVE_CHUNK` rows, in one transaction.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from customs_engine.core.batch.inputs import shown_name
from customs_engine.core.batch.summary import STATUSES
from customs_engine.core.registry.database import storable
from customs_engine.core.registry.tables import ValidationMessageRow, ValidationRow
from customs_engine.core.response import Response

#: how many responses are stored per INSERT (a run's rows are never all in memory at once)
SAVE_CHUNK = 500


def worst_status(statuses: Iterable[str]) -> str:
    """The run's status: its worst message's (``accepted`` when it held none)."""
    return max(statuses, key=STATUSES.index, default="accepted")


@dataclass(frozen=True)
class StoredRow:
    """One response as it is stored: its status, the rules of its findings (space-separated and
    padded with spaces, for the console's filter) and its JSON."""

    status: str
    rules: str
    body: str

    @classmethod
    def of(cls, response: Response) -> StoredRow:
        rules = " " + " ".join(sorted({f.rule for f in response.findings})) + " "
        return cls(response.status, rules, response.to_json())


class Spool:
    """A response writer that keeps a run's responses on disk as they are written (an anonymous
    temporary file in ``folder``, gone once closed, or once the process ends however it ends),
    for :meth:`ResultStore.save` to store and for what must be read back in order: a run's
    memory does not grow with its number of messages."""

    def __init__(self, folder: str | None = None) -> None:
        self._file: BinaryIO = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by discard
        self.count = 0

    def write(self, response: Response) -> None:
        row = StoredRow.of(response)
        # the status and rules as a JSON array (no tab, no line feed), then the compact JSON body
        # (neither: JSON escapes both inside strings), one response a line
        head = json.dumps([row.status, row.rules]).encode()
        self._file.write(head + b"\t" + row.body.encode() + b"\n")
        self.count += 1

    def close(self) -> None:
        """(A writer's end of the run: what was written stays until :meth:`discard`.)"""

    def discard(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.discard()

    def rows(self, limit: int | None = None) -> Iterator[StoredRow]:
        """The responses written so far (the first ``limit`` of them), in order, as stored.
        Nothing may be written to the spool until they are read."""
        self._file.flush()
        position = self._file.tell()
        self._file.seek(0)
        try:
            for line in islice(self._file, self.count if limit is None else limit):
                head, _, body = line.rstrip(b"\n").partition(b"\t")
                status, rules = json.loads(head)
                yield StoredRow(status, rules, body.decode())
        finally:
            self._file.seek(position)

    def responses(self, limit: int | None = None) -> Iterator[Response]:
        """The responses written so far (the first ``limit`` of them), in order (as
        :meth:`rows`)."""
        for row in self.rows(limit):
            yield Response.model_validate_json(row.body)


@dataclass(frozen=True)
class StoredValidation:
    validation_id: str
    source: str
    created_at: datetime
    status: str
    committed: bool
    responses: list[Response]


@dataclass(frozen=True)
class StoredMessage:
    """One response of a stored validation, as the console lists it."""

    validation_id: str
    source: str
    created_at: datetime
    committed: bool
    response: dict[str, Any]


@dataclass(frozen=True)
class StoredPage:
    """Some of a stored validation's responses (as JSON), with how many it holds in all."""

    validation_id: str
    source: str
    created_at: datetime
    status: str
    committed: bool
    messages: int
    responses: list[dict[str, Any]]


class ResultStore:
    def __init__(self, engine: Engine, retention: timedelta):
        self.engine = engine
        self.retention = retention

    def save(
        self,
        source: str,
        responses: Iterable[Response] | Spool,
        *,
        committed: bool,
        validation_id: str | None = None,
    ) -> str:
        """Store one run's responses (or what a :class:`Spool` kept of them) in one transaction,
        :data:`SAVE_CHUNK` at a time; returns its validation id: a new one, or
        ``validation_id`` (32 hexadecimal digits), which replaces what was stored under it (a
        watched file done again is stored once). ``source`` is stored as answers show it (control
        characters escaped: PostgreSQL cannot store a NUL, and a committed run must not fail to be
        answered for its name)."""
        rows = responses.rows() if isinstance(responses, Spool) else map(StoredRow.of, responses)
        replacing = validation_id is not None
        validation_id = validation_id or uuid.uuid4().hex
        row = ValidationRow(
            validation_id=validation_id,
            source=shown_name(source),
            created_at=datetime.now(UTC),
            status="accepted",  # (and the count: set once every response is stored)
            committed=committed,
            messages=0,
        )
        statuses: set[str] = set()
        count = 0
        with Session(self.engine) as session, session.begin():
            if replacing:
                earlier = select(ValidationRow.id).where(
                    ValidationRow.validation_id == validation_id
                )
                session.execute(
                    delete(ValidationMessageRow).where(
                        ValidationMessageRow.validation_id.in_(earlier)
                    )
                )
                session.execute(
                    delete(ValidationRow).where(ValidationRow.validation_id == validation_id)
                )
            session.add(row)
            session.flush()
            numbered = enumerate(rows)
            while chunk := list(islice(numbered, SAVE_CHUNK)):
                session.execute(
                    insert(ValidationMessageRow),
                    [
                        {
                            "validation_id": row.id,
                            "position": position,
                            "status": stored.status,
                            "rules": stored.rules,
                            "body": stored.body,
                        }
                        for position, stored in chunk
                    ],
                )
                statuses.update(stored.status for _, stored in chunk)
                count += len(chunk)
            row.status, row.messages = worst_status(statuses), count
        return validation_id

    def get(self, validation_id: str) -> StoredValidation | None:
        found = self._stored(validation_id, offset=0, limit=None)
        if found is None:
            return None
        row, bodies = found
        return StoredValidation(
            row.validation_id,
            row.source,
            _utc(row.created_at),
            row.status,
            row.committed,
            [Response.model_validate_json(body) for body in bodies],
        )

    def recent(
        self,
        *,
        status: str | None = None,
        rule: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> list[StoredMessage]:
        """The newest responses first (from the ``offset``-th), optionally only of one status or
        with one rule."""
        if not storable(status, rule):  # no stored response has one (see storable)
            return []
        query = (
            select(
                ValidationRow.validation_id,
                ValidationRow.source,
                ValidationRow.created_at,
                ValidationRow.committed,
                ValidationMessageRow.body,
            )
            .join(ValidationRow, ValidationRow.id == ValidationMessageRow.validation_id)
            .where(ValidationRow.created_at >= self._cutoff(), *_matching(status, rule))
            .order_by(ValidationRow.id.desc(), ValidationMessageRow.position)
            .offset(offset)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [
                StoredMessage(vid, source, _utc(created), committed, json.loads(body))
                for vid, source, created, committed, body in session.execute(query)
            ]

    def count(self, *, status: str | None = None, rule: str | None = None) -> int:
        """How many responses :meth:`recent` can list with these filters, over every page."""
        if not storable(status, rule):
            return 0
        query = (
            select(func.count())
            .select_from(ValidationMessageRow)
            .join(ValidationRow, ValidationRow.id == ValidationMessageRow.validation_id)
            .where(ValidationRow.created_at >= self._cutoff(), *_matching(status, rule))
        )
        with Session(self.engine) as session:
            return int(session.execute(query).scalar_one())

    def page(self, validation_id: str, *, offset: int, limit: int) -> StoredPage | None:
        """Part of one validation (its responses from the ``offset``-th, as JSON), for a page
        that must not grow with the size of an archive."""
        found = self._stored(validation_id, offset=offset, limit=limit)
        if found is None:
            return None
        row, bodies = found
        return StoredPage(
            row.validation_id,
            row.source,
            _utc(row.created_at),
            row.status,
            row.committed,
            row.messages,
            [json.loads(body) for body in bodies],
        )

    def _stored(
        self, validation_id: str, *, offset: int, limit: int | None
    ) -> tuple[ValidationRow, Sequence[str]] | None:
        """A validation kept within the retention period, and its responses' JSON bodies in
        order from the ``offset``-th (``limit``: how many at most, ``None``: all)."""
        if not storable(validation_id):  # never stored (see storable): no database asked
            return None
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.scalars(
                select(ValidationRow).where(
                    ValidationRow.validation_id == validation_id,
                    ValidationRow.created_at >= self._cutoff(),
                )
            ).first()
            if row is None:
                return None
            bodies = session.scalars(
                select(ValidationMessageRow.body)
                .where(ValidationMessageRow.validation_id == row.id)
                .order_by(ValidationMessageRow.position)
                .offset(offset)
                .limit(limit)
            ).all()
            return row, bodies

    def purge(self) -> int:
        """Delete the validations older than the retention period; returns how many."""
        with Session(self.engine) as session, session.begin():
            old = select(ValidationRow.id).where(ValidationRow.created_at < self._cutoff())
            session.execute(
                delete(ValidationMessageRow).where(ValidationMessageRow.validation_id.in_(old))
            )
            result = session.execute(
                delete(ValidationRow).where(ValidationRow.created_at < self._cutoff())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _cutoff(self) -> datetime:
        return datetime.now(UTC) - self.retention


def _matching(status: str | None, rule: str | None) -> list[ColumnElement[bool]]:
    """The console's filters: a response of one status; one with a finding of one rule."""
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(ValidationMessageRow.status == status)
    if rule:
        conditions.append(ValidationMessageRow.rules.contains(f" {rule} ", autoescape=True))
    return conditions


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
