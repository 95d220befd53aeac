"""A private temporary SQLite database for what a run must remember but may not hold in memory.

SQLite's temporary on-disk database (opened with an empty name) lives in a file that is never
named and is removed when the connection closes; its page cache is bounded (:data:`CACHE_KIB`:
a run opens a few such stores), so past that its pages go to disk. Durability is off: nothing in
it outlives the run.
"""

from __future__ import annotations

import sqlite3

__all__ = ["TemporaryStore"]

#: each store's page cache in KiB (SQLite's default is about 2 MiB)
CACHE_KIB = 512


class TemporaryStore:
    """Something kept in SQLite's private temporary on-disk database ("": removed when closed),
    created on first use with ``schema``; durability is off, nothing in it outlives the run."""

    schema = ""
    _db: sqlite3.Connection | None = None

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._db.executescript(self.schema)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __del__(self) -> None:
        self.close()
