"""A private temporary SQLite database for what a run must remember but may not hold in memory.

SQLite's temporary on-disk database (opened with an empty name) lives in a file that is never
named and is removed when the connection closes; its page cache is bounded (:data:`CACHE_KIB`:
a run opens a few such stores), so past that its pages go to disk. Durability is off: nothing in
it outlives the run.
"""

from __future__ import annotations

import sqlite3

__all__ = ["FirstSeen", "TemporaryStore"]

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


class FirstSeen(TemporaryStore):
    """The number first seen with each key: the first ``in_memory`` keys in a dict, the rest in
    the temporary database, so remembering every message reference of a very large interchange
    keeps memory flat."""

    schema = "CREATE TABLE seen (key TEXT PRIMARY KEY, value INTEGER NOT NULL)"

    def __init__(self, in_memory: int = 2000):
        self.in_memory = in_memory
        self._recent: dict[str, int] = {}

    def first(self, key: str, value: int) -> int | None:
        """The value ``key`` was first seen with; ``None`` (and ``value`` kept) if it is new."""
        seen = self._recent.get(key)
        if seen is None and self._db is not None:
            row = self._db.execute("SELECT value FROM seen WHERE key = ?", (key,)).fetchone()
            seen = None if row is None else int(row[0])
        if seen is not None:
            return seen
        if len(self._recent) < self.in_memory:
            self._recent[key] = value
        else:
            self._database().execute("INSERT INTO seen VALUES (?, ?)", (key, value))
        return None
