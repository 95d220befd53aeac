"""The registry: authorisations, registrations, agencies and exchange rates, and the
committed ledger (stored IGMs, debits, licence uses, submissions), on SQLAlchemy 2.

SQLite file ``customs.db`` in the user data directory by default; any SQLAlchemy URL through
``--db`` or ``CUSTOMS_DB``.
The schema is managed by the Alembic migrations in ``migrations/``, applied on open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from customs_engine.core.registry.urls import (
    default_url,
    missing_driver_hint,
    resolve_url,
    sqlite_file_exists,
)

if TYPE_CHECKING:
    from customs_engine.core.registry.store import SqlRegistry

__all__ = ["SqlRegistry", "default_url", "missing_driver_hint", "resolve_url", "url_for_run"]


def __getattr__(name: str) -> Any:
    """``SqlRegistry`` is imported on first use: a run without a database never loads
    SQLAlchemy, which would lengthen every start-up."""
    if name == "SqlRegistry":
        from customs_engine.core.registry.store import SqlRegistry

        return SqlRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def url_for_run(url: str | None, commit: bool) -> str | None:
    """The database a ``validate`` run reads, or ``None`` when there is none to read.

    Without ``--commit`` nothing is written, so a SQLite file, when it does not exist
    yet, is not created: the run goes on with an empty registry (rules then say what they could
    not verify; the CLI says so on stderr, so a mistyped path does not pass unnoticed). With
    ``--commit``, or for any other URL, the database is opened and migrated.
    """
    resolved = resolve_url(url)
    if not commit and not sqlite_file_exists(resolved):
        return None
    return resolved
