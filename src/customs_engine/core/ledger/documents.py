"""Documents and their versions (docs/core-checks.md): what the run knows of each ``message_id``.

A document is its ``message_id``; each accepted message is a version of it (``original``,
``amendment`` or ``cancellation``) and the latest version is its state. What a document holds of
each ledger account (the net of its entries) is what an amendment or a cancellation credits back.
The run keeps, per document it accepted, its latest version, the keys of every version it accepted
(so a re-submission is recognised) and its net entries. Past a bound on their size (a version
holds its whole message, so a count would not bound memory) further documents go to a private
temporary SQLite database, so memory stays flat however long the run and however large its
messages.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from customs_engine.core.models import BillOfEntry, Function, ImportGeneralManifest
from customs_engine.core.response import Credit
from customs_engine.core.temporary import TemporaryStore

#: about how many bytes of documents are kept in process memory (as objects, so not packed on
#: every message) before further ones go to the temporary database, packed
IN_MEMORY_BYTES = 2**20
#: what a document costs besides its version's body (the objects, a key, a few holdings)
_OVERHEAD = 1024

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
    #: the document's number in this version: a manifest's IGM number, a Bill of Entry's BE
    #: number (``None``: not allotted yet, or not recorded by an older release)
    number: str | None = None
    #: a Bill of Entry's: the manifest (message id) this version was noted against, when it was
    #: known (``None``: not known then, or not recorded by an older release)
    noted_manifest: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.function == Function.CANCELLATION

    def model(self) -> BillOfEntry | ImportGeneralManifest | None:
        if self.body is None:
            return None
        if self.kind == "manifest":
            return ImportGeneralManifest.model_validate_json(self.body)
        return BillOfEntry.model_validate_json(self.body)


@dataclass(frozen=True)
class Replaced:
    """What a submission did to its document when it was accepted, for answering it again the
    same way when it is re-submitted: the version it replaced (``None``: it was the first one
    known), what it credited back, and the Bills of Entry it voided (an IGM cancellation)."""

    before: DocumentVersion | None
    credits: tuple[Credit, ...] = ()
    voided: tuple[str, ...] = ()


@dataclass
class _Document:
    version: DocumentVersion
    keys: set[str] = field(default_factory=set)
    holdings: Holdings = field(default_factory=dict)
    #: per key of an amendment or a cancellation: what it replaced
    replaced: dict[str, Replaced] = field(default_factory=dict)
    #: the first version the run accepted (None: the same as ``version``)
    first: DocumentVersion | None = None


#: what the documents are called in answers
KIND_NAMES = {"bill_of_entry": "Bill of Entry", "manifest": "IGM"}


def an(name: str) -> str:
    """``name`` with its article: "an IGM", "a Bill of Entry"."""
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def refiled(message_id: str, kind: str, current: DocumentVersion) -> str:
    """Why an original (of ``kind``) cannot be filed under a ``message_id`` that ``current``
    holds (CORE-DOC-001), and what to do: an amendment only helps a document of the same kind
    that is not cancelled (anything else, CORE-DOC-003 refuses); else a new message_id."""
    name = KIND_NAMES[kind]
    if current.kind != kind:
        return (
            f"message_id {message_id} is already {an(KIND_NAMES[current.kind])}'s: "
            f"file the {name} under a new message_id"
        )
    if current.cancelled:
        # (also a document cancelled before it was ever filed, or voided with its IGM)
        return (
            f"{name} {message_id} is cancelled: its message_id cannot be filed again, file "
            "the document under a new message_id"
        )
    return f"{name} {message_id} is already filed with other content: send an amendment"


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

    def __init__(self, in_memory_bytes: int = IN_MEMORY_BYTES):
        self.in_memory_bytes = in_memory_bytes
        #: documents in memory, and about what each costs
        self._recent: dict[str, tuple[_Document, int]] = {}
        self._held = 0

    def _get(self, message_id: str) -> _Document | None:
        """The document (the one in memory itself: only :meth:`record` changes it)."""
        entry = self._recent.get(message_id)
        if entry is not None:
            return entry[0]
        if self._db is None:
            return None
        row = self._db.execute(
            "SELECT packed FROM documents WHERE message_id = ?", (message_id,)
        ).fetchone()
        return None if row is None else pickle.loads(row[0])  # type: ignore[no-any-return]

    def _put(self, message_id: str, document: _Document) -> None:
        size = _OVERHEAD + len(document.version.body or "") + 64 * len(document.keys)
        size += sum(
            _OVERHEAD + len(r.before.body or "") if r.before else _OVERHEAD
            for r in document.replaced.values()
        )
        held = self._recent.get(message_id)
        if held is not None or self._held + size <= self.in_memory_bytes:
            self._held += size - (held[1] if held is not None else 0)
            self._recent[message_id] = (document, size)
            return
        packed = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
        self._database().execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?)", (message_id, packed)
        )

    def version(self, message_id: str) -> DocumentVersion | None:
        document = self._get(message_id)
        return None if document is None else document.version

    def first(self, message_id: str) -> DocumentVersion | None:
        """The first version of the document the run accepted."""
        document = self._get(message_id)
        return None if document is None else document.first or document.version

    def has_key(self, message_id: str, key: str) -> bool:
        document = self._get(message_id)
        return document is not None and key in document.keys

    def holdings(self, message_id: str) -> Holdings:
        document = self._get(message_id)
        return {} if document is None else dict(document.holdings)

    def replaced(self, message_id: str, key: str) -> Replaced | None:
        """What the amendment or cancellation ``key`` replaced, if the run accepted it."""
        document = self._get(message_id)
        return None if document is None else document.replaced.get(key)

    def record(
        self,
        version: DocumentVersion,
        entries: Iterable[tuple[Account, Decimal, Decimal]],
        replaced: Replaced | None = None,
    ) -> None:
        """A new latest version of a document and the entries it wrote (and, for an amendment or
        a cancellation, what it replaced)."""
        document = self._get(version.message_id) or _Document(version)
        if document.first is None:
            document.first = document.version
        document.version = version
        document.keys.add(version.key)
        if replaced is not None:
            document.replaced[version.key] = replaced
        add_holdings(document.holdings, entries)
        self._put(version.message_id, document)
