"""``customs registry import | show | list`` and opening the registry for ``validate``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING

import click

from customs_engine.cli_options import db_option
from customs_engine.core.dates import shown_instant
from customs_engine.core.ledger.units import in_limit_unit
from customs_engine.core.money import inr
from customs_engine.core.registry import missing_driver_hint, resolve_url, url_for_run
from customs_engine.core.registry.records import RegistryRecord
from customs_engine.core.registry.urls import in_memory, shown_url

if TYPE_CHECKING:  # SQLAlchemy and Alembic load only when a database is opened
    from customs_engine.core.registry.loader import FileOutcome
    from customs_engine.core.registry.store import SqlRegistry
    from customs_engine.core.registry.tables import EntryRow

EXIT_USAGE = 2


@contextmanager
def opened_registry(
    db: str | None,
    *,
    create: bool = True,
    reads_only: bool = False,
    failure: str = "cannot read the registry",
) -> Iterator[SqlRegistry]:
    """The registry database for a command that reads or writes it (created and migrated when
    needed; exit code 2 when it cannot be opened), closed when the command is done. A command
    that only reads (``create=False``) creates nothing: a SQLite file that does not exist, or a
    database that holds no registry schema, is reported (exit code 2) instead of being created;
    one that writes nothing either (``reads_only``) opens a registry at the newest schema
    revision read-only (not a byte of a SQLite file changes, not its journal mode).

    A database failure while the command works with it (a full disk, a read-only database, a
    lost connection) stops it with one line on stderr, ``customs: <failure> <URL>: <reason>``,
    and exit code 2: never a traceback. ``failure`` says what could not be done, and what was
    left as it was (``cannot import into the registry``, ``…; nothing imported``).
    """
    store = open_registry(db, create=create and not reads_only, reads_only=reads_only)
    assert store is not None  # only a run (``for_run``) may go without a database
    try:
        with database_failures_reported(db, failure):
            yield store
    finally:
        store.close()


@contextmanager
def database_failures_reported(db: str | None, failure: str) -> Iterator[None]:
    """A database failure in the block stops the command with one line on stderr,
    ``customs: <failure> <URL>: <reason>``, and exit code 2 (see :func:`opened_registry`)."""
    from sqlalchemy.exc import SQLAlchemyError

    from customs_engine.core.registry.database import database_reason

    try:
        yield
    except SQLAlchemyError as exc:
        lead, _, outcome = failure.partition(";")
        click.echo(
            f"customs: {lead} {shown_url(resolve_url(db))}: {database_reason(exc)}"
            f"{';' + outcome if outcome else ''}",
            err=True,
        )
        sys.exit(EXIT_USAGE)


def open_registry(
    db: str | None,
    *,
    for_run: bool = False,
    commit: bool = False,
    create: bool = True,
    reads_only: bool = False,
) -> SqlRegistry | None:
    """Open the registry or stop with exit code 2 and the reason.

    For a run (``for_run``) that has no database to read, ``None`` (and a warning on stderr):
    SQLAlchemy and Alembic are then never imported. Without ``create``, a database that does
    not exist (a SQLite file) or holds no registry schema stops the command with exit code 2;
    nothing is created (a registry at an older schema revision is migrated, as on every open);
    with ``reads_only`` too, one at the newest revision is opened read-only. A command that
    stores (``create``, a run's ``commit``) refuses an in-memory database (exit code 2): what it
    stored would be gone when it ends.
    """
    url = resolve_url(db)
    if (for_run or not create) and url_for_run(url, commit) is None:
        missing = f"customs: no registry database at {shown_url(url)}"
        if not for_run:
            click.echo(f"{missing} ({NOTHING_CREATED})", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(
            f"{missing}: checking against an empty registry (nothing is created without --commit)",
            err=True,
        )
        return None
    if (commit if for_run else create) and in_memory(url):
        click.echo(
            f"customs: {shown_url(url)} is an in-memory database: what this command stores would "
            "be gone when it ends; give a database file (sqlite:///PATH) or a server database",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from customs_engine.core.registry.database import database_reason
    from customs_engine.core.registry.store import SqlRegistry

    try:
        if for_run and not commit:
            # nothing is written without --commit: not a schema, not a journal mode
            store = SqlRegistry.open_read_only(url)
            if store is None:
                click.echo(
                    f"customs: the registry database at {shown_url(url)} holds no registry yet: "
                    "checking against an empty registry (nothing is created without "
                    "--commit)",
                    err=True,
                )
            return store
        if not create:
            found = SqlRegistry.open_existing(url, writes=not reads_only)
            if found is None:
                click.echo(
                    f"customs: the database at {shown_url(url)} holds no registry "
                    f"({NOTHING_CREATED})",
                    err=True,
                )
                sys.exit(EXIT_USAGE)
            return found
        return SqlRegistry.open(url)
    except ImportError as exc:  # the dialect's DBAPI driver is not installed
        click.echo(
            f"customs: cannot open registry {shown_url(url)}: its database driver is not installed "
            f"({exc.name or exc}); {missing_driver_hint(url)}",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    except (SQLAlchemyError, CommandError, OSError, ValueError) as exc:
        click.echo(
            f"customs: cannot open registry {shown_url(url)}: {database_reason(exc)}", err=True
        )
        sys.exit(EXIT_USAGE)


#: what a command that only reads says of a database it does not find
NOTHING_CREATED = "nothing is created: 'customs registry import' creates it"


@click.group()
def registry() -> None:
    """Authorisations, registrations, agencies and exchange rates."""


@registry.command("where")
@db_option
def where(db: str | None) -> None:
    """Print the registry database URL in use (--db, else $CUSTOMS_DB, else the default); a
    password in it is shown as ``***``."""
    click.echo(shown_url(resolve_url(db)))


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def _imported(outcome: FileOutcome) -> str:
    """``imported 3 rows (1 replacing a stored row); 2 unchanged; 1 repeated``."""
    text = f"imported {_rows(outcome.imported)}"
    if outcome.replaced:
        stored = "a stored row" if outcome.replaced == 1 else "stored rows"
        text += f" ({outcome.replaced} replacing {stored})"
    if outcome.unchanged:
        text += f"; {_rows(outcome.unchanged)} unchanged (already stored)"
    if outcome.repeated:
        text += f"; {_rows(outcome.repeated)} repeating an earlier row of this import"
    return text


def _stopped(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@registry.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--replace",
    is_flag=True,
    help="Replace stored rows that differ (an amended authorisation); without it a "
    "differing row is a conflict and its file imports nothing.",
)
@db_option
def import_(files: tuple[str, ...], replace: bool, db: str | None) -> None:
    """Import CSV (.csv) or JSON Lines (.jsonl) files; a file with a bad or conflicting row
    imports nothing."""
    from customs_engine.core.registry.loader import ImportRaced, Load, StagingError

    # SIGTERM stops the import as Ctrl-C does: the file in hand is rolled back and its staging
    # copy (several times the file's size) removed, instead of left behind in the temp folder
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        with opened_registry(
            db, failure="cannot import into the registry; nothing imported"
        ) as store:
            try:
                outcomes = Load(store, replace=replace).run(files)
            except (StagingError, ImportRaced) as exc:
                click.echo(f"customs: {exc}; nothing imported", err=True)
                sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo(
            "customs: stopped: the file in hand imported nothing; files imported before it stay",
            err=True,
        )
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for outcome in outcomes:
        if outcome.failed:
            for problem in outcome.problems:
                click.echo(f"customs: {problem}", err=True)
            if outcome.more_problems:
                click.echo(
                    f"customs: {outcome.path}: {outcome.more_problems} more problem(s)", err=True
                )
            click.echo(f"customs: {outcome.path}: nothing imported", err=True)
        else:
            click.echo(f"{outcome.path}: {_imported(outcome)}")
    sys.exit(1 if any(outcome.failed for outcome in outcomes) else 0)


@registry.command()
@click.argument("number")
@db_option
def show(number: str, db: str | None) -> None:
    """Holder, validity, limits, committed debits and what remains of one number: an
    authorisation, registration, agency or exchange rate; or the bond balances of a warehousing
    Bill of Entry (its BE number or message id, or one balance ``<message id>/<HS code>``)."""
    with opened_registry(db, reads_only=True) as store:
        found = store.records(number=number)
        bonds = [] if found else _bonds(store, number)
        if not found and not bonds:
            loose = store.entries_numbered(number)
            click.echo(f"customs: {number} is not in the registry", err=True)
            if loose:  # quoted on committed Bills of Entry before its row was imported
                _show_unrecorded(store, number, loose)
            sys.exit(1)
        for index, record in enumerate(found):
            if index:
                click.echo("")
            _show(store, record)
        for index, account in enumerate(bonds):
            if index:
                click.echo("")
            _show_bond(store, account)


def _show_unrecorded(store: SqlRegistry, number: str, entries: list[EntryRow]) -> None:
    """The ledger entries of a licence with no registry row: no holder, dates or limits to show,
    but what committed Bills of Entry debited of it (it counts once the row is imported)."""
    schemes = sorted({entry.scheme for entry in entries})
    click.echo(f"{' / '.join(schemes)} {number}: no registry row (no holder, dates or limits)")
    click.echo(f"  entries:  {len(entries)}")
    voided = _voided(store, entries)
    for entry in entries:
        click.echo(_entry(entry, "", voided, value=True))


def _bonds(store: SqlRegistry, number: str) -> list[str]:
    """The bond balances ``number`` names: one balance, or a warehousing BoE's (by its message
    id, or by its BE number: every one's that carries it, as BE numbers are allotted per
    port)."""
    from customs_engine.core.ledger.run_state import BOND

    if "/" in number and store.entries_of(BOND, number):
        return [number]
    holders = [*store.numbered(number)] or [number]
    return [account for holder in holders for account in store.bond_accounts(holder)]


def _show_bond(store: SqlRegistry, account: str) -> None:
    from customs_engine.core.ledger.run_state import BOND, bond_parts

    warehousing, hs_code = bond_parts(account)
    click.echo(f"bond {account}: warehousing Bill of Entry {warehousing}, HS {hs_code}")
    entries = store.entries_of(BOND, account)
    unit = next((f" {entry.unit}" for entry in entries if entry.unit), "")
    click.echo(f"  entries:  {len(entries)} (opened negative, cleared positive)")
    voided = _voided(store, entries)
    for entry in entries:
        click.echo(_entry(entry, unit, voided))
    left = -sum((entry.quantity for entry in entries), Decimal(0))
    click.echo(f"  remaining in bond: {left}{unit}")


def _voided(store: SqlRegistry, entries: Sequence[EntryRow]) -> dict[int, str]:
    """The entries' submissions that voided a Bill of Entry, with the cancelled IGM
    (``IGM 2234567``)."""
    return store.voided_by(e.submission_id for e in entries if e.function == "cancellation")


def _function(function: str, voided_by: str | None) -> str:
    """A version's function as shown: a Bill of Entry voided by an IGM cancellation was not
    cancelled by a message of its own."""
    return function if voided_by is None else f"voided by the cancellation of {voided_by}"


def _entry(entry: EntryRow, unit: str, voided: Mapping[int, str], *, value: bool = False) -> str:
    """One ledger entry as ``registry show`` lists it (``unit``: the account's, when the entry
    names none; ``voided``: see :func:`_voided`; ``value``: with its INR value)."""
    when = shown_instant(entry.created_at) if entry.created_at else "-"
    amount = f"{entry.quantity}{f' {entry.unit}' if entry.unit else unit}"
    if value:
        amount += f" / {inr(entry.value_inr)}"
    function = _function(entry.function, voided.get(entry.submission_id))
    return (
        f"    {entry.kind:<8} {entry.message_id} ({function}) item {entry.item}: "
        f"{amount}  at {when}  run {entry.run_id or '-'}"
    )


def _show(store: SqlRegistry, record: RegistryRecord) -> None:
    title = f"{record.kind} {record.scheme or ''} {record.number}".replace("  ", " ")
    click.echo(title)
    if record.kind == "exchange_rate":
        click.echo(f"  rate:     {record.currency} = INR {record.rate} from {record.issued_on}")
        return
    if record.kind == "agency":
        click.echo(f"  name:     {record.name or '-'} ({record.country or '-'})")
    else:
        click.echo(f"  holder:   {record.iec or '-'}")
    until = record.valid_until or (
        "not on record" if record.kind == "agency" else "not on record (the scheme's rules date it)"
    )
    click.echo(f"  validity: {record.issued_on or '-'} to {until}")
    if record.kind == "agency":
        return
    if record.hs_codes:
        click.echo(f"  hs codes: {' '.join(record.hs_codes)}")
    unit = f" {record.unit}" if record.unit else ""
    click.echo(f"  limits:   {_limit(record.quantity, unit)} / {_money(record.value_inr)}")
    entries = store.entries_of(record.scheme or "", record.number)
    # each entry in the limit's unit (one written before the limit was restated, or put on
    # record, may be in another)
    quantity = sum(
        (in_limit_unit(entry.quantity, entry.unit, record.unit) for entry in entries), Decimal(0)
    )
    value = sum((entry.value_inr for entry in entries), Decimal(0))
    click.echo(f"  entries:  {len(entries)} (balance debited {quantity}{unit} / {inr(value)})")
    voided = _voided(store, entries)
    for entry in entries:
        click.echo(_entry(entry, unit, voided, value=True))
    left_q = None if record.quantity is None else record.quantity - quantity
    left_v = None if record.value_inr is None else record.value_inr - value
    click.echo(f"  remaining: {_limit(left_q, unit)} / {_money(left_v)}")


@registry.command()
@click.argument("message_id")
@db_option
def history(message_id: str, db: str | None) -> None:
    """A document's committed versions and what each did to which balance."""
    with opened_registry(db, reads_only=True) as store:
        versions = store.history(message_id)
        if not versions:
            click.echo(f"customs: no committed document {message_id}", err=True)
            sys.exit(1)
        kind = versions[0][0].kind.replace("_", " ")
        voided = store.voided_by(version.id for version, _ in versions)
        click.echo(
            f"{kind} {message_id}: {len(versions)} version{'s' if len(versions) != 1 else ''}"
        )
        for number, (version, entries) in enumerate(versions, start=1):
            when = shown_instant(version.committed_at)
            click.echo(
                f"  {number}. {_function(version.function, voided.get(version.id))} at {when} "
                f"run {version.run_id or '-'}"
                f" ({version.message_key.split('#', 1)[-1]})"
            )
            if not entries:
                click.echo("     no ledger entries")
            for entry in entries:
                click.echo(
                    f"     {entry.kind:<8} {entry.scheme} {entry.number} item "
                    f"{entry.item}: {entry.quantity}"
                    f"{f' {entry.unit}' if entry.unit else ''} / "
                    f"{inr(entry.value_inr)}"
                )


def _limit(value: Decimal | None, unit: str) -> str:
    return "unlimited" if value is None else f"{value}{unit}"


def _money(value: Decimal | None) -> str:
    return "unlimited" if value is None else inr(value)


@registry.command("list")
@click.option(
    "--kind", type=click.Choice(["authorisation", "registration", "agency", "exchange_rate"])
)
@db_option
def list_(kind: str | None, db: str | None) -> None:
    """Every row of the registry (or of one kind), one per line."""
    with opened_registry(db, reads_only=True) as store:
        for record in store.records(kind=kind):
            detail = (
                f"{record.currency} {record.rate}"
                if record.kind == "exchange_rate"
                else record.iec or record.name or "-"
            )
            click.echo(
                f"{record.kind:<14} {record.scheme or '-':<6} {record.number:<24} "
                f"{detail:<14} {record.issued_on or '-'} to {record.valid_until or '-'}"
            )
