"""The registry's tables (SQLAlchemy 2 declarative). The schema itself is created and changed only
by the Alembic migrations in ``migrations/``; keep both in step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class DecimalText(TypeDecorator[Decimal]):
    """Decimal stored as text: exact on every backend (SQLite has no decimal type)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and read back with its zone on every backend: SQLite keeps no
    zone and handed back naive values (``registry show`` printed 18:00 for 23:30 in India,
    where PostgreSQL printed ``+00:00``)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class RecordRow(Base):
    """One imported row of the registry (authorisation, registration, agency, exchange rate)."""

    __tablename__ = "registry_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: identity of the row for re-imports and row locks, see :func:`record_key`
    record_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    scheme: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(100), index=True)
    iec: Mapped[str | None] = mapped_column(String(20))
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    hs_codes: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal | None] = mapped_column(DecimalText)
    unit: Mapped[str | None] = mapped_column(String(10))
    value_inr: Mapped[Decimal | None] = mapped_column(DecimalText)
    country_of_origin: Mapped[str | None] = mapped_column(String(2))
    port_code: Mapped[str | None] = mapped_column(String(10))
    expected_arrival: Mapped[date | None] = mapped_column(Date)
    fee_paid_inr: Mapped[Decimal | None] = mapped_column(DecimalText)
    name: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    currency: Mapped[str | None] = mapped_column(String(3))
    rate: Mapped[Decimal | None] = mapped_column(DecimalText)
    source: Mapped[str | None] = mapped_column(Text)


class SubmissionRow(Base):
    """A committed message: its submission key makes re-submission idempotent."""

    __tablename__ = "ledger_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    committed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: the authorisation uses reported when committed (JSON list), replayed on re-submission
    uses_json: Mapped[str] = mapped_column(Text)
    #: what the message did to its document: original, amendment or cancellation
    #: (docs/core-checks.md); the document's state is its latest version (submissions are
    #: never updated)
    function: Mapped[str] = mapped_column(String(20), server_default="original")
    #: the run that committed it (``customs validate --commit`` prints it)
    run_id: Mapped[str | None] = mapped_column(String(64))
    #: the version's canonical model (JSON): what an amendment is compared with
    body: Mapped[str | None] = mapped_column(Text)
    #: a Bill of Entry's noted IGM number, a manifest's own number (voiding on IGM cancellation)
    igm_number: Mapped[str | None] = mapped_column(String(50), index=True)
    #: a Bill of Entry's BE number (an ex-bond BoE names its warehousing BoE by it)
    document_number: Mapped[str | None] = mapped_column(String(50), index=True)
    #: a Bill of Entry noted by its B/L against a manifest that had no IGM number yet: that
    #: manifest's message id (cancelling the manifest voids the Bill of Entry)
    noted_manifest: Mapped[str | None] = mapped_column(String(200), index=True)


class EntryRow(Base):
    """One ledger entry. Entries are only ever inserted: a balance is the sum of its entries.

    ``quantity`` and ``value_inr`` are signed: a debit consumes (positive), a reversal credits back
    (negative), a bond entry opens a bond balance (negative: what may be cleared from it).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_account", "scheme", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("ledger_submission.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(200), index=True)
    function: Mapped[str] = mapped_column(String(20))
    #: debit | reversal | bond
    kind: Mapped[str] = mapped_column(String(20))
    scheme: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(100))
    item: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    #: the unit of ``quantity``: the limit's unit (claims are converted, docs/core-checks.md)
    unit: Mapped[str | None] = mapped_column(String(10))
    value_inr: Mapped[Decimal] = mapped_column(DecimalText)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[str | None] = mapped_column(String(64))


class LicenceUseRow(Base):
    __tablename__ = "ledger_licence_use"
    __table_args__ = (Index("ix_ledger_licence_use_licence", "scheme", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("ledger_submission.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(200))


class ManifestRow(Base):
    __tablename__ = "ledger_manifest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("ledger_submission.id"), index=True)
    igm_number: Mapped[str | None] = mapped_column(String(50), index=True)
    port_code: Mapped[str] = mapped_column(String(10))
    igm_date: Mapped[date | None] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)


class ServiceTokenRow(Base):
    """An API token of ``customs serve``: only a SHA-256 digest of its secret is kept."""

    __tablename__ = "service_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the public part of the token (``ce_<token_id>_<secret>``), shown by ``tokens list``
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ValidationRow(Base):
    """One ``POST /v1/validations`` (or watched file): a run and when it was made."""

    __tablename__ = "service_validation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    validation_id: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(10))
    committed: Mapped[bool] = mapped_column(Boolean)
    messages: Mapped[int] = mapped_column(Integer)


class ValidationMessageRow(Base):
    """One response (structured JSON) of a stored validation, with what the console filters on."""

    __tablename__ = "service_validation_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    validation_id: Mapped[int] = mapped_column(
        ForeignKey("service_validation.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)
    #: space-separated rule ids of its findings, padded with spaces (filter by `` RULE ``)
    rules: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


def record_key(
    kind: str, scheme: str | None, number: str, currency: str | None, issued_on: date | None
) -> str:
    """Authorisations and registrations by scheme and number, agencies by id, rates by currency
    and date in force."""
    if kind in ("authorisation", "registration"):
        return f"licence:{(scheme or '').upper()}:{number}"
    if kind == "exchange_rate":
        return f"exchange_rate:{(currency or '').upper()}:{issued_on}"
    return f"{kind}:{number}"
