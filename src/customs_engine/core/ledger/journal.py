"""What a run remembers of the messages it completed: its IGMs, who quoted which licence, and
which Bills of Entry it accepted noted against an IGM or under a BE number.

In-sequence checks ask for them by key — the IGMs with a number, or of a port when they have
none yet (noting a Bill of Entry), the messages that quoted a licence (SIMS's one registration per
Bill of Entry), the Bills of Entry an IGM cancellation voids, the warehousing Bill of Entry an
ex-bond one names by its BE number — so each is indexed by that key, never scanned. A run over
years of archives completes millions of messages, so none of them may live in memory whole: past
a bound, what is held moves to a private temporary SQLite database (deleted when the run ends,
its page cache bounded) and memory starts again from empty. IGMs are stored there as their JSON
and rebuilt when asked for, through a small cache of the latest ones (Bills of Entry tend to
follow their manifest).
"""

from __future__ import annotations

from collections import OrderedDict

from customs_engine.core.models import ImportGeneralManifest
from customs_engine.core.temporary import TemporaryStore

__all__ = ["RunJournal"]

#: IGMs held in memory before they move to the temporary database (a large IGM is megabytes)
MANIFESTS_IN_MEMORY = 200
#: message ids of each list (licence uses, noted, numbered) held in memory before they move
IDS_IN_MEMORY = 50_000
#: IGMs rebuilt from the temporary database and kept for the next lookups
MANIFEST_CACHE = 32


def _unnumbered(port_code: str) -> str:
    """The key of a port's IGMs without a number (no IGM number has a space)."""
    return f"unnumbered at {port_code}"


_JOURNAL = """
CREATE TABLE manifests (seq INTEGER PRIMARY KEY, igm_number TEXT NOT NULL, json BLOB NOT NULL);
CREATE INDEX manifests_by_number ON manifests (igm_number, seq);
CREATE TABLE ids (seq INTEGER PRIMARY KEY, list TEXT NOT NULL, scope TEXT NOT NULL,
                  key TEXT NOT NULL, message_id TEXT NOT NULL);
CREATE INDEX ids_by_key ON ids (list, scope, key, seq);
"""


class RunJournal(TemporaryStore):
    """The run's own IGMs (by number), licence uses (by licence) and the Bills of Entry it noted
    against an IGM (by IGM number) or accepted under a BE number, in the order they came."""

    schema = _JOURNAL

    def __init__(
        self, manifests_in_memory: int = MANIFESTS_IN_MEMORY, ids_in_memory: int = IDS_IN_MEMORY
    ):
        self.manifests_in_memory = manifests_in_memory
        self.ids_in_memory = ids_in_memory
        self._manifests: dict[str, list[ImportGeneralManifest]] = {}
        self._manifest_count = 0
        #: (list, scope, key) → message ids, for the lists ``use``, ``noted`` and ``numbered``
        self._ids: dict[tuple[str, str, str], list[str]] = {}
        self._id_count = 0
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

    # -- licence uses, noted and numbered Bills of Entry -----------------------------------------

    def add_use(self, scheme: str, number: str, message_id: str) -> None:
        self._add_id(("use", scheme, number), message_id)

    def uses(self, scheme: str, number: str) -> list[str]:
        """Message ids that quoted this licence, in the order the run completed them."""
        return self._ids_of(("use", scheme, number))

    def add_noted(self, igm_number: str, message_id: str) -> None:
        self._add_id(("noted", "", igm_number), message_id)

    def noted(self, igm_number: str) -> list[str]:
        """Message ids of the Bills of Entry noted against this IGM number (repeats possible)."""
        return self._ids_of(("noted", "", igm_number))

    def add_igm_number(self, manifest_id: str, igm_number: str) -> None:
        self._add_id(("igm-number", "", manifest_id), igm_number)

    def igm_numbers(self, manifest_id: str) -> list[str]:
        """Every IGM number this manifest (message id) had in the run (repeats possible)."""
        return self._ids_of(("igm-number", "", manifest_id))

    def add_noted_by_bl(self, manifest_id: str, message_id: str) -> None:
        self._add_id(("noted", "manifest", manifest_id), message_id)

    def noted_by_bl(self, manifest_id: str) -> list[str]:
        """Message ids of the Bills of Entry noted by their B/L against this manifest (message
        id) while it had no IGM number (repeats possible)."""
        return self._ids_of(("noted", "manifest", manifest_id))

    def add_numbered(self, be_number: str, message_id: str) -> None:
        self._add_id(("numbered", "", be_number), message_id)

    def numbered(self, be_number: str) -> list[str]:
        """Message ids of the Bills of Entry accepted with this BE number, each once, the one
        accepted with it latest first (BE numbers are allotted per port: several may share
        one)."""
        return list(dict.fromkeys(reversed(self._ids_of(("numbered", "", be_number)))))

    def _add_id(self, key: tuple[str, str, str], message_id: str) -> None:
        self._ids.setdefault(key, []).append(message_id)
        self._id_count += 1
        if self._id_count > self.ids_in_memory:
            rows = [(*held, one) for held, ids in self._ids.items() for one in ids]
            self._database().executemany(
                "INSERT INTO ids (list, scope, key, message_id) VALUES (?, ?, ?, ?)", rows
            )
            self._ids.clear()
            self._id_count = 0

    def _ids_of(self, key: tuple[str, str, str]) -> list[str]:
        found = (
            []
            if self._db is None
            else [
                row[0]
                for row in self._db.execute(
                    "SELECT message_id FROM ids WHERE list = ? AND scope = ? AND key = ?"
                    " ORDER BY seq",
                    key,
                )
            ]
        )
        found.extend(self._ids.get(key, ()))
        return found
