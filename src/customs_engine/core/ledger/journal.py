"""What a run remembers of the messages it completed: its IGMs and who quoted which licence.

In-sequence checks ask for them by key — the IGMs with a number, or of a port when they have
none yet (noting a Bill of Entry), the
messages that quoted a licence (SIMS's one registration per Bill of Entry) — so both are indexed by
that key, never scanned. A run over years of archives completes millions of messages, so neither
may live in memory whole: past a bound, what is held moves to a private temporary SQLite database
(deleted when the run ends, its page cache bounded) and memory starts again from empty. IGMs are
stored there as their JSON and rebuilt when asked for, through a small cache of the latest ones
(Bills of Entry tend to follow their manifest).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict

from customs_engine.core.models import ImportGeneralManifest

__all__ = ["RunJournal", "TemporaryStore"]

#: IGMs held in memory before they move to the temporary database (a large IGM is megabytes)
MANIFESTS_IN_MEMORY = 200
#: licence uses (licence, message id) held in memory before they move
USES_IN_MEMORY = 50_000
#: IGMs rebuilt from the temporary database and kept for the next lookups
MANIFEST_CACHE = 32


def _unnumbered(port_code: str) -> str:
    """The key of a port's IGMs without a number (no IGM number has a space)."""
    return f"unnumbered at {port_code}"


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
            self._db.executescript(self.schema)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __del__(self) -> None:
        self.close()


_JOURNAL = """
CREATE TABLE manifests (seq INTEGER PRIMARY KEY, igm_number TEXT NOT NULL, json BLOB NOT NULL);
CREATE INDEX manifests_by_number ON manifests (igm_number, seq);
CREATE TABLE uses (seq INTEGER PRIMARY KEY, scheme TEXT NOT NULL, number TEXT NOT NULL,
                   message_id TEXT NOT NULL);
CREATE INDEX uses_by_licence ON uses (scheme, number, seq);
"""


class RunJournal(TemporaryStore):
    """The run's own IGMs (by number) and licence uses (by licence), in the order they came."""

    schema = _JOURNAL

    def __init__(
        self, manifests_in_memory: int = MANIFESTS_IN_MEMORY, uses_in_memory: int = USES_IN_MEMORY
    ):
        self.manifests_in_memory = manifests_in_memory
        self.uses_in_memory = uses_in_memory
        self._manifests: dict[str, list[ImportGeneralManifest]] = {}
        self._manifest_count = 0
        self._uses: dict[tuple[str, str], list[str]] = {}
        self._use_count = 0
        self._cache: OrderedDict[int, ImportGeneralManifest] = OrderedDict()

    # -- IGMs ------------------------------------------------------------------------------------

    def add_manifest(self, manifest: ImportGeneralManifest) -> None:
        key = manifest.igm_number or _unnumbered(manifest.port_code)
        self._manifests.setdefault(key, []).append(manifest)
        self._manifest_count += 1
        if self._manifest_count > self.manifests_in_memory:
            self._spill_manifests()

    def manifests(self, igm_number: str) -> list[ImportGeneralManifest]:
        """IGMs with this number, in the order the run completed them."""
        found = []
        if self._db is not None:
            for seq, json in self._db.execute(
                "SELECT seq, json FROM manifests WHERE igm_number = ? ORDER BY seq", (igm_number,)
            ):
                found.append(self._rebuilt(seq, json))
        found.extend(self._manifests.get(igm_number, ()))
        return found

    def unnumbered(self, port_code: str) -> list[ImportGeneralManifest]:
        """IGMs of this port that have no number yet, in the order the run completed them."""
        return self.manifests(_unnumbered(port_code))

    def _rebuilt(self, seq: int, json: bytes) -> ImportGeneralManifest:
        manifest = self._cache.get(seq)
        if manifest is None:
            manifest = ImportGeneralManifest.model_validate_json(json)
            self._cache[seq] = manifest
            if len(self._cache) > MANIFEST_CACHE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(seq)
        return manifest

    def _spill_manifests(self) -> None:
        # order matters only among IGMs of one number, and each list is in arrival order
        rows = [
            (number, manifest.model_dump_json().encode())
            for number, held in self._manifests.items()
            for manifest in held
        ]
        self._database().executemany("INSERT INTO manifests (igm_number, json) VALUES (?, ?)", rows)
        self._manifests.clear()
        self._manifest_count = 0

    # -- licence uses ------------------------------------------------------------------------------

    def add_use(self, scheme: str, number: str, message_id: str) -> None:
        self._uses.setdefault((scheme, number), []).append(message_id)
        self._use_count += 1
        if self._use_count > self.uses_in_memory:
            rows = [
                (*licence, message_id) for licence, ids in self._uses.items() for message_id in ids
            ]
            self._database().executemany(
                "INSERT INTO uses (scheme, number, message_id) VALUES (?, ?, ?)", rows
            )
            self._uses.clear()
            self._use_count = 0

    def uses(self, scheme: str, number: str) -> list[str]:
        """Message ids that quoted this licence, in the order the run completed them."""
        found = (
            []
            if self._db is None
            else [
                row[0]
                for row in self._db.execute(
                    "SELECT message_id FROM uses WHERE scheme = ? AND number = ? ORDER BY seq",
                    (scheme, number),
                )
            ]
        )
        found.extend(self._uses.get((scheme, number), ()))
        return found
