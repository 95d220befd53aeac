"""Stored validation results: every answer of ``customs serve`` (and ``customs watch``) is kept in
the registry database for ``GET /v1/validations/{id}`` and the console, for a retention period.

A validation is one run (one request, one watched file); each of its responses is stored as its
structured JSON response with the status and the rules of its findings, which the console
filters on.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, select
from sqlalchemy.orm import Session

from customs_engine.core.batch.inputs import shown_name
from customs_engine.core.batch.summary import STATUSES
from customs_engine.core.registry.database import storable
from customs_engine.core.registry.tables import ValidationMessageRow, ValidationRow
from customs_engine.core.response import Response


def worst_status(statuses: Sequence[str]) -> str:
    """The run's status: its worst message's (``accepted`` when it held none)."""
    return max(statuses, key=STATUSES.index, default="accepted")


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
        responses: Sequence[Response],
        *,
        committed: bool,
        validation_id: str | None = None,
    ) -> str:
        """Store one run's responses; returns its validation id: a new one, or
        ``validation_id`` (32 hexadecimal digits), which replaces what was stored under it (a
        watched file done again is stored once). ``source`` is stored as answers show it (control
        characters escaped: PostgreSQL cannot store a NUL, and a committed run must not fail to be
        answered for its name)."""
        replacing = validation_id is not None
        validation_id = validation_id or uuid.uuid4().hex
        row = ValidationRow(
            validation_id=validation_id,
            source=shown_name(source),
            created_at=datetime.now(UTC),
            status=worst_status([r.status for r in responses]),
            committed=committed,
            messages=len(responses),
        )
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
            session.add_all(
                ValidationMessageRow(
                    validation_id=row.id,
                    position=position,
                    status=response.status,
                    rules=" " + " ".join(sorted({f.rule for f in response.findings})) + " ",
                    body=response.to_json(),
                )
                for position, response in enumerate(responses)
            )
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
