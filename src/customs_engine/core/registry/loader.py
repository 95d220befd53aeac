"""Loading import files into the registry: staged, checked for conflicts, inserted in batches.

Rows are streamed from the files into a temporary SQLite staging file (memory stays bounded
whatever the file size), then:

* two rows for one registry key (an authorisation and a registration of one number, two limits
  for one authorisation) that differ are a **conflict**: every such row is reported as
  ``FILE:LINE`` and the files holding them import nothing (identical repeats are fine);
* a row that differs from the stored row of its key is a conflict too, unless ``replace`` is
  asked for (``registry import --replace``); a row equal to the stored one is left as it is;
* a row that restates an authorisation's limit in a unit that does not convert from the unit
  committed Bills of Entry already debited it in (``NOS`` to ``MTS``) is refused, even with
  ``replace``: its balance would mix units;
* a file with a bad row or a conflict imports nothing; the rows of the other files are written in
  one transaction, in batches. When another import writes the same keys between the comparison
  and the write, the rows are compared again with what it stored.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from customs_engine.core.ledger.units import compatible
from customs_engine.core.registry.importer import ImportFileError, read_rows
from customs_engine.core.registry.records import RegistryRecord
from customs_engine.core.registry.tables import RecordRow, record_key

#: rows per staging or database batch
BATCH = 5000
#: problems printed per file (the rest are counted)
MAX_REPORTED = 50
_VALUE_COLUMNS = tuple(RegistryRecord.model_fields)
#: the table itself: a Core insert of plain dicts (the ORM's bulk path builds an object per row)
RECORDS = cast(Table, RecordRow.__table__)
_DATES = ("issued_on", "valid_until", "expected_arrival")
#: how many times rows are compared again when another import wrote the same keys meanwhile
RACES = 5


@dataclass
class FileOutcome:
    path: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0
    #: rows written: new keys and, with ``replace``, keys whose stored row differed
    imported: int = 0
    #: of ``imported``, the rows that replaced a stored row
    replaced: int = 0
    #: rows equal to the stored row of their key, left as they were
    unchanged: int = 0
    #: rows repeating an earlier row of the import (same key, same values): written once
    repeated: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(text)
        else:
            self.more_problems += 1


def row_values(record: RegistryRecord) -> dict[str, Any]:
    """The registry columns of a record, as JSON-safe values (dates ISO, figures as text)."""
    values: dict[str, Any] = {}
    for name in _VALUE_COLUMNS:
        value = getattr(record, name)
        if name == "hs_codes":
            value = " ".join(value) or None
        elif name == "scheme" and value:
            value = value.upper()
        elif isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, date):
            value = value.isoformat()
        values[name] = value
    return values


def _stored_values(row: RecordRow) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _VALUE_COLUMNS:
        value = getattr(row, name)
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, date):
            value = value.isoformat()
        values[name] = value
    return values


_FIGURES = ("quantity", "value_inr", "fee_paid_inr", "rate")


def _digest(values: dict[str, Any]) -> str:
    """Equal for equal rows: figures compared by value (``100`` equals ``100.00``)."""
    canonical = tuple(
        format(Decimal(values[name]).normalize(), "f")
        if name in _FIGURES and values[name] is not None
        else values[name]
        for name in _VALUE_COLUMNS
    )
    return hashlib.sha1(repr(canonical).encode(), usedforsecurity=False).hexdigest()


def _describe(values: dict[str, Any]) -> str:
    kind, scheme, number = values["kind"], values.get("scheme"), values["number"]
    return f"{kind} {scheme + ' ' if scheme else ''}{number}"


def _differences(one: dict[str, Any], other: dict[str, Any]) -> str:
    changed = [name for name in _VALUE_COLUMNS if one.get(name) != other.get(name)]
    return ", ".join(f"{name} {other.get(name)} → {one.get(name)}" for name in changed[:4])


class StagingError(Exception):
    """The import's temporary staging file could not be written (a full temporary directory):
    nothing was imported."""


class ImportRaced(Exception):
    """Other imports kept writing the same rows between this one's comparison and its write:
    nothing was imported."""


@contextmanager
def _stops_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back until the block ends (delivered then): a stop that landed
    after the staging folder was made and before its clean-up was registered left it behind."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


class Load:
    """One ``registry import`` of several files into a :class:`SqlRegistry`'s engine."""

    def __init__(self, store: Any, *, replace: bool = False):
        self.store = store
        self.replace = replace

    def run(self, paths: Sequence[str]) -> list[FileOutcome]:
        """Import ``paths``: every file that has no bad or conflicting row, in one transaction
        (a database failure raises SQLAlchemy's error and writes nothing); :class:`StagingError`
        when the temporary staging file cannot be written (nothing written either)."""
        try:
            return self._run(paths)
        except sqlite3.Error as exc:  # the registry's own errors are SQLAlchemy's, never these
            raise StagingError(f"cannot stage the import in a temporary file: {exc}") from exc

    def _run(self, paths: Sequence[str]) -> list[FileOutcome]:
        outcomes = [FileOutcome(path) for path in paths]
        try:
            with _stops_held():
                temporary = tempfile.TemporaryDirectory(prefix="customs-import-")
        except OSError as exc:
            raise StagingError(
                f"cannot stage the import in a temporary directory: {exc.strerror or exc}"
            ) from exc
        with temporary as folder:
            staging = sqlite3.connect(Path(folder) / "staging.db")
            try:
                staging.execute("PRAGMA journal_mode = OFF")
                staging.execute("PRAGMA synchronous = OFF")
                staging.execute(
                    "CREATE TABLE staging (file INTEGER, line INTEGER, key TEXT, "
                    "digest TEXT, body TEXT, action TEXT)"
                )
                for index, outcome in enumerate(outcomes):
                    self._stage(staging, index, outcome)
                staging.execute("CREATE INDEX staging_key ON staging (key)")
                self._conflicts_between_rows(staging, outcomes)
                self._compare_and_write(staging, outcomes)
            finally:
                staging.close()
        return outcomes

    # -- staging -------------------------------------------------------------------------------

    def _stage(self, staging: sqlite3.Connection, index: int, outcome: FileOutcome) -> None:
        batch: list[tuple[int, int, str, str, str]] = []
        try:
            for line, row in read_rows(outcome.path):
                outcome.rows += 1
                if isinstance(row, str):
                    outcome.problem(f"{outcome.path}:{line}: {row}")
                    continue
                if outcome.failed:
                    continue  # the file imports nothing: read on only to report its problems
                values = row_values(row)
                key = record_key(row.kind, row.scheme, row.number, row.currency, row.issued_on)
                batch.append((index, line, key, _digest(values), json.dumps(values)))
                if len(batch) >= BATCH:
                    staging.executemany("INSERT INTO staging VALUES (?, ?, ?, ?, ?, NULL)", batch)
                    batch.clear()
        except ImportFileError as exc:
            for error in exc.errors:
                outcome.problem(error)
        if outcome.failed:
            staging.execute("DELETE FROM staging WHERE file = ?", (index,))
        elif batch:
            staging.executemany("INSERT INTO staging VALUES (?, ?, ?, ?, ?, NULL)", batch)

    def _conflicts_between_rows(
        self, staging: sqlite3.Connection, outcomes: list[FileOutcome]
    ) -> None:
        keys = [
            key
            for (key,) in staging.execute(
                "SELECT key FROM staging GROUP BY key HAVING COUNT(DISTINCT digest) > 1 "
                "ORDER BY MIN(file), MIN(line)"
            )
        ]
        for key in keys:
            rows = staging.execute(
                "SELECT file, line, digest, body FROM staging WHERE key = ? ORDER BY file, line",
                (key,),
            ).fetchall()
            for file, line, digest, body in rows:
                other = next(r for r in rows if r[2] != digest)
                values, theirs = json.loads(body), json.loads(other[3])
                outcomes[file].problem(
                    f"{outcomes[file].path}:{line}: {_describe(values)} conflicts with "
                    f"{outcomes[other[0]].path}:{other[1]} ({_differences(values, theirs)})"
                )
        self._drop_failed(staging, outcomes)

    def _compare_with_stored(
        self, staging: sqlite3.Connection, outcomes: list[FileOutcome]
    ) -> None:
        """Mark each key ``insert``, ``replace`` or ``keep``; a stored row that differs is a
        conflict without ``replace``, and with it when its limit's new unit would strand what
        was debited in the old one (see :meth:`_stranded`)."""
        cursor = staging.execute("SELECT key, MIN(rowid) FROM staging GROUP BY key ORDER BY key")
        while chunk := cursor.fetchmany(500):
            firsts = {key: rowid for key, rowid in chunk}
            with Session(self.store.engine) as session:
                stored = {
                    row.record_key: row
                    for row in session.scalars(
                        select(RecordRow).where(RecordRow.record_key.in_(firsts))
                    )
                }
            decisions = []
            for key, rowid in firsts.items():
                row = stored.get(key)
                if row is None:
                    decisions.append(("insert", key))
                    continue
                theirs = _stored_values(row)
                digest, body = staging.execute(
                    "SELECT digest, body FROM staging WHERE rowid = ?", (rowid,)
                ).fetchone()
                if _digest(theirs) == digest:
                    decisions.append(("keep", key))
                else:
                    why = (
                        self._stranded(json.loads(body), row)
                        if self.replace
                        else f"differs from the stored row (imported from {row.source}): "
                        f"{_differences(json.loads(body), theirs)}; nothing is replaced "
                        "without --replace"
                    )
                    if why is None:
                        decisions.append(("replace", key))
                        continue
                    decisions.append(("conflict", key))
                    for other_file, other_line in staging.execute(
                        "SELECT file, line FROM staging WHERE key = ?", (key,)
                    ).fetchall():
                        outcomes[other_file].problem(
                            f"{outcomes[other_file].path}:{other_line}: "
                            f"{_describe(json.loads(body))} {why}"
                        )
            staging.executemany("UPDATE staging SET action = ? WHERE key = ?", decisions)
        self._drop_failed(staging, outcomes)

    def _stranded(self, values: dict[str, Any], stored: RecordRow) -> str | None:
        """Why a licence's restated limit cannot replace the stored one: committed Bills of
        Entry debited it in a unit the new limit's does not convert from (``NOS`` to ``MTS``),
        and its balance would then add up quantities in both; ``None`` when nothing would."""
        unit = values["unit"]
        if stored.kind not in ("authorisation", "registration") or not unit:
            return None
        if unit == stored.unit:
            return None
        held: dict[str | None, Decimal] = {}
        for entry in self.store.entries_of(stored.scheme or "", stored.number):
            held[entry.unit] = held.get(entry.unit, Decimal(0)) + entry.quantity
        for debited_unit, quantity in held.items():
            if quantity and not compatible(debited_unit, unit):
                return (
                    f"restates its limit as {values['quantity']} {unit}, but {quantity} "
                    f"{debited_unit} are already debited against it by committed Bills of "
                    f"Entry, and {debited_unit} does not convert to {unit}; nothing is replaced"
                )
        return None

    @staticmethod
    def _drop_failed(staging: sqlite3.Connection, outcomes: list[FileOutcome]) -> None:
        failed = [(index,) for index, outcome in enumerate(outcomes) if outcome.failed]
        staging.executemany("DELETE FROM staging WHERE file = ?", failed)

    # -- writing ---------------------------------------------------------------------------------

    def _compare_and_write(self, staging: sqlite3.Connection, outcomes: list[FileOutcome]) -> None:
        """Compare with the stored rows, then write. Another import may store one of the same
        keys in between (two imports of one file at once): this one's insert then breaks the
        key's uniqueness and its transaction writes nothing, so its rows are compared again
        with what the other stored (now unchanged rows, or conflicts)."""
        for _ in range(RACES):
            self._compare_with_stored(staging, outcomes)
            try:
                self._write(staging, outcomes)
            except IntegrityError as exc:
                if not _duplicate_key(exc):
                    raise
                continue
            self._count(staging, outcomes)
            return
        raise ImportRaced(
            f"other imports kept storing the same rows while this one compared them ({RACES} "
            "times): run it again"
        )

    def _write(self, staging: sqlite3.Connection, outcomes: list[FileOutcome]) -> None:
        rows = staging.execute(
            "SELECT key, action, file, body FROM staging WHERE rowid IN "
            "(SELECT MIN(rowid) FROM staging GROUP BY key) AND action IN ('insert', 'replace') "
            "ORDER BY rowid"
        )
        with Session(self.store.engine) as session, session.begin():
            while chunk := rows.fetchmany(BATCH):
                replaced = [key for key, action, _, _ in chunk if action == "replace"]
                if replaced:
                    session.execute(delete(RecordRow).where(RecordRow.record_key.in_(replaced)))
                session.execute(insert(RECORDS), list(_inserts(chunk, outcomes)))

    @staticmethod
    def _count(staging: sqlite3.Connection, outcomes: list[FileOutcome]) -> None:
        """What each file's rows came to: written, replacing, unchanged, or repeating a row
        before them (a key's first row is the one written)."""
        firsts = staging.execute(
            "SELECT file, action, COUNT(*) FROM staging WHERE rowid IN "
            "(SELECT MIN(rowid) FROM staging GROUP BY key) GROUP BY file, action"
        )
        for file, action, count in firsts:
            outcome = outcomes[file]
            if action in ("insert", "replace"):
                outcome.imported += count
                if action == "replace":
                    outcome.replaced += count
            else:
                outcome.unchanged += count
        for outcome in outcomes:
            if not outcome.failed:
                outcome.repeated = outcome.rows - outcome.imported - outcome.unchanged


def _duplicate_key(exc: IntegrityError) -> bool:
    """Whether the database refused a row because its key is stored already (PostgreSQL's
    unique violation, SQLite's UNIQUE constraint), not for another constraint."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


def _inserts(
    chunk: Iterable[tuple[str, str, int, str]], outcomes: list[FileOutcome]
) -> Iterator[dict[str, Any]]:
    for key, _, file, body in chunk:
        values = json.loads(body)
        for name in _DATES:
            if values[name] is not None:
                values[name] = date.fromisoformat(values[name])
        values["record_key"] = key
        values["source"] = outcomes[file].path
        yield values
