"""Opening the registry database: URL resolution, SQLite transaction behaviour, migrations."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

from customs_engine.core.registry.urls import (
    ENV_VAR,
    default_path,
    default_url,
    resolve_url,
    sqlite_file_exists,
    sqlite_path,
)

__all__ = [
    "ENV_VAR",
    "create",
    "default_url",
    "migrate",
    "resolve_url",
    "sqlite_file_exists",
    "storable",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: pg_advisory_xact_lock key: one migrator at a time when several processes open the registry
MIGRATION_LOCK = 0x637573746F6D73


def database_reason(exc: BaseException) -> str:
    """What the database said, in one line: the driver's words without SQLAlchemy's wrapping
    (the exception class, the SQL and its parameters)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    if not lines:
        return type(cause).__name__
    # (SQLAlchemy's own errors end with a link to its documentation: not the database's words)
    return _BACKGROUND.sub("", lines[0]).strip()


def refuses_writes(exc: BaseException | None) -> bool:
    """Whether a failure, or one it was raised from, is the database refusing to write: a
    read-only transaction, session or role, no privilege on a table (PostgreSQL), a read-only
    SQLite file. Running again does not help, unlike a lost connection."""
    while exc is not None:
        cause = getattr(exc, "orig", None)
        if getattr(cause, "sqlstate", None) in _REFUSED_WRITES or "readonly database" in str(
            cause or ""
        ):
            return True
        exc = exc.__cause__
    return False


#: read_only_sql_transaction, insufficient_privilege
_REFUSED_WRITES = ("25006", "42501")

#: SQLAlchemy's "(Background on this error at: https://sqlalche.me/…)"
_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")


def storable(*texts: str | None) -> bool:
    """Whether every one of ``texts`` can be stored: none holds a NUL (U+0000). PostgreSQL's text
    cannot hold one and refuses such a parameter with an error, even in a look-up; so the
    registry stores no text holding one on any backend (SQLite too, so that both answer alike),
    and a look-up by one finds nothing without asking the database."""
    return not any(value is not None and "\x00" in value for value in texts)


#: how long a SQLite connection waits for another process's lock (first opens, commits)
BUSY_TIMEOUT_S = 30.0


class DatabaseLost(SQLAlchemyError):
    """The SQLite file this run opened was deleted or replaced: writing on would write to a file
    nobody will ever read again (the pooled connections keep the unlinked one open)."""


def create(url: str, *, read_only: bool = False) -> Engine:
    """An engine for ``url``; ``read_only`` changes nothing in the database, byte for byte
    (SQLite: opened ``mode=ro``; PostgreSQL: read-only sessions). Opening changes nothing in a
    SQLite file either way: its journal mode is switched to WAL only by :func:`write_ahead`,
    once the file is known to be a registry and the command writes."""
    if url == default_url():  # the user data directory may not exist yet
        default_path().parent.mkdir(parents=True, exist_ok=True)
    path = sqlite_path(url)
    if path is not None:
        _check_side_files(path)
    if path is not None and read_only:
        engine = create_engine(
            f"sqlite:///file:{quote(os.path.abspath(path))}?mode=ro&uri=true", future=True
        )
    elif url.partition("://")[0].split("+", 1)[0].lower() == "sqlite":
        engine = create_engine(url, future=True)
    else:
        # a server database: a pooled connection the server dropped (a restart, a failover) is
        # found out before use and replaced, instead of failing the next request or run
        engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writers(engine, path)
    elif read_only:
        _read_only_sessions(engine)
    return engine


def one_snapshot(connection: Connection) -> Connection:
    """``connection``, its next transaction reading from one snapshot of the database: what the
    reads of a message (or of a run that commits nothing) answer must be of one moment. SQLite's
    read transaction is one snapshot already; PostgreSQL's default READ COMMITTED gives each
    statement its own, so that a balance read after another process committed and a
    document's holdings read before it would be added up as if they were of one moment:
    REPEATABLE READ gives the whole transaction one (set before it begins, and set back when
    the connection returns to the pool). Nothing may be written through it."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


def _read_only_sessions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()


def schema_revision(engine: Engine) -> tuple[str | None, str]:
    """(the database's schema revision or ``None`` when it has none, the newest revision)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert head is not None
    return current, head


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this version's migrations (an unknown one was written by a
    newer customs-engine, or by another application's Alembic)."""
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic: "Can't locate revision", or a malformed identifier
        return False


def newer_schema(current: str) -> str:
    """Why a database whose schema revision this version does not know cannot be used."""
    return (
        f"its schema is at revision {current}, which this version of customs-engine does not "
        "know: the database was written by a newer customs-engine (or by another application), "
        "and an older one cannot migrate it"
    )


def check_revision(engine: Engine) -> tuple[str | None, str]:
    """:func:`schema_revision`, and :class:`ValueError` when the database's revision is one
    this version does not know: a newer schema is never "migrated" by an older program."""
    current, head = schema_revision(engine)
    if current is not None and current != head and not known_revision(current):
        raise ValueError(newer_schema(current))
    return current, head


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _check_side_files(path: str) -> None:
    """A ``-wal`` or ``-shm`` file SQLite cannot write (immutable, read-only) would end the
    process with SIGBUS when SQLite maps it: refuse it with its name instead."""
    for suffix in ("-wal", "-shm"):
        side = Path(path + suffix)
        if side.exists() and not os.access(side, os.W_OK):
            raise DatabaseLost(
                f"{side} is not writable (read-only or immutable); SQLite needs "
                "to write it to use the database"
            )


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _serialise_sqlite_writers(engine: Engine, path: str | None) -> None:
    """SQLite has no row locks: a committing transaction takes the write lock up front
    (``BEGIN IMMEDIATE``) so its balance re-check cannot race another writer.

    Every transaction first checks that the database file is still the one first opened: a file
    deleted or replaced during a run stops it (:class:`DatabaseLost`) like any lost database.
    """
    opened: dict[str, tuple[int, int] | None] = {}

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the begin hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()
        if path is not None:
            opened.setdefault("file", _file_identity(path))

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if path is not None and "file" in opened and _file_identity(path) != opened["file"]:
            raise DatabaseLost(f"the database file {path} was deleted or replaced during the run")
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def write_ahead(engine: Engine) -> None:
    """SQLite: switch the registry file to WAL (readers never wait for the committer) with
    NORMAL sync (survives a killed process: only an OS crash may lose the last commits, never
    half of one), on the connection open now and every one opened later. Called once the file
    holds our schema (migrated) and by commands that write: a read, or a failed open of
    another application's file, leaves its journal mode as it was. Other backends: nothing."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _write_ahead_connection)
    with engine.connect() as connection:  # the pooled connection the migration used
        _write_ahead_connection(connection.connection.dbapi_connection, None)


def _write_ahead_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    _retry_while_locked(lambda: cursor.execute("PRAGMA journal_mode = WAL"))
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _retry_while_locked(statement: Callable[[], object]) -> None:
    """Changing the journal mode needs a moment alone with the file, and SQLite answers "database
    is locked" at once (no busy wait) while another process opens it: retry for a while."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, shipped in this package)."""
    from alembic import command  # only runs that open a database pay for importing Alembic

    config = _alembic_config()
    # SQLite: take the write lock up front, so concurrent first opens wait their turn (busy
    # timeout) instead of failing "database is locked" on a lock upgrade
    with (
        engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection,
        connection.begin(),
    ):
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
