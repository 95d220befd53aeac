"""The SQL registry: reference rows (snapshot for checks) and the committed ledger (LedgerStore)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from customs_engine.core.context import MemoryRegistry, RegistryRecord
from customs_engine.core.ledger import (
    ZERO,
    CommitOutcome,
    Debit,
    LedgerError,
    Shortfall,
    Submission,
)
from customs_engine.core.models import ImportGeneralManifest
from customs_engine.core.registry import database
from customs_engine.core.registry.tables import (
    DebitRow,
    LicenceUseRow,
    ManifestRow,
    RecordRow,
    SubmissionRow,
    record_key,
)
from customs_engine.core.response import AuthorisationUse

_RECORD_FIELDS = tuple(RegistryRecord.model_fields)


P = ParamSpec("P")
R = TypeVar("R")


def _ledger_call(method: Callable[P, R]) -> Callable[P, R]:
    """A database failure during a run is a :class:`LedgerError` naming the cause."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise LedgerError(f"registry database failed: {reason}") from exc

    return call


class SqlRegistry:
    """Registry rows and committed ledger in one SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> SqlRegistry:
        """Open (creating and migrating as needed) the database at ``url`` (see resolve_url)."""
        engine = database.create(database.resolve_url(url))
        database.migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- reference rows ------------------------------------------------------------------------

    def replace_records(self, records: Iterable[RegistryRecord], source: str) -> int:
        """Insert or replace rows (by record key) in one transaction; returns the count."""
        count = 0
        with Session(self.engine) as session, session.begin():
            for record in records:
                key = record_key(record.kind, record.scheme, record.number, record.currency,
                                 record.issued_on)
                row = session.scalars(select(RecordRow).where(RecordRow.record_key == key)).first()
                if row is None:
                    row = RecordRow(record_key=key)
                    session.add(row)
                values = record.model_dump()
                values["hs_codes"] = " ".join(record.hs_codes) or None
                values["scheme"] = record.scheme.upper() if record.scheme else None
                for name, value in values.items():
                    setattr(row, name, value)
                row.source = source
                count += 1
        return count

    def records(self, kind: str | None = None, number: str | None = None) -> list[RegistryRecord]:
        query = select(RecordRow).order_by(RecordRow.kind, RecordRow.scheme, RecordRow.number,
                                           RecordRow.issued_on)
        if kind is not None:
            query = query.where(RecordRow.kind == kind)
        if number is not None:
            query = query.where(RecordRow.number == number)
        with Session(self.engine) as session:
            return [_to_record(row) for row in session.scalars(query)]

    def snapshot(self) -> MemoryRegistry:
        """Every reference row in memory: what checks read (picklable, worker-safe)."""
        return MemoryRegistry(self.records())

    def debits_of(self, scheme: str, number: str) -> list[tuple[str, int, Decimal, Decimal]]:
        """Committed debits of a licence: (message id, item, quantity, value), in commit order."""
        query = (select(SubmissionRow.message_id, DebitRow.item, DebitRow.quantity,
                        DebitRow.value_inr)
                 .join(SubmissionRow, SubmissionRow.id == DebitRow.submission_id)
                 .where(DebitRow.scheme == scheme.upper(), DebitRow.number == number)
                 .order_by(DebitRow.id))
        with Session(self.engine) as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    # -- LedgerStore ----------------------------------------------------------------------------

    @_ledger_call
    def find_manifests(self, igm_number: str) -> Sequence[ImportGeneralManifest]:
        query = (select(ManifestRow.body).where(ManifestRow.igm_number == igm_number)
                 .order_by(ManifestRow.id.desc()))
        with Session(self.engine) as session:
            return [ImportGeneralManifest.model_validate_json(body)
                    for body in session.scalars(query)]

    @_ledger_call
    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        with Session(self.engine) as session:
            return _debited(session, scheme.upper(), number)

    @_ledger_call
    def uses(self, scheme: str, number: str) -> Sequence[str]:
        query = select(LicenceUseRow.message_id).where(LicenceUseRow.scheme == scheme.upper(),
                                                       LicenceUseRow.number == number)
        with Session(self.engine) as session:
            return list(session.scalars(query))

    @_ledger_call
    def committed_uses(self, key: str) -> Sequence[AuthorisationUse] | None:
        with Session(self.engine) as session:
            stored = session.scalars(select(SubmissionRow.uses_json)
                                     .where(SubmissionRow.message_key == key)).first()
        if stored is None:
            return None
        return [AuthorisationUse.model_validate(use) for use in json.loads(stored)]

    @_ledger_call
    def commit(self, submission: Submission) -> CommitOutcome:
        """One transaction: lock the debited authorisations (sorted), re-check, write all."""
        connection = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        try:
            with Session(bind=connection) as session, session.begin():
                if session.scalars(select(SubmissionRow.id).where(
                        SubmissionRow.message_key == submission.key)).first() is not None:
                    return CommitOutcome(committed=False,
                                         replayed=list(self.committed_uses(submission.key) or ()))
                shortfalls = _recheck(session, submission.debits)
                if shortfalls:
                    raise _Refused(shortfalls)  # leaves the transaction by rolling it back
                _write(session, submission)
            return CommitOutcome(committed=True)
        except _Refused as refused:
            return CommitOutcome(committed=False, shortfalls=refused.shortfalls)
        except IntegrityError:
            # another process committed the same submission first: it is a re-submission
            return CommitOutcome(committed=False,
                                 replayed=list(self.committed_uses(submission.key) or ()))
        finally:
            connection.close()

    def clear_ledger(self) -> None:
        """Forget every committed submission (tests and maintenance; reference rows stay)."""
        with Session(self.engine) as session, session.begin():
            for table in (ManifestRow, LicenceUseRow, DebitRow, SubmissionRow):
                session.execute(delete(table))


class _Refused(Exception):
    def __init__(self, shortfalls: list[Shortfall]):
        super().__init__("balance re-check failed")
        self.shortfalls = shortfalls


def _debited(session: Session, scheme: str, number: str) -> tuple[Decimal, Decimal]:
    rows = session.execute(select(DebitRow.quantity, DebitRow.value_inr).where(
        DebitRow.scheme == scheme, DebitRow.number == number)).all()
    return (sum((q for q, _ in rows), ZERO), sum((v for _, v in rows), ZERO))


def _recheck(session: Session, debits: Sequence[Debit]) -> list[Shortfall]:
    """Re-check every debit against limit − committed debits, under row locks taken in key order
    (deterministic, so two committers never deadlock)."""
    if not debits:
        return []
    keys = sorted({record_key("authorisation", d.scheme, d.number, None, None) for d in debits})
    locked = session.scalars(select(RecordRow).where(RecordRow.record_key.in_(keys))
                             .order_by(RecordRow.record_key).with_for_update()).all()
    limits = {(row.scheme or "", row.number): row for row in locked}
    spent: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    shortfalls = []
    for debit in debits:
        key = (debit.scheme, debit.number)
        row = limits.get(key)
        if row is None:
            continue  # no registry limit: nothing to exhaust
        if key not in spent:
            spent[key] = _debited(session, *key)
        quantity, value = spent[key]
        left_q = None if row.quantity is None else row.quantity - quantity
        left_v = None if row.value_inr is None else row.value_inr - value
        if (left_q is not None and debit.quantity > left_q) or (
                left_v is not None and debit.value_inr > left_v):
            if debit.claim is not None:
                shortfalls.append(Shortfall(debit.claim, left_q, left_v))
            continue
        spent[key] = (quantity + debit.quantity, value + debit.value_inr)
    return shortfalls


def _write(session: Session, submission: Submission) -> None:
    row = SubmissionRow(message_key=submission.key, message_id=submission.message_id,
                        kind=submission.kind, committed_at=datetime.now(UTC),
                        uses_json=json.dumps([u.model_dump(mode="json") for u in submission.uses]))
    session.add(row)
    session.flush()
    for debit in submission.debits:
        session.add(DebitRow(submission_id=row.id, scheme=debit.scheme, number=debit.number,
                             item=debit.item, quantity=debit.quantity, value_inr=debit.value_inr))
    for scheme, number in submission.licences:
        session.add(LicenceUseRow(submission_id=row.id, scheme=scheme, number=number,
                                  message_id=submission.message_id))
    manifest = submission.manifest
    if manifest is not None:
        session.add(ManifestRow(submission_id=row.id, igm_number=manifest.igm_number,
                                port_code=manifest.port_code, igm_date=manifest.igm_date,
                                body=manifest.model_dump_json()))


def _to_record(row: RecordRow) -> RegistryRecord:
    values = {name: getattr(row, name) for name in _RECORD_FIELDS}
    values["hs_codes"] = tuple((row.hs_codes or "").split())
    return RegistryRecord(**values)

