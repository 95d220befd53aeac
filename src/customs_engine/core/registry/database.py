"""Opening the registry database: URL resolution, SQLite transaction behaviour, migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from customs_engine.core.registry.urls import DEFAULT_URL, ENV_VAR, resolve_url, sqlite_file_exists

__all__ = ["DEFAULT_URL", "ENV_VAR", "create", "migrate", "resolve_url", "sqlite_file_exists"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: pg_advisory_xact_lock key: one migrator at a time when several processes open the registry
MIGRATION_LOCK = 0x637573746F6D73


def create(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writers(engine)
    return engine


def _serialise_sqlite_writers(engine: Engine) -> None:
    """SQLite has no row locks: a committing transaction takes the write lock up front
    (``BEGIN IMMEDIATE``) so its balance re-check cannot race another writer."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the begin hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        # WAL: readers never wait for the committer; NORMAL sync survives a killed process
        # (only an OS crash may lose the last commits, never half of one)
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic, shipped in this package)."""
    from alembic import command  # only runs that open a database pay for importing Alembic
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
