"""The SQL registry: reference rows (snapshot for checks) and the committed ledger (LedgerStore)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from pydantic import ValidationError
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from customs_engine.core.ledger.documents import (
    DocumentVersion,
    Holdings,
    Replaced,
    add_holdings,
    refiled,
)
from customs_engine.core.ledger.run_state import (
    BOND,
    ZERO,
    CommitOutcome,
    Debit,
    LedgerError,
    Shortfall,
    Submission,
    as_committed,
    bond_parts,
    bond_underflow,
    improper,
    noted_against,
    reversals,
    void_key,
    voided_underflow,
)
from customs_engine.core.ledger.units import in_limit_unit
from customs_engine.core.models import BillOfEntry, Function, ImportGeneralManifest
from customs_engine.core.registry import database
from customs_engine.core.registry.records import MemoryRegistry, RegistryRecord
from customs_engine.core.registry.tables import (
    EntryRow,
    LicenceUseRow,
    ManifestRow,
    RecordRow,
    SubmissionRow,
    record_key,
)
from customs_engine.core.response import AuthorisationUse, Credit

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
            reason = database.database_reason(exc)
            raise LedgerError(f"registry database failed: {reason}") from exc

    return call


def _finds_nothing_by_nul(nothing: Callable[[], Any]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A look-up by a text holding NUL (U+0000) answers ``nothing()`` without asking the
    database: no stored text holds one (see :func:`database.storable`), and PostgreSQL would
    refuse the parameter with an error (a message, a URL or a file name can hold one)."""

    def wrap(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            texts = [value for value in (*args, *kwargs.values()) if isinstance(value, str)]
            return method(*args, **kwargs) if database.storable(*texts) else cast(R, nothing())

        return call

    return wrap


class SqlRegistry:
    """Registry rows and committed ledger in one SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> SqlRegistry:
        """Open (creating and migrating as needed) the database at ``url`` (see resolve_url).
        :class:`ValueError` when its schema is newer than this version's (never touched)."""
        engine = database.create(database.resolve_url(url))
        try:
            database.check_revision(engine)
            database.migrate(engine)
            database.write_ahead(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_existing(cls, url: str | None = None, *, writes: bool = True) -> SqlRegistry | None:
        """Open ``url`` when it already holds a registry, creating nothing otherwise (the
        commands that only read, and ``tokens revoke``): ``None`` when it holds no registry
        schema (an empty file or schema, another application's database), looked at without
        writing a byte. A registry at an older schema revision is migrated, as :meth:`open`
        does; :class:`ValueError` when its schema is newer than this version's. Without
        ``writes`` a registry at the newest revision is opened read-only: not a byte of it
        changes (not its SQLite journal mode)."""
        resolved = database.resolve_url(url)
        probe = database.create(resolved, read_only=True)
        try:
            current, head = database.check_revision(probe)
        except Exception:
            probe.dispose()
            raise
        if current is None or current != head or writes:
            probe.dispose()
            return None if current is None else cls.open(resolved)
        return cls(probe)

    @classmethod
    def open_read_only(cls, url: str | None = None) -> SqlRegistry | None:
        """Open ``url`` to read, changing nothing in it (``validate`` without ``--commit``):
        no migration, no journal-mode switch. ``None`` when it holds no registry schema yet;
        :class:`ValueError` when its schema is older or newer than this version's."""
        engine = database.create(database.resolve_url(url), read_only=True)
        try:
            current, head = database.check_revision(engine)
        except Exception:
            engine.dispose()
            raise
        if current is None:
            engine.dispose()
            return None
        if current != head:
            engine.dispose()
            raise ValueError(
                f"its schema is at revision {current}, this version reads {head}: "
                "run 'customs registry list' once to migrate it"
            )
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- reference rows ------------------------------------------------------------------------

    def replace_records(self, records: Iterable[RegistryRecord], source: str) -> int:
        """Insert or replace rows (by record key) in one transaction; returns the count."""
        count = 0
        with Session(self.engine) as session, session.begin():
            for record in records:
                key = record_key(
                    record.kind, record.scheme, record.number, record.currency, record.issued_on
                )
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

    @_finds_nothing_by_nul(list)
    def records(self, kind: str | None = None, number: str | None = None) -> list[RegistryRecord]:
        query = select(RecordRow).order_by(
            RecordRow.kind, RecordRow.scheme, RecordRow.number, RecordRow.issued_on
        )
        if kind is not None:
            query = query.where(RecordRow.kind == kind)
        if number is not None:
            query = query.where(RecordRow.number == number)
        with Session(self.engine) as session:
            return [_to_record(row) for row in session.scalars(query)]

    def snapshot(self) -> MemoryRegistry:
        """Every reference row in memory: what checks read (picklable, worker-safe)."""
        return MemoryRegistry(self.records())

    @_finds_nothing_by_nul(list)
    def entries_of(self, scheme: str, number: str) -> list[EntryRow]:
        """Every ledger entry of an account (authorisation, registration or bond), in order."""
        query = (
            select(EntryRow)
            .where(EntryRow.scheme == scheme.upper(), EntryRow.number == number)
            .order_by(EntryRow.id)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    @_finds_nothing_by_nul(list)
    def entries_numbered(self, number: str) -> list[EntryRow]:
        """Every ledger entry of an account ``number`` of any scheme but a bond, in order: what
        was debited of a licence that has no registry row (yet)."""
        query = (
            select(EntryRow)
            .where(EntryRow.number == number, EntryRow.scheme != BOND)
            .order_by(EntryRow.id)
        )
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(query))

    @_finds_nothing_by_nul(list)
    def bond_accounts(self, warehousing_id: str) -> list[str]:
        """The bond balances a warehousing Bill of Entry (its message id) opened, one per HS
        code (``<message id>/<HS code>``), sorted."""
        query = (
            select(EntryRow.number)
            .where(
                EntryRow.scheme == BOND,
                EntryRow.number.startswith(f"{warehousing_id}/", autoescape=True),
            )
            .distinct()
            .order_by(EntryRow.number)
        )
        with Session(self.engine) as session:
            return list(session.scalars(query))

    def debits_of(self, scheme: str, number: str) -> list[tuple[str, int, Decimal, Decimal]]:
        """An account's entries as (message id, item, quantity, value), in order: debits positive,
        what was credited back negative (their sum is what is spent)."""
        return [
            (entry.message_id, entry.item, entry.quantity, entry.value_inr)
            for entry in self.entries_of(scheme, number)
        ]

    def voided_by(self, submission_ids: Iterable[int]) -> dict[int, str]:
        """Of these submissions, those that are a Bill of Entry voided by an IGM cancellation
        (written under a ``void`` key): each with the cancelled IGM as messages name it
        (``IGM 2234567``, or ``manifest <message id>`` when it had no IGM number)."""
        wanted = sorted(set(submission_ids))
        if not wanted:
            return {}
        with Session(self.engine) as session:
            voids = session.execute(
                select(SubmissionRow.id, SubmissionRow.message_key).where(
                    SubmissionRow.id.in_(wanted),
                    SubmissionRow.message_key.contains("#void-", autoescape=True),
                )
            ).all()
            found = {}
            for submission_id, key in voids:
                cancelling = key.rsplit("#void-", 1)[1]
                igm = session.execute(
                    select(SubmissionRow.message_id, SubmissionRow.igm_number).where(
                        SubmissionRow.kind == "manifest",
                        SubmissionRow.message_key.endswith(f"#{cancelling}", autoescape=True),
                    )
                ).first()
                if igm is not None:
                    found[submission_id] = (
                        f"IGM {igm.igm_number}" if igm.igm_number else f"manifest {igm.message_id}"
                    )
            return found

    @_finds_nothing_by_nul(list)
    def history(self, message_id: str) -> list[tuple[SubmissionRow, list[EntryRow]]]:
        """A document's versions, oldest first, each with the entries it wrote."""
        with Session(self.engine, expire_on_commit=False) as session:
            versions = list(
                session.scalars(
                    select(SubmissionRow)
                    .where(SubmissionRow.message_id == message_id)
                    .order_by(SubmissionRow.id)
                )
            )
            return [
                (
                    version,
                    list(
                        session.scalars(
                            select(EntryRow)
                            .where(EntryRow.submission_id == version.id)
                            .order_by(EntryRow.id)
                        )
                    ),
                )
                for version in versions
            ]

    # -- LedgerStore ----------------------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[Connection]:
        """A connection for one read of columns (no ORM session): the connection this registry
        was opened on (see :meth:`reading_together`), or a pooled one."""
        if isinstance(self.engine, Connection):
            return nullcontext(self.engine)
        return self.engine.connect()

    @contextmanager
    def reading_together(self) -> Iterator[SqlRegistry]:
        """This registry for reads on one connection in one transaction, of one snapshot (see
        :func:`database.one_snapshot`): a message's completion asks the ledger several
        questions, which must be answered of one moment (an amendment's balance less what the
        version it replaces holds), and a connection's check-out, BEGIN and ROLLBACK for each
        cost more than SQLite takes to answer them. Nothing may be committed through it (on
        SQLite its open read would hold back a writer: leave it before committing)."""
        if isinstance(self.engine, Connection):  # already one connection (a service run)
            yield self
            return
        try:
            with (
                self.engine.connect() as connection,
                database.one_snapshot(connection).begin(),
            ):
                # the ORM reads open a Session on it: they join its transaction
                yield SqlRegistry(cast(Engine, connection))
        except SQLAlchemyError as exc:
            raise LedgerError(f"registry database failed: {database.database_reason(exc)}") from exc

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def find_manifests(self, igm_number: str) -> Sequence[ImportGeneralManifest]:
        with self._reading() as connection:  # a read of columns: no ORM session needed
            return [
                ImportGeneralManifest.model_validate_json(body)
                for body in connection.scalars(_statements().manifests, {"igm": igm_number})
            ]

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def find_unnumbered_manifests(self, port_code: str) -> Sequence[ImportGeneralManifest]:
        with self._reading() as connection:
            return [
                ImportGeneralManifest.model_validate_json(body)
                for body in connection.scalars(_statements().unnumbered, {"port": port_code})
            ]

    @_ledger_call
    @_finds_nothing_by_nul(lambda: (ZERO, ZERO))
    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        with self._reading() as connection:
            scheme = scheme.upper()
            return _debited(connection, scheme, number, _limit_unit(connection, scheme, number))

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def uses(self, scheme: str, number: str) -> Sequence[str]:
        with self._reading() as connection:
            bound = {"scheme": scheme.upper(), "number": number}
            return list(connection.scalars(_statements().uses, bound))

    @_ledger_call
    def committed_uses(self, key: str, *aliases: str) -> Sequence[AuthorisationUse] | None:
        """What the submission stored under ``key`` (or one of its ``aliases``, such as the
        key release 0.1 used) debited, or ``None`` when none is stored."""
        keys = [each for each in (key, *aliases) if database.storable(each)]
        if not keys:  # a key no database can hold was never stored
            return None
        with self._reading() as connection:
            return _committed_uses(connection, keys)

    @_ledger_call
    @_finds_nothing_by_nul(lambda: None)
    def document(self, message_id: str) -> DocumentVersion | None:
        with self._reading() as connection:
            return _document(connection, message_id)

    @_ledger_call
    @_finds_nothing_by_nul(lambda: None)
    def first_document(self, message_id: str) -> DocumentVersion | None:
        with self._reading() as connection:
            row = connection.execute(
                _statements().first_document, {"message_id": message_id}
            ).first()
            return None if row is None else _version(row)

    @_ledger_call
    @_finds_nothing_by_nul(dict)
    def holdings(self, message_id: str) -> Holdings:
        with Session(self.engine) as session:
            return _holdings(session, message_id)

    @_ledger_call
    @_finds_nothing_by_nul(lambda: None)
    def replaced_by(self, key: str) -> Replaced | None:
        with Session(self.engine) as session:
            row = session.scalars(
                select(SubmissionRow).where(SubmissionRow.message_key == key)
            ).first()
            if row is None:
                return None
            before = session.scalars(
                select(SubmissionRow)
                .where(SubmissionRow.message_id == row.message_id, SubmissionRow.id < row.id)
                .order_by(SubmissionRow.id.desc())
            ).first()
            # the Bills of Entry an IGM cancellation voided were written as submissions of
            # their own, keyed after it (see ``void_key``; a scan, so only for those)
            voids = (
                list(
                    session.scalars(
                        select(SubmissionRow).where(
                            SubmissionRow.message_key.endswith(
                                f"#void-{key.rsplit('#', 1)[-1]}", autoescape=True
                            )
                        )
                    )
                )
                if row.kind == "manifest" and row.function == Function.CANCELLATION.value
                else []
            )
            reversals = session.scalars(
                select(EntryRow)
                .where(
                    EntryRow.kind == "reversal",
                    EntryRow.submission_id.in_([row.id, *(void.id for void in voids)]),
                )
                .order_by(EntryRow.id)
            )
            return Replaced(
                before=None if before is None else _version(before),
                credits=tuple(
                    Credit(
                        scheme=entry.scheme,
                        number=entry.number,
                        item=entry.item,
                        quantity=-entry.quantity,
                        unit=entry.unit,
                        value_inr=-entry.value_inr,
                    )
                    for entry in reversals
                ),
                voided=tuple(sorted(void.message_id for void in voids)),
            )

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def numbered(self, number: str) -> Sequence[str]:
        """Committed Bills of Entry a version of which had this BE number, latest first."""
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(SubmissionRow.message_id)
                    .where(
                        SubmissionRow.document_number == number,
                        SubmissionRow.kind == "bill_of_entry",
                    )
                    .group_by(SubmissionRow.message_id)
                    .order_by(func.max(SubmissionRow.id).desc())
                )
            )

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def noted_against(self, igm_number: str) -> Sequence[str]:
        with Session(self.engine) as session:
            return _noted_against(session, igm_number)

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def igm_numbers(self, manifest_id: str) -> Sequence[str]:
        """Every IGM number a committed version of this manifest carried."""
        with Session(self.engine) as session:
            return _igm_numbers(session, manifest_id)

    @_ledger_call
    @_finds_nothing_by_nul(list)
    def noted_by_bl(self, manifest_id: str) -> Sequence[str]:
        """Bills of Entry noted by their B/L against this manifest (message id) while it had no
        IGM number."""
        with Session(self.engine) as session:
            return _noted_by_bl(session, manifest_id)

    @_ledger_call
    def commit(self, submission: Submission) -> CommitOutcome:
        """One transaction: lock the document, answer a re-submission as a replay, check that the
        message fits the document's state, credit back what it holds (amendment, cancellation),
        lock the debited accounts (sorted), re-check their balances, write everything.

        The document lock is taken before anything is read, so two committers of one document
        are serialised: the second sees the first's submission (a replay) or its new state.
        """
        unstorable = _unstorable(submission)
        if unstorable is not None:
            return CommitOutcome(committed=False, conflict=("CORE-SYNTAX-005", unstorable))
        connection = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        try:
            with Session(bind=connection) as session, session.begin():
                # in the order every committer takes them: a manifest's document, then IGM
                # numbers, then Bills of Entry (see _lock_igm_number)
                if submission.noted_manifest is not None:
                    _lock_document(session, submission.noted_manifest)
                noted = submission.noted_igm
                if noted is not None:
                    _lock_igm_number(session, noted[1], noted[0])
                _lock_document(session, submission.message_id)
                # the session's own connection and transaction, for reads of columns (an ORM
                # execution of a prebuilt statement costs several times the read itself)
                reading = session.connection()
                replayed = _committed_uses(reading, (submission.key, *submission.aliases))
                if replayed is not None:
                    return CommitOutcome(committed=False, replayed=list(replayed))
                current = _document(reading, submission.message_id)
                conflict = _conflict(current, submission) or _noted_cancelled(reading, submission)
                if conflict is not None:
                    return _refused(reading, submission, conflict=conflict)
                credits: list[Credit] = []
                if submission.replaces and current is not None:
                    credits = reversals(_holdings(session, submission.message_id))
                underflow = bond_underflow(
                    submission.message_id,
                    submission.function,
                    credits,
                    submission.debits,
                    lambda number: _debited(reading, BOND, number, None)[0],
                )
                if underflow is not None:
                    return _refused(reading, submission, conflict=("CORE-BOND-003", underflow))
                voids: dict[str, tuple[DocumentVersion, list[Credit]]] = {}
                if submission.voids is not None and current is not None:
                    voids = _voidable(session, current, submission.voids)
                    underflow = voided_underflow(
                        {message_id: held for message_id, (_, held) in voids.items()},
                        lambda number: _debited(reading, BOND, number, None)[0],
                    )
                    if underflow is not None:
                        return _refused(reading, submission, conflict=("CORE-BOND-003", underflow))
                all_credits = credits + [c for _, held in voids.values() for c in held]
                shortfalls, left = _recheck(session, submission.debits, all_credits)
                if shortfalls:
                    # leaves the transaction by rolling it back
                    raise _Refused(_refused(reading, submission, shortfalls=shortfalls))
                # the balances its uses report, as committed (the run read them before the lock)
                submission = replace(
                    submission, uses=tuple(as_committed(list(submission.uses), left))
                )
                _write(reading, submission, credits)
                for message_id, (version, held) in sorted(voids.items()):
                    _write(
                        reading,
                        Submission(
                            key=void_key(message_id, submission.key),
                            message_id=message_id,
                            kind=version.kind,
                            manifest=None,
                            debits=(),
                            licences=(),
                            uses=(),
                            function=Function.CANCELLATION,
                            replaces=True,
                            body=version.body,
                            run_id=submission.run_id,
                        ),
                        held,
                    )
            return CommitOutcome(
                committed=True, credits=all_credits, voided=sorted(voids), left=left
            )
        except _Refused as refused:
            return refused.outcome
        except IntegrityError:
            # another process committed the same submission first: it is a re-submission
            return CommitOutcome(
                committed=False, replayed=list(self.committed_uses(submission.key) or ())
            )
        finally:
            connection.close()

    def clear_ledger(self) -> None:
        """Forget every committed submission (tests and maintenance; reference rows stay)."""
        with Session(self.engine) as session, session.begin():
            for table in (ManifestRow, LicenceUseRow, EntryRow, SubmissionRow):
                session.execute(delete(table))


def _unstorable(submission: Submission) -> str | None:
    """Why no database can store a submission (one of its texts holds a NUL, see
    :func:`database.storable`), or ``None``. No reader of the engine lets one through to an
    accepted message; a plugin's reader might, and the message is refused rather than the run
    stopped by the database's error (or, on SQLite alone, the text stored)."""
    manifest = submission.manifest
    texts: list[tuple[str, str | None]] = [
        ("message id", submission.message_id),
        ("submission key", submission.key),
        ("IGM number", submission.igm_number),
        ("document number", submission.document_number),
        ("noted manifest", submission.noted_manifest),
        ("port code", manifest.port_code if manifest is not None else None),
        *(("noted IGM", part) for part in submission.noted_igm or ()),
        *(
            (f"account of item {debit.item}", f"{debit.scheme} {debit.number} {debit.unit or ''}")
            for debit in submission.debits
        ),
        *(("licence", f"{scheme} {number}") for scheme, number in submission.licences),
    ]
    for name, value in texts:
        if not database.storable(value):
            return (
                f"the {name} holds a NUL character (U+0000), which no registry database can "
                f"store: {value!r}; nothing is stored"
            )
    return None


#: the columns of a submission :func:`_version` reads
_VersionColumns = Select[str, str, str, str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class _Statements:
    """The ledger's reads of every message, built once (a statement built per call costs more
    than SQLite takes to answer it); their values are bound parameters."""

    manifests: Select[str]
    unnumbered: Select[str]
    committed_uses: Select[str]
    entries: Select[Decimal, Decimal, str | None]
    #: the unit of an account's limit (its registry row's)
    limit_unit: Select[str | None]
    uses: Select[str]
    #: the functions of the latest versions of the manifests with an IGM number at a port
    manifest_functions: Select[str]
    document: _VersionColumns
    #: a document's first version: the same columns
    first_document: _VersionColumns


@functools.cache
def _statements() -> _Statements:
    return _Statements(
        manifests=select(ManifestRow.body)
        .where(ManifestRow.igm_number == bindparam("igm"), _latest_version())
        .order_by(ManifestRow.id.desc()),
        unnumbered=select(ManifestRow.body)
        .where(
            ManifestRow.igm_number.is_(None),
            ManifestRow.port_code == bindparam("port"),
            _latest_version(),
        )
        .order_by(ManifestRow.id.desc()),
        committed_uses=select(SubmissionRow.uses_json).where(
            SubmissionRow.message_key.in_(bindparam("keys", expanding=True))
        ),
        entries=select(EntryRow.quantity, EntryRow.value_inr, EntryRow.unit).where(
            EntryRow.scheme == bindparam("scheme"), EntryRow.number == bindparam("number")
        ),
        limit_unit=select(RecordRow.unit).where(RecordRow.record_key == bindparam("key")),
        uses=_uses(),
        manifest_functions=select(SubmissionRow.function)
        .join(ManifestRow, ManifestRow.submission_id == SubmissionRow.id)
        .where(
            ManifestRow.igm_number == bindparam("igm"),
            ManifestRow.port_code == bindparam("port"),
            _latest_version(),
        ),
        # a document's latest version: the columns :func:`_version` reads
        document=_versions().order_by(SubmissionRow.id.desc()),
        first_document=_versions().order_by(SubmissionRow.id),
    )


def _versions() -> _VersionColumns:
    """A document's versions: the columns :func:`_version` reads."""
    return select(
        SubmissionRow.message_id,
        SubmissionRow.kind,
        SubmissionRow.function,
        SubmissionRow.message_key,
        SubmissionRow.body,
        SubmissionRow.igm_number,
        SubmissionRow.document_number,
        SubmissionRow.noted_manifest,
    ).where(SubmissionRow.message_id == bindparam("message_id"))


def _uses() -> Select[str]:
    """The documents whose latest version quotes a licence: a use stands while it is on its
    document's latest version (every version that quotes the licence has its own use row; a
    cancellation quotes nothing)."""
    latest = (
        select(func.max(SubmissionRow.id))
        .where(SubmissionRow.message_id == LicenceUseRow.message_id)
        .correlate(LicenceUseRow)
        .scalar_subquery()
    )
    return (
        select(LicenceUseRow.message_id)
        .join(SubmissionRow, SubmissionRow.id == LicenceUseRow.submission_id)
        .where(
            LicenceUseRow.scheme == bindparam("scheme"),
            LicenceUseRow.number == bindparam("number"),
            LicenceUseRow.submission_id == latest,
            SubmissionRow.function != Function.CANCELLATION.value,
        )
        .distinct()
    )


@functools.cache
def _latest_version() -> ColumnElement[bool]:
    """A manifest row of its document's latest version (an amendment that renumbered the IGM
    leaves its earlier rows under the old number). Built once: SQL constructs are immutable, and
    two fresh aliases for every look-up left about 300 KB of cyclic garbage per message, which a
    run's collector settings keep for long."""
    # two aliases, one subquery correlated to the outer query's manifest row: the row's own
    # submission and every version of its document (one SubmissionRow for both, nested, tied
    # them to each other: only the manifest committed last to the database was ever found)
    own, versions = aliased(SubmissionRow), aliased(SubmissionRow)
    latest = (
        select(func.max(versions.id))
        .join(own, own.message_id == versions.message_id)
        .where(own.id == ManifestRow.submission_id)
        .scalar_subquery()
    )
    return ManifestRow.submission_id == latest


def _lock_document(session: Session, message_id: str) -> None:
    """PostgreSQL: a transaction-scoped advisory lock on the document (SQLite's ``BEGIN
    IMMEDIATE`` already serialises every committer)."""
    _lock(session, f"document:{message_id}")


def _lock_igm_number(session: Session, port_code: str, igm_number: str) -> None:
    """The lock a Bill of Entry noted against an IGM number takes before its own document's, and
    an IGM cancellation after its own and before the Bills of Entry it voids (so neither waits
    for the other holding what the other needs)."""
    _lock(session, f"igm:{port_code}:{igm_number}")


def _lock(session: Session, name: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(name.encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"),
        {"key": int.from_bytes(digest[:8], "big", signed=True)},
    )


def _noted_against(session: Session, igm_number: str) -> list[str]:
    return _distinct(
        session,
        SubmissionRow.message_id,
        SubmissionRow.igm_number == igm_number,
        SubmissionRow.kind == "bill_of_entry",
    )


def _igm_numbers(session: Session, manifest_id: str) -> list[str]:
    return _distinct(
        session,
        SubmissionRow.igm_number,
        SubmissionRow.message_id == manifest_id,
        SubmissionRow.kind == "manifest",
        SubmissionRow.igm_number.is_not(None),
    )


def _noted_by_bl(session: Session, manifest_id: str) -> list[str]:
    return _distinct(
        session,
        SubmissionRow.message_id,
        SubmissionRow.noted_manifest == manifest_id,
        SubmissionRow.kind == "bill_of_entry",
    )


def _distinct(session: Session, column: Any, *where: ColumnElement[bool]) -> list[str]:
    """The distinct values of a submission ``column`` where every condition holds, sorted."""
    return sorted(set(session.scalars(select(column).where(*where))))


def _voidable(
    session: Session, current: DocumentVersion, named: tuple[str, str]
) -> dict[str, tuple[DocumentVersion, list[Credit]]]:
    """The live Bills of Entry noted against an IGM being cancelled, each locked, with what
    crediting it back writes: those quoting its number at its port (the live document's number
    and any it had before an amendment renumbered it; a cancellation names its document by
    message id and its own number may be missing, else what the cancellation names), and those
    noted by their B/L against it while it had no IGM number."""
    live = current.model() if not current.cancelled else None
    document = live if isinstance(live, ImportGeneralManifest) else None
    igm_number, port_code = (
        (document.igm_number, document.port_code)
        if document is not None and document.igm_number
        else named
    )
    numbers = {igm_number} if igm_number else set()
    if document is not None:
        numbers.update(_igm_numbers(session, current.message_id))
    for number in sorted(numbers):  # after the IGM's own lock, before its Bills of Entry
        _lock_igm_number(session, port_code, number)
    by_number = [noted for number in sorted(numbers) for noted in _noted_against(session, number)]
    linked = _noted_by_bl(session, current.message_id) if document is not None else []
    found = {}
    for message_id in sorted({*by_number, *linked}):
        _lock_document(session, message_id)  # sorted: IGM first, then its BoEs in order
        version = _document(session.connection(), message_id)
        boe = version.model() if version is not None and not version.cancelled else None
        if not isinstance(boe, BillOfEntry) or version is None:
            continue
        if noted_against(version, boe, numbers, port_code, document):
            found[message_id] = (version, reversals(_holdings(session, message_id)))
    return found


def _committed_uses(reading: Connection, keys: Sequence[str]) -> list[AuthorisationUse] | None:
    stored = reading.scalars(_statements().committed_uses, {"keys": list(keys)}).first()
    if stored is None:
        return None
    return [AuthorisationUse.model_validate(use) for use in json.loads(stored)]


def _document(reading: Connection, message_id: str) -> DocumentVersion | None:
    row = reading.execute(_statements().document, {"message_id": message_id}).first()
    return None if row is None else _version(row)


class _Versioned(Protocol):
    """What :func:`_version` reads of a submission: an ORM row, or the columns of one."""

    message_id: str
    kind: str
    function: str
    message_key: str
    body: str | None
    igm_number: str | None
    document_number: str | None
    noted_manifest: str | None


def _version(row: _Versioned) -> DocumentVersion:
    return DocumentVersion(
        message_id=row.message_id,
        kind=row.kind,
        function=Function(row.function),
        key=row.message_key,
        body=row.body,
        number=row.igm_number if row.kind == "manifest" else row.document_number,
        noted_manifest=row.noted_manifest if row.kind == "bill_of_entry" else None,
    )


def _holdings(session: Session, message_id: str) -> Holdings:
    held: Holdings = {}
    rows = session.execute(
        select(
            EntryRow.scheme,
            EntryRow.number,
            EntryRow.item,
            EntryRow.unit,
            EntryRow.quantity,
            EntryRow.value_inr,
        )
        .where(EntryRow.message_id == message_id)
        .order_by(EntryRow.id)
    )
    add_holdings(
        held,
        (
            ((scheme, number, item, unit), quantity, value)
            for scheme, number, item, unit, quantity, value in rows
        ),
    )
    return held


def _conflict(current: DocumentVersion | None, submission: Submission) -> tuple[str, str] | None:
    """The document's committed state does not allow this message (docs/core-checks.md)."""
    if current is None:
        return None
    if submission.function == Function.ORIGINAL:
        return ("CORE-DOC-001", refiled(submission.message_id, submission.kind, current))
    if current.kind != submission.kind:
        return (
            "CORE-DOC-003",
            f"document {submission.message_id} is a "
            f"{current.kind.replace('_', ' ')}: a {submission.kind.replace('_', ' ')} "
            "message cannot amend or cancel it",
        )
    if current.cancelled:
        return (
            "CORE-DOC-003",
            f"document {submission.message_id} is cancelled: it cannot "
            f"be {'amended' if submission.function == Function.AMENDMENT else 'cancelled'}"
            " again",
        )
    return None


def _noted_cancelled(reading: Connection, submission: Submission) -> tuple[str, str] | None:
    """A Bill of Entry whose IGM was cancelled (and committed) after the run checked it: it can
    no longer be noted against it (CORE-BOE-NOTE-005). Read under the IGM's lock."""
    if submission.noted_manifest is not None:
        manifest = _document(reading, submission.noted_manifest)
        if manifest is not None and manifest.cancelled:
            return (
                "CORE-BOE-NOTE-005",
                f"the manifest {submission.noted_manifest} it is noted against was cancelled "
                "while this Bill of Entry was checked: nothing is stored",
            )
    if submission.noted_igm is None:
        return None
    igm_number, port_code = submission.noted_igm
    bound = {"igm": igm_number, "port": port_code}
    functions = set(reading.scalars(_statements().manifest_functions, bound))
    if functions and functions <= {Function.CANCELLATION.value}:
        return (
            "CORE-BOE-NOTE-005",
            f"IGM {igm_number} was cancelled while this Bill of Entry was checked: it cannot be "
            "noted against it; nothing is stored",
        )
    return None


class _Refused(Exception):
    def __init__(self, outcome: CommitOutcome):
        super().__init__("balance re-check failed")
        self.outcome = outcome


def _refused(
    reading: Connection,
    submission: Submission,
    *,
    shortfalls: Sequence[Shortfall] = (),
    conflict: tuple[str, str] | None = None,
) -> CommitOutcome:
    """A submission the store refuses under its locks, with what each account its uses name
    has left as the ledger holds it, read in the refusing transaction: nothing of it written,
    nothing of the version it would replace released (what the run worked out before the
    locks is of another moment)."""
    accounts = {(use.scheme.upper(), use.number) for use in submission.uses}
    return CommitOutcome(
        committed=False,
        shortfalls=list(shortfalls),
        conflict=conflict,
        left=_standing(reading, accounts),
    )


def _limits(
    reading: Connection, accounts: Collection[tuple[str, str]], *, lock: bool = False
) -> dict[tuple[str, str], tuple[Decimal | None, Decimal | None, str | None]]:
    """The limit of each account that has a registry row: (quantity, INR value, unit);
    ``lock``: the rows locked, in key order (deterministic, so two committers never deadlock)."""
    if not accounts:
        return {}
    keys = sorted(
        record_key("authorisation", scheme, number, None, None) for scheme, number in accounts
    )
    query = (
        select(
            RecordRow.scheme,
            RecordRow.number,
            RecordRow.quantity,
            RecordRow.value_inr,
            RecordRow.unit,
        )
        .where(RecordRow.record_key.in_(keys))
        .order_by(RecordRow.record_key)
    )
    rows = reading.execute(query.with_for_update() if lock else query).all()
    return {
        (scheme or "", number): (quantity, value, unit)
        for scheme, number, quantity, value, unit in rows
    }


def _standing(
    reading: Connection, accounts: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[Decimal | None, Decimal | None]]:
    """What each account has left as the ledger holds it: its limit less its entries (``None``
    where there is no limit; a bond holds the opposite of its entries)."""
    accounts = sorted(set(accounts))
    limits = _limits(reading, [account for account in accounts if account[0] != BOND])
    standing: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
    for scheme, number in accounts:
        if scheme == BOND:
            standing[(scheme, number)] = (-_debited(reading, BOND, number, None)[0], None)
            continue
        limit_q, limit_v, unit = limits.get((scheme, number), (None, None, None))
        if limit_q is None and limit_v is None:
            standing[(scheme, number)] = (None, None)
            continue
        quantity, value = _debited(reading, scheme, number, unit)
        standing[(scheme, number)] = (
            None if limit_q is None else limit_q - quantity,
            None if limit_v is None else limit_v - value,
        )
    return standing


def _limit_unit(reading: Connection, scheme: str, number: str) -> str | None:
    """The unit of an account's limit: its registry row's (``None``: no row, or a bond)."""
    if scheme == BOND:
        return None
    key = record_key("authorisation", scheme, number, None, None)
    return reading.execute(_statements().limit_unit, {"key": key}).scalar()


def _debited(
    reading: Connection, scheme: str, number: str, unit: str | None
) -> tuple[Decimal, Decimal]:
    """An account's balance: the sum of its entries (debits less what was credited back), each
    quantity in ``unit``, its limit's (:func:`_limit_unit`): a limit restated in another unit, or
    put on record after debits in another, must not add kilograms to tonnes. A bond's entries
    are in its opening unit already (``unit`` ``None``)."""
    rows = reading.execute(_statements().entries, {"scheme": scheme, "number": number}).all()
    return (
        sum((in_limit_unit(q, u, unit) for q, _, u in rows), ZERO),
        sum((v for _, v, _ in rows), ZERO),
    )


def _recheck(
    session: Session, debits: Sequence[Debit], credits: Sequence[Credit] = ()
) -> tuple[list[Shortfall], dict[tuple[str, str], tuple[Decimal | None, Decimal | None]]]:
    """Re-check every debit against limit − committed entries + what this message credits back,
    under row locks taken in key order (deterministic, so two committers never deadlock). The
    accounts credited back are locked too, so committers touching one account are serialised.
    Returns the shortfalls, and what each debited account with a limit has left after the
    debits (the balance as committed, which a committer that read it before the lock may not
    have seen)."""
    if not debits and not credits:
        return [], {}
    released: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for credit in credits:
        quantity, value = released.get((credit.scheme, credit.number), (ZERO, ZERO))
        released[(credit.scheme, credit.number)] = (
            quantity + credit.quantity,
            value + credit.value_inr,
        )
    # a bond balance's clearances are serialised by its warehousing document's lock, taken
    # before any row lock (document locks always come first)
    for warehousing in sorted(
        {bond_parts(d.number)[0] for d in debits if d.scheme == BOND and d.kind != "bond"}
    ):
        _lock_document(session, warehousing)
    accounts = {(d.scheme, d.number) for d in debits} | {(c.scheme, c.number) for c in credits}
    reading = session.connection()  # the transaction's own, for reads of columns
    locked = _limits(reading, accounts, lock=True)
    limits = {key: (quantity, value) for key, (quantity, value, _) in locked.items()}
    units = {key: unit for key, (_, _, unit) in locked.items()}
    spent: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    left: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
    shortfalls = []
    for debit in debits:
        key = (debit.scheme, debit.number)
        if debit.scheme == BOND and debit.kind == "bond":
            continue  # opening a bond balance (a negative entry by design) exhausts nothing
        reason = improper(debit.quantity, debit.value_inr)
        if reason is not None:  # never written, whatever the caller let through
            if debit.claim is None:
                raise LedgerError(f"{debit.scheme} {debit.number} item {debit.item}: {reason}")
            shortfalls.append(Shortfall(debit.claim, None, None, reason))
            continue
        # a bond's limit is 0, opened by its bond entries
        limit = (ZERO, None) if debit.scheme == BOND else limits.get(key)
        if limit is None:
            continue  # no registry limit: nothing to exhaust
        if key not in spent:
            quantity, value = _debited(reading, *key, units.get(key))
            freed_q, freed_v = released.get(key, (ZERO, ZERO))
            spent[key] = (quantity - freed_q, value - freed_v)
        quantity, value = spent[key]
        limit_q, limit_v = limit
        left_q = None if limit_q is None else limit_q - quantity
        left_v = None if limit_v is None else limit_v - value
        if (left_q is not None and debit.quantity > left_q) or (
            left_v is not None and debit.value_inr > left_v
        ):
            if debit.claim is not None:
                shortfalls.append(Shortfall(debit.claim, left_q, left_v, limit_unit=debit.unit))
            continue
        spent[key] = (quantity + debit.quantity, value + debit.value_inr)
        left[key] = (
            None if limit_q is None else limit_q - spent[key][0],
            None if limit_v is None else limit_v - spent[key][1],
        )
    return shortfalls, left


def _write(connection: Connection, submission: Submission, credits: Sequence[Credit]) -> None:
    """The submission's rows, inserted on the committing transaction's connection (statements,
    not ORM objects: the unit of work's flush cost more than the inserts themselves)."""
    now = datetime.now(UTC)
    inserted = connection.execute(
        insert(SubmissionRow),
        {
            "message_key": submission.key,
            "message_id": submission.message_id,
            "kind": submission.kind,
            "committed_at": now,
            "uses_json": json.dumps([u.model_dump(mode="json") for u in submission.uses]),
            "function": str(submission.function),
            "run_id": submission.run_id,
            "body": submission.body,
            "igm_number": submission.igm_number,
            "document_number": submission.document_number,
            "noted_manifest": submission.noted_manifest,
        },
    ).inserted_primary_key
    assert inserted is not None
    submission_id = inserted[0]
    common = {
        "submission_id": submission_id,
        "message_id": submission.message_id,
        "function": str(submission.function),
        "created_at": now,
        "run_id": submission.run_id,
    }
    entries = [
        {
            **common,
            "kind": "reversal",
            "scheme": credit.scheme,
            "number": credit.number,
            "item": credit.item,
            "quantity": -credit.quantity,
            "unit": credit.unit,
            "value_inr": -credit.value_inr,
        }
        for credit in credits
    ] + [
        {
            **common,
            "kind": debit.kind,
            "scheme": debit.scheme,
            "number": debit.number,
            "item": debit.item,
            "quantity": debit.quantity,
            "unit": debit.unit,
            "value_inr": debit.value_inr,
        }
        for debit in submission.debits
    ]
    if entries:  # inserted in this order (a document's holdings are read in id order)
        connection.execute(insert(EntryRow), entries)
    if submission.licences:
        connection.execute(
            insert(LicenceUseRow),
            [
                {
                    "submission_id": submission_id,
                    "scheme": scheme,
                    "number": number,
                    "message_id": submission.message_id,
                }
                for scheme, number in submission.licences
            ],
        )
    manifest = submission.manifest
    if manifest is not None:
        connection.execute(
            insert(ManifestRow),
            {
                "submission_id": submission_id,
                "igm_number": manifest.igm_number,
                "port_code": manifest.port_code,
                "igm_date": manifest.igm_date,
                "body": manifest.model_dump_json(),
            },
        )


def _to_record(row: RecordRow) -> RegistryRecord:
    values = {name: getattr(row, name) for name in _RECORD_FIELDS}
    values["hs_codes"] = tuple((row.hs_codes or "").split())
    try:
        return RegistryRecord(**values)
    except ValidationError:
        # a row an earlier release imported that the import now refuses (a date outside the
        # message range): kept as stored, rather than no registry at all
        return RegistryRecord.model_construct(**values)
