"""What each submission of a run debited, kept so a re-submission is reported, never re-debited.

A run over a large archive completes hundreds of thousands of Bills of Entry, and the ledger must
remember every one that claimed an authorisation. Held as response objects, memory would grow
with the archive. :class:`ReplayTable` keeps each submission's authorisation uses packed (a small
fraction of the objects' size) and, past :data:`IN_MEMORY` submissions, moves
them to a private temporary SQLite database (deleted when the run ends; its page cache is bounded),
so memory stays flat however long the run.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable

from customs_engine.core.response import AuthorisationUse
from customs_engine.core.temporary import TemporaryStore

#: submissions kept in process memory before the table moves to its temporary database
IN_MEMORY = 2000

_Packed = bytes


def _pack(uses: Iterable[AuthorisationUse]) -> _Packed:
    return pickle.dumps(
        tuple(
            (
                u.scheme,
                u.number,
                u.item,
                u.debited_quantity,
                u.debited_value,
                u.remaining_quantity,
                u.remaining_value,
            )
            for u in uses
        ),
        protocol=pickle.HIGHEST_PROTOCOL,
    )


def _unpack(packed: _Packed) -> list[AuthorisationUse]:
    fields = (
        "scheme",
        "number",
        "item",
        "debited_quantity",
        "debited_value",
        "remaining_quantity",
        "remaining_value",
    )
    return [AuthorisationUse(**dict(zip(fields, row, strict=True))) for row in pickle.loads(packed)]


class ReplayTable(TemporaryStore):
    """Submission key → the authorisation uses reported for it (a small mapping interface)."""

    schema = "CREATE TABLE applied (key TEXT PRIMARY KEY, uses BLOB NOT NULL)"

    def __init__(self, in_memory: int = IN_MEMORY):
        self.in_memory = in_memory
        self._recent: dict[str, _Packed] = {}

    def get(self, key: str) -> list[AuthorisationUse] | None:
        packed = self._recent.get(key)
        if packed is None and self._db is not None:
            row = self._db.execute("SELECT uses FROM applied WHERE key = ?", (key,)).fetchone()
            packed = row[0] if row else None
        return None if packed is None else _unpack(packed)

    def __setitem__(self, key: str, uses: Iterable[AuthorisationUse]) -> None:
        packed = _pack(uses)
        if key in self._recent or len(self._recent) < self.in_memory:
            self._recent[key] = packed
            return
        self._database().execute("INSERT OR REPLACE INTO applied VALUES (?, ?)", (key, packed))

    def pop(self, key: str, default: None = None) -> None:
        """Forget ``key`` (``default`` is accepted for ``dict.pop`` compatibility)."""
        self._recent.pop(key, None)
        if self._db is not None:
            self._db.execute("DELETE FROM applied WHERE key = ?", (key,))

    def __len__(self) -> int:
        spilled = (
            0
            if self._db is None
            else self._db.execute("SELECT count(*) FROM applied").fetchone()[0]
        )
        return len(self._recent) + spilled
