"""Documents and their versions (RULES §1.4): what the run knows of each ``message_id``.

A document is its ``message_id``; each accepted message is a version of it (``original``,
``amendment`` or ``cancellation``) and the latest version is its state. What a document holds of
each ledger account (the net of its entries) is what an amendment or a cancellation credits back.
The run keeps, per document it accepted, its latest version, the keys of every version it accepted
(so a re-submission is recognised) and its net entries; past a bound they move to a private
temporary SQLite database, so memory stays flat however long the run.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from customs_engine.core.ledger.journal import TemporaryStore
from customs_engine.core.models import BillOfEntry, Function, ImportGeneralManifest

#: documents kept in process memory before the table moves to its temporary database
IN_MEMORY = 5000

#: a ledger account a document holds part of, and the item: (scheme, number, item, unit)
Account = tuple[str, str, int, str | None]
#: net (quantity, value) per account
Holdings = dict[Account, tuple[Decimal, Decimal]]


@dataclass(frozen=True)
class DocumentVersion:
    """The latest accepted version of a document."""

    message_id: str
    kind: str  # bill_of_entry | manifest
    function: Function
    key: str
    #: the version's canonical model as JSON (None for what an older release committed)
    body: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.function == Function.CANCELLATION

    def model(self) -> BillOfEntry | ImportGeneralManifest | None:
        if self.body is None:
            return None
        if self.kind == "manifest":
            return ImportGeneralManifest.model_validate_json(self.body)
        return BillOfEntry.model_validate_json(self.body)


@dataclass
class _Document:
    version: DocumentVersion
    keys: set[str] = field(default_factory=set)
    holdings: Holdings = field(default_factory=dict)


def add_holdings(holdings: Holdings, entries: Iterable[tuple[Account, Decimal, Decimal]]) -> None:
    """Add signed (account, quantity, value) entries to ``holdings``; accounts netting to zero
    are dropped."""
    for account, quantity, value in entries:
        held_q, held_v = holdings.get(account, (Decimal(0), Decimal(0)))
        held_q, held_v = held_q + quantity, held_v + value
        if held_q == 0 and held_v == 0:
            holdings.pop(account, None)
        else:
            holdings[account] = (held_q, held_v)


class DocumentTable(TemporaryStore):
    """message_id → the run's view of that document (a small mapping interface)."""

    schema = "CREATE TABLE documents (message_id TEXT PRIMARY KEY, packed BLOB NOT NULL)"

    def __init__(self, in_memory: int = IN_MEMORY):
        self.in_memory = in_memory
        self._recent: dict[str, bytes] = {}

    def _get(self, message_id: str) -> _Document | None:
        packed = self._recent.get(message_id)
        if packed is None and self._db is not None:
            row = self._db.execute(
                "SELECT packed FROM documents WHERE message_id = ?", (message_id,)
            ).fetchone()
            packed = row[0] if row else None
        return None if packed is None else pickle.loads(packed)

    def _put(self, message_id: str, document: _Document) -> None:
        packed = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        if message_id in self._recent or len(self._recent) < self.in_memory:
            self._recent[message_id] = packed
            return
        self._database().execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?)", (message_id, packed)
        )

    def version(self, message_id: str) -> DocumentVersion | None:
        document = self._get(message_id)
        return None if document is None else document.version

    def has_key(self, message_id: str, key: str) -> bool:
        document = self._get(message_id)
        return document is not None and key in document.keys

    def holdings(self, message_id: str) -> Holdings:
        document = self._get(message_id)
        return {} if document is None else dict(document.holdings)

    def record(
        self, version: DocumentVersion, entries: Iterable[tuple[Account, Decimal, Decimal]]
    ) -> None:
        """A new latest version of a document and the entries it wrote."""
        document = self._get(version.message_id) or _Document(version)
        document.version = version
        document.keys.add(version.key)
        add_holdings(document.holdings, entries)
        self._put(version.message_id, document)
