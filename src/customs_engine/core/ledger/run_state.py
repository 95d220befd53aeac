"""Run state: IGMs seen, authorisation debits and licence uses, applied in input order.

Within one run the ledger is always cumulative: a second Bill of Entry against an authorisation sees
the first one's debit, and an IGM earlier in the run is visible for noting. What was committed by
earlier runs comes from a :class:`LedgerStore` (the SQL registry); without one the run starts empty.
Claims are all-or-nothing per Bill of Entry: if one claim cannot be covered, or the message is
rejected for another reason (it cannot proceed, so it is not filed), nothing of it is debited and
it does not count as a use of the licences it quotes.

With ``commit=True`` (``validate --commit``) :meth:`RunState.commit` persists each message once it
is completed — its IGM, debits, licence uses and submission key — in one store transaction. The
store re-checks every debited authorisation's balance under a row lock inside that transaction, so
concurrent committers never over-debit; when the re-check fails nothing of the message is written
and its claims come back as shortfalls. Without ``commit`` nothing is ever written.

Documents have a life (docs/core-checks.md): a message's ``function`` says whether it files its
document (``original``), replaces it whole (``amendment``) or withdraws it (``cancellation``). The
ledger is append-only: an amendment writes reversal entries crediting back what the document's
current version holds and then its own debits (its claims are checked with those released first); a
cancellation writes reversals only. A balance is the sum of its entries.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

from pydantic_core import PydanticSerializationError, to_json

from customs_engine.core.ledger.documents import (
    Account,
    DocumentTable,
    DocumentVersion,
    Holdings,
    Replaced,
)
from customs_engine.core.ledger.journal import RunJournal
from customs_engine.core.ledger.replay import ReplayTable
from customs_engine.core.ledger.run_view import RunView, _wrapped, dated
from customs_engine.core.ledger.units import convert
from customs_engine.core.models import BillOfEntry, BillOfEntryType, Function, ImportGeneralManifest
from customs_engine.core.registry.records import Registry, RegistryRecord
from customs_engine.core.response import AuthorisationClaim, AuthorisationUse, Credit

ZERO = Decimal(0)
#: the ledger scheme of bond balances: account ``<warehousing message id>/<hs code>``, limit 0,
#: opened by negative ``bond`` entries and depleted by ex-bond debits (docs/core-checks.md)
BOND = "BOND"


def bond_account(warehousing_id: str, hs_code: str) -> str:
    return f"{warehousing_id}/{hs_code}"


def bond_parts(account: str) -> tuple[str, str]:
    """(warehousing message id, HS code) of a bond account (:func:`bond_account`)."""
    warehousing_id, _, hs_code = account.rpartition("/")
    return warehousing_id, hs_code


class LedgerError(Exception):
    """The ledger store failed (the database went away, a disk filled): the run cannot go on.

    Not a verdict on a message, so never turned into a finding; the engine adds which message
    was being completed. The store's transaction guarantees nothing of that message was stored.
    """


def message_key(message: BillOfEntry | ImportGeneralManifest) -> str:
    """Identity of a submission: its message id and a digest of its canonical content.

    Equal declarations map to the same key however they were written: numbers are compared as
    values (``30`` = ``30.0``), instants as instants (``11:30+05:30`` = ``06:00Z``), text with its
    whitespace collapsed. Re-submitting the same message is never debited twice; an amendment (or
    a changed original) with the same id is a different submission.
    """
    canonical = _canonical(message.model_dump(mode="python"))
    try:
        # every dict of the canonical form is built in key order, so pydantic-core's encoder
        # writes exactly what ``json.dumps(sort_keys=True, separators=(",", ":"),
        # ensure_ascii=False)`` would, without sorting again
        text = to_json(canonical)
    except (PydanticSerializationError, ValueError):
        text = _KEY_ENCODER.encode(canonical).encode()  # (raises as it always did)
    digest = hashlib.sha256(text).hexdigest()[:32]
    return f"{message.message_id}#{digest}"


def legacy_message_key(message: BillOfEntry | ImportGeneralManifest) -> str:
    """The key release 0.1 committed a message under (a digest of its model JSON as written), so
    that re-submitting a message committed by it is still recognised."""
    digest = hashlib.sha256(message.model_dump_json().encode()).hexdigest()[:32]
    return f"{message.message_id}#{digest}"


#: ``json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` builds an
#: encoder on every call; this one is built once. A canonical value has no cycles to look for.
_KEY_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)
#: exact types a canonical value keeps as they are
_KEPT = frozenset({int, bool, float, type(None)})
#: exact type → its canonical form (:func:`_canonical_of`), filled on first sight of a type
_CANONICAL_BY_TYPE: dict[type, Callable[[Any], Any]] = {}
#: the keys of a dict as dumped → the same keys sorted (a model's dump always has the same)
_KEY_ORDER: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_KEY_ORDERS_KEPT = 4096


def _sorted_keys(value: dict[Any, Any]) -> tuple[Any, ...]:
    keys = tuple(value)
    order = _KEY_ORDER.get(keys)
    if order is None:
        order = tuple(sorted(keys))
        if len(_KEY_ORDER) < _KEY_ORDERS_KEPT:
            _KEY_ORDER[keys] = order
    return order


def _canonical(value: Any) -> Any:
    """The canonical form of a ``model_dump(mode="python")`` value: numbers as normalised
    decimal text, instants in UTC, dates in ISO form, enumerations by their value, text with
    its whitespace collapsed, and every dict in the order of its keys. The text and plain
    scalars that fill most of a message are handled inline; other types by a function chosen
    once per type (:func:`_canonical_of`)."""
    kind = type(value)
    if kind is dict:
        out = {}
        for name in _sorted_keys(value):
            item = value[name]
            kind = type(item)
            if kind is str:
                out[name] = " ".join(item.split())
            elif kind in _KEPT:
                out[name] = item
            elif kind is dict or kind is list:
                out[name] = _canonical(item)
            else:
                out[name] = (_CANONICAL_BY_TYPE.get(kind) or _canonical_of(kind))(item)
        return out
    if kind is list:
        return [_canonical(item) for item in value]
    return (_CANONICAL_BY_TYPE.get(kind) or _canonical_of(kind))(value)


def _canonical_of(kind: type) -> Callable[[Any], Any]:
    """How a value of exactly ``kind`` is made canonical (the first matching rule wins)."""
    handler: Callable[[Any], Any]
    if issubclass(kind, dict):
        handler = _canonical_dict
    elif issubclass(kind, list | tuple):
        handler = _canonical_list
    elif issubclass(kind, Decimal):
        handler = _canonical_decimal
    elif issubclass(kind, datetime):
        handler = _canonical_instant
    elif issubclass(kind, date):
        handler = _canonical_date
    elif issubclass(kind, Enum):
        handler = _canonical_enum
    elif issubclass(kind, str):
        handler = _collapsed
    else:
        handler = _same
    _CANONICAL_BY_TYPE[kind] = handler
    return handler


def _canonical_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    return {name: _canonical(value[name]) for name in _sorted_keys(value)}


def _canonical_list(value: Iterable[Any]) -> list[Any]:
    return [_canonical(item) for item in value]


def _canonical_decimal(value: Decimal) -> str:
    if not value.is_finite():
        return str(value)
    return "0" if value == 0 else format(value.normalize(), "f")


def _canonical_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _canonical_date(value: date) -> str:
    return value.isoformat()


def _canonical_enum(value: Enum) -> Any:
    inner = value.value  # only text is collapsed: other values are kept as they are
    return " ".join(inner.split()) if isinstance(inner, str) else inner


def _collapsed(value: str) -> str:
    return " ".join(value.split())


def _same(value: Any) -> Any:
    return value


def kind_of(message: BillOfEntry | ImportGeneralManifest) -> str:
    return "bill_of_entry" if isinstance(message, BillOfEntry) else "manifest"


@dataclass(frozen=True)
class Debit:
    scheme: str
    number: str
    item: int
    #: in the unit of the registry row's limit (converted, docs/core-checks.md), else the claim's
    quantity: Decimal
    value_inr: Decimal
    #: the claim this debit answers (reported again if a commit-time re-check fails)
    claim: AuthorisationClaim | None = field(default=None, compare=False)
    unit: str | None = None
    #: ``debit``, or ``bond``: a warehousing Bill of Entry opening a bond balance (negative)
    kind: str = "debit"

    @property
    def account(self) -> Account:
        return (self.scheme, self.number, self.item, self.unit)


def reversals(holdings: Holdings) -> list[Credit]:
    """What crediting back a document's holdings writes: one reversal per account it holds."""
    return [
        Credit(
            scheme=scheme, number=number, item=item, quantity=quantity, unit=unit, value_inr=value
        )
        for (scheme, number, item, unit), (quantity, value) in sorted(
            holdings.items(), key=lambda pair: (pair[0][0], pair[0][1], pair[0][2])
        )
    ]


@dataclass
class Shortfall:
    claim: AuthorisationClaim
    remaining_quantity: Decimal | None
    remaining_value: Decimal | None
    #: why the claim was refused when it is not the balance (a claim that is not a debit)
    reason: str | None = None
    #: the unit of ``remaining_quantity`` (the limit's, which the claim is converted to)
    limit_unit: str | None = None
    #: the claim's unit does not convert to the limit's (CORE-LIC-004, not a shortfall)
    unconvertible: bool = False


def improper(quantity: Decimal, value: Decimal) -> str | None:
    """Why a claim or debit of this size cannot be debited, or ``None`` when it can.

    A negative quantity or value would credit the authorisation, and a claim of nothing is not
    a debit: the ledger refuses both whatever the reader or plugin let through.
    """
    if quantity < 0 or value < 0:
        return f"a claim of {quantity} / INR {value} is negative and would credit the balance"
    if quantity == 0 and value == 0:
        return "a claim of nothing (zero quantity and zero value) is not a debit"
    return None


@dataclass
class ClaimResult:
    uses: list[AuthorisationUse] = field(default_factory=list)
    debits: list[Debit] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    #: the same submission was seen before: ``uses`` are what it debited then, nothing new
    replayed: bool = False
    #: what the replaced version held and this message credits back (amendment, cancellation)
    credits: list[Credit] = field(default_factory=list)
    #: the message replaces a known document (its holdings are credited back first)
    replaces: bool = False
    #: the store found the document's state changed under lock: (rule, message); nothing stored
    conflict: tuple[str, str] | None = None
    #: an IGM cancellation: the Bills of Entry noted against it, now void (credited back)
    voided: list[str] = field(default_factory=list)
    #: a Bill of Entry noted by its B/L against a manifest without IGM number: its message id
    noted_manifest: str | None = None


@dataclass(frozen=True)
class Submission:
    """Everything one completed message leaves in the ledger, committed in one transaction.

    For an amendment or a cancellation of a known document (``replaces``) the store credits back
    what the document holds *when it commits* (under the document's lock), then writes ``debits``.
    """

    key: str
    message_id: str
    kind: str
    manifest: ImportGeneralManifest | None
    debits: tuple[Debit, ...]
    licences: tuple[tuple[str, str], ...]
    uses: tuple[AuthorisationUse, ...]
    function: Function = Function.ORIGINAL
    replaces: bool = False
    #: the version's canonical model (JSON)
    body: str | None = None
    igm_number: str | None = None
    document_number: str | None = None
    run_id: str | None = None
    #: other keys this exact submission may have been committed under (release 0.1's)
    aliases: tuple[str, ...] = ()
    #: an IGM cancellation: (igm number, port) whose noted Bills of Entry it voids
    voids: tuple[str, str] | None = None
    #: a Bill of Entry noted by its B/L against a manifest without IGM number: its message id
    noted_manifest: str | None = None
    #: a Bill of Entry quoting an IGM: (IGM number, port), re-checked under the IGM's lock
    noted_igm: tuple[str, str] | None = None


@dataclass
class CommitOutcome:
    """What the store did with a submission: committed, refused (shortfalls or a conflicting
    document state) or already there."""

    committed: bool
    shortfalls: list[Shortfall] = field(default_factory=list)
    replayed: list[AuthorisationUse] | None = None
    #: the reversals written (what was credited back)
    credits: list[Credit] = field(default_factory=list)
    #: the document's state under lock does not allow the message: (rule, message)
    conflict: tuple[str, str] | None = None
    #: the Bills of Entry voided (IGM cancellation)
    voided: list[str] = field(default_factory=list)
    #: what each debited account with a limit had left after the commit, read under its lock;
    #: refused, what each account the uses name has left as the ledger holds it, nothing of the
    #: message written: (scheme, number) → (quantity, INR value), ``None`` where there is no limit
    left: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class WarehousingBill:
    """The warehousing Bill of Entry an ex-bond one names (``ex_bond_of``), as far as it can be
    told: its latest version, or — its BE number naming several that the importer and the port
    do not tell apart — their message ids."""

    #: the latest version, live or cancelled (``None``: not known, or not identified)
    version: DocumentVersion | None = None
    #: not identified: the message ids of the live Bills of Entry its BE number may name
    candidates: tuple[str, ...] = ()

    @property
    def bill(self) -> BillOfEntry | None:
        """The live Bill of Entry (``None``: not known, not identified, or cancelled)."""
        version = self.version
        boe = version.model() if version is not None and not version.cancelled else None
        return boe if isinstance(boe, BillOfEntry) else None


class LedgerStore(Protocol):
    """What earlier, committed runs left behind (implemented by the SQL registry)."""

    def find_manifests(self, igm_number: str) -> Sequence[ImportGeneralManifest]:
        """Stored IGMs with this number (any port, any date)."""

    def find_unnumbered_manifests(self, port_code: str) -> Sequence[ImportGeneralManifest]:
        """Stored IGMs of this port that have no IGM number yet (ICES allots it later)."""

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        """Committed debits of an authorisation: (quantity, value)."""

    def uses(self, scheme: str, number: str) -> Sequence[str]:
        """Message ids of committed Bills of Entry whose latest version quotes this licence."""

    def committed_uses(self, key: str, *aliases: str) -> Sequence[AuthorisationUse] | None:
        """The authorisation uses recorded when this exact submission was committed (under
        ``key`` or one of its ``aliases``), if it was."""

    def document(self, message_id: str) -> DocumentVersion | None:
        """The latest committed version of a document."""

    def first_document(self, message_id: str) -> DocumentVersion | None:
        """The first committed version of a document."""

    def reading_together(self) -> AbstractContextManager[LedgerStore]:
        """This store for reads on one connection (nothing is committed through it)."""

    def holdings(self, message_id: str) -> Holdings:
        """The net of a document's committed entries, per account."""

    def replaced_by(self, key: str) -> Replaced | None:
        """What the committed amendment or cancellation ``key`` replaced, credited back and
        voided (``None``: no such submission)."""

    def numbered(self, number: str) -> Sequence[str]:
        """Message ids of the committed Bills of Entry a version of which had this BE number,
        each once, the one that had it latest first."""

    def noted_against(self, igm_number: str) -> Sequence[str]:
        """Message ids of committed Bills of Entry whose latest version is noted against this
        IGM number (live or not)."""

    def noted_by_bl(self, manifest_id: str) -> Sequence[str]:
        """Message ids of committed Bills of Entry noted by their B/L against this manifest
        (message id) while it had no IGM number (live or not)."""

    def igm_numbers(self, manifest_id: str) -> Sequence[str]:
        """Every IGM number a committed version of this manifest (message id) carried."""

    def commit(self, submission: Submission) -> CommitOutcome:
        """Persist a submission atomically, re-checking debited balances under row locks."""


def new_run_id() -> str:
    """A run's name in the ledger: when it started (UTC) and a random suffix, so two runs
    started in the same second by two processes are told apart (``20261129T015900Z-3fa2c1``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class RunState:
    """The ledger as this run sees it: committed state plus what the run has applied so far."""

    def __init__(
        self, store: LedgerStore | None = None, *, commit: bool = False, run_id: str | None = None
    ):
        if commit and store is None:
            raise ValueError("committing needs a ledger store")
        self.store = store
        self.committing = commit
        #: names the run in every ledger entry and submission it commits
        self.run_id = run_id or (new_run_id() if commit else None)
        #: the run's own IGMs, licence uses, and Bills of Entry it accepted noted against an IGM
        #: or with a BE number (bounded in memory, see journal.py)
        self._journal = RunJournal()
        #: net of the entries this run applied without committing them, per licence
        self._debits: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        #: per submission, what it debited (packed, spilled to a temporary database when large)
        self._applied = ReplayTable()
        #: the documents this run accepted without committing them (see documents.py)
        self._documents = DocumentTable()
        self._current_key: str | None = None
        #: what the store answered while the current message is completed (see :meth:`_stored`)
        self._reads: dict[tuple[str, ...], Any] = {}
        #: holds the store's one connection for the current message's reads (see
        #: :meth:`reading_together`)
        self._together = ExitStack()
        self._reader: LedgerStore | None = None
        #: documents this run amended, cancelled or voided (few: an original's uses and IGM
        #: number stand without reading its document, see :meth:`_still_quotes`)
        self._revised: set[str] = set()

    @property
    def current_key(self) -> str | None:
        """The submission key of the message being completed (set by the engine, which starts
        each message's completion so)."""
        return self._current_key

    @current_key.setter
    def current_key(self, key: str | None) -> None:
        """Starts a message's completion: its reads of the store share one connection until
        :meth:`message_done` or the commit."""
        self._current_key = key
        self._reads.clear()
        self.message_done()
        if self.store is not None:
            self._reader = self._together.enter_context(self.store.reading_together())

    def message_done(self) -> None:
        """The current message's completion is over: its reads' connection goes back."""
        self._reader = None
        self._together.close()

    @property
    def _ledger(self) -> LedgerStore | None:
        """The store to read: on the current message's one connection while it holds one."""
        return self._reader if self._reader is not None else self.store

    def _stored(self, look_up: str, *arguments: str) -> Any:
        """``store.<look_up>(*arguments)``, asked once while one message is completed: its
        in-sequence checks ask the same (the noting, arrival and rate-date checks each find the
        IGM a Bill of Entry is noted against; a replay is looked for twice), and every store
        call costs a transaction. Forgotten when the next message starts and after a commit; a
        decision taken under the commit's locks reads the store itself."""
        key = (look_up, *arguments)
        if key not in self._reads:
            self._reads[key] = getattr(self._ledger, look_up)(*arguments)
        return self._reads[key]

    def _committed(
        self, key: str, message: BillOfEntry | ImportGeneralManifest | None
    ) -> Sequence[AuthorisationUse] | None:
        """What this submission debited when it was committed (also by release 0.1, under its
        own key, when ``message`` is given), or ``None``."""
        if message is None:
            return self._stored("committed_uses", key)  # type: ignore[no-any-return]
        return self._stored("committed_uses", key, legacy_message_key(message))  # type: ignore[no-any-return]

    # -- what in-sequence checks read -------------------------------------------------------

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        """IGMs with this number, the latest version of each: the run's latest first, then
        stored ones."""
        found = self._journal.manifests(igm_number)[::-1]
        if self.store is not None:
            found.extend(self._stored("find_manifests", igm_number))
        return self._still_numbered(found, igm_number)

    def unnumbered_manifests(self, port_code: str) -> list[ImportGeneralManifest]:
        """IGMs of this port without an IGM number, the latest version of each: the run's latest
        first, then stored ones."""
        found = self._journal.unnumbered(port_code)[::-1]
        if self.store is not None:
            found.extend(self._stored("find_unnumbered_manifests", port_code))
        return self._still_numbered(found, None)

    def _still_numbered(
        self, manifests: Iterable[ImportGeneralManifest], number: str | None
    ) -> list[ImportGeneralManifest]:
        """The latest version of each manifest found under ``number``, unless its document's
        latest version has another number now (an amendment renumbered it)."""
        kept = []
        for manifest in _latest_versions(manifests):
            # the store gives latest versions only; the run's own are read if it revised them
            revised = manifest.message_id in self._revised
            version = self.document(manifest.message_id) if revised else None
            if version is None or version.kind != "manifest" or version.number == number:
                kept.append(manifest)
        return kept

    def manifest(
        self, igm_number: str, igm_date: date | None = None
    ) -> ImportGeneralManifest | None:
        return dated(self.manifests_numbered(igm_number), igm_date)

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        """Other Bills of Entry (earlier in the run or committed) that quote this licence: a
        document cancelled since, or amended so that it no longer quotes it, does not."""
        key = (scheme.upper(), number)
        # the store answers for what is committed (its latest versions); a committing run's
        # own uses are committed, the others are this run's documents
        seen = set(self._stored("uses", *key)) if self.store is not None else set()
        if not self.committing:
            seen.update(self._journal.uses(*key))
        seen.discard(excluding)
        return [m for m in sorted(seen) if self._still_quotes(m, key)]

    def _still_quotes(self, message_id: str, licence: tuple[str, str]) -> bool:
        """Whether the run's own latest version of a document (if it has one) quotes the licence:
        an original does (its use was recorded from it), a cancellation does not, an amendment
        is read (rare: only then is a version's body parsed)."""
        if message_id not in self._revised:
            return True
        version = self._documents.version(message_id)
        if version is None or version.function == Function.ORIGINAL:
            return True
        if version.cancelled:
            return False
        boe = version.model()
        return not isinstance(boe, BillOfEntry) or any(
            (lic.scheme.upper(), lic.number) == licence
            for item in boe.items
            for lic in item.licences
        )

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        """The balance's entries summed: committed ones and this run's own."""
        key = (scheme.upper(), number)
        quantity, value = self._ledger.debited(*key) if self._ledger is not None else (ZERO, ZERO)
        run_quantity, run_value = self._debits.get(key, (ZERO, ZERO))
        return quantity + run_quantity, value + run_value

    def document(self, message_id: str) -> DocumentVersion | None:
        """A document's latest version: accepted earlier in this run, else committed."""
        found = self._documents.version(message_id)
        if found is None and self._ledger is not None:
            found = self._ledger.document(message_id)
        return found

    def first_presented(self, message_id: str) -> date | None:
        """The date a Bill of Entry was first presented: its first version's, committed or
        accepted earlier in this run (``None``: not known). An amendment restates the document
        with the date it is made; the deadlines run from the presentation."""
        first = self._ledger.first_document(message_id) if self._ledger is not None else None
        if first is None:
            first = self._documents.first(message_id)
        model = first.model() if first is not None else None
        return model.presented_on if isinstance(model, BillOfEntry) else None

    def holdings(self, message_id: str) -> Holdings:
        """What a document holds of each account: its committed entries plus the run's own."""
        held = dict(self._ledger.holdings(message_id)) if self._ledger is not None else {}
        for account, (quantity, value) in self._documents.holdings(message_id).items():
            held_q, held_v = held.get(account, (ZERO, ZERO))
            held[account] = (held_q + quantity, value + held_v)
        return {account: pair for account, pair in held.items() if pair != (ZERO, ZERO)}

    def replayed(self, key: str, message_id: str) -> Replaced | None:
        """What an amendment or a cancellation accepted before (in this run, or committed) did to
        its document, to answer its re-submission as it was answered (``None``: not known)."""
        found = self._documents.replaced(message_id, key)
        if found is None and self._ledger is not None:
            found = self._ledger.replaced_by(key)
        return found

    def is_resubmission(
        self, key: str, message: BillOfEntry | ImportGeneralManifest | None = None
    ) -> bool:
        """Whether this exact submission was accepted before (this run or committed, also by
        release 0.1 when ``message`` is given)."""
        message_id = key.split("#", 1)[0]
        if self._documents.has_key(message_id, key) or self._applied.get(key) is not None:
            return True
        if self.store is None:
            return False
        return self._committed(key, message) is not None

    def superseded(self, key: str, message: BillOfEntry | ImportGeneralManifest) -> bool:
        """Whether this original or amendment was accepted before and a later version has
        replaced it since: neither a retry (the document no longer stands so) nor a new version
        the ledger could file under the same submission (it is refused: CORE-DOC-001 for an
        original, CORE-DOC-003 for an amendment)."""
        if message.function == Function.CANCELLATION:
            return False
        current = self.document(message.message_id)
        return (
            current is not None
            and current.key not in (key, legacy_message_key(message))
            and self.is_resubmission(key, message)
        )

    def replaces(self, message: BillOfEntry | ImportGeneralManifest) -> DocumentVersion | None:
        """The known, live version an amendment or a cancellation replaces (else ``None``)."""
        if message.function == Function.ORIGINAL:
            return None
        current = self.document(message.message_id)
        if current is None or current.cancelled or current.kind != kind_of(message):
            return None
        return current

    def noted_documents(
        self, manifest: ImportGeneralManifest, document: ImportGeneralManifest | None = None
    ) -> list[BillOfEntry]:
        """The live Bills of Entry (accepted earlier in the run or committed) noted against this
        IGM: what an IGM cancellation voids. A Bill of Entry whose version records the manifest
        it was noted against (``noted_manifest``) is this IGM's exactly when that is the
        document's message id — whatever number or port either has since (an amendment may
        renumber an IGM, and another manifest take its old number). One that records none (its
        IGM was not known when it was filed, or an older release stored it) is matched by its
        IGM number at the IGM's port: the number the document has, or — ``document``, the
        manifest as it stands — any number it had before."""
        numbers = {manifest.igm_number} if manifest.igm_number else set()
        if document is not None:
            numbers.update(self._journal.igm_numbers(document.message_id))
            if self._ledger is not None:
                numbers.update(self._ledger.igm_numbers(document.message_id))
        candidates: set[str] = set()
        for number in sorted(numbers):
            candidates.update(self._journal.noted(number))
            if self._ledger is not None:
                candidates.update(self._ledger.noted_against(number))
        if document is not None:
            candidates.update(self._journal.noted_by_bl(document.message_id))
            if self._ledger is not None:
                candidates.update(self._ledger.noted_by_bl(document.message_id))
        found = []
        for message_id in sorted(candidates):
            version = self.document(message_id)
            boe = version.model() if version is not None and not version.cancelled else None
            if not isinstance(boe, BillOfEntry) or version is None:
                continue
            if noted_against(version, boe, numbers, manifest.port_code, document):
                found.append(boe)
        return found

    def bond_claims(self, boe: BillOfEntry) -> list[AuthorisationClaim]:
        """What an ex-bond Bill of Entry clears from its warehousing BoE's bond balances: one
        claim per line whose HS code the warehousing BoE has, in that line's unit (the other
        lines are refused by CORE-BOND-002 before anything is debited)."""
        warehousing = self.warehousing_of(boe).bill
        if warehousing is None or warehousing.type != BillOfEntryType.WAREHOUSING:
            # a cancelled one is refused by CORE-BOND-003, one not identified is queried by
            # CORE-BOND-001: neither is drawn on
            return []
        units = self.bond_units_of(warehousing)
        claims = []
        for index, item in enumerate(boe.items):
            quantity = convert(item.quantity, item.unit, units.get(item.hs_code))
            if item.hs_code in units and quantity is not None:
                claims.append(
                    AuthorisationClaim(
                        scheme=BOND,
                        number=bond_account(warehousing.message_id, item.hs_code),
                        item=item.number,
                        quantity=quantity,
                        unit=units[item.hs_code],
                        shortfall_rule="CORE-BOND-003",
                        field=f"items[{index}].quantity",
                    )
                )
        return claims

    def bond_units_of(self, warehousing: BillOfEntry) -> dict[str, str]:
        """The unit each HS code's bond balance of a warehousing Bill of Entry is kept in: the
        unit its account was opened in, else its first line's."""
        return bond_units(warehousing, kept_bond_units(self.holdings(warehousing.message_id)))

    def warehousing_of(self, boe: BillOfEntry) -> WarehousingBill:
        """The Bill of Entry an ex-bond one names by ``ex_bond_of``: the known one with that BE
        number (one amended to another number is not), else with that message id. BE numbers
        are allotted per port, so a number may name several: see :func:`identified`."""
        reference = (boe.ex_bond_of or "").strip()
        if not reference:
            return WarehousingBill()
        numbered = self._numbered(reference)
        if numbered:
            return identified(numbered, boe)
        version = self.document(reference)
        if version is not None and version.kind == "bill_of_entry" and _readable(version):
            return WarehousingBill(version)
        return WarehousingBill()

    def _numbered(self, number: str) -> list[DocumentVersion]:
        """The latest versions (live or cancelled) of the known Bills of Entry that carry this
        BE number, the latest numbered first."""
        message_ids = list(self._journal.numbered(number))
        if self._ledger is not None:
            message_ids.extend(self._stored("numbered", number))
        found = []
        for message_id in dict.fromkeys(message_ids):
            version = self.document(message_id)
            if version is None or version.kind != "bill_of_entry" or not _readable(version):
                continue
            if version.number is not None and version.number != number:
                continue  # renumbered by an amendment
            found.append(version)
        return found

    # -- what the engine applies, in input order ----------------------------------------------

    def remember_manifest(self, manifest: ImportGeneralManifest) -> None:
        self._journal.add_manifest(manifest)

    def remember_uses(self, boe: BillOfEntry) -> None:
        for scheme_number in sorted(
            {(lic.scheme.upper(), lic.number) for item in boe.items for lic in item.licences}
        ):
            self._journal.add_use(*scheme_number, boe.message_id)

    def apply_claims(
        self,
        key: str,
        claims: Iterable[AuthorisationClaim],
        registry: Registry,
        *,
        filed: bool = True,
        message: BillOfEntry | ImportGeneralManifest | None = None,
        noted_manifest: str | None = None,
    ) -> ClaimResult:
        """Check each claim against the balance, in claim order; debit them if the message is filed.

        A Bill of Entry is debited all or nothing: when one claim cannot be covered (a shortfall
        rejects the message), or when the message is rejected for another reason (``filed`` is
        false: it cannot proceed, so it will not be filed), nothing is debited and every use is
        reported with a zero debit and the balance as it stands.

        An amendment or a cancellation of a known document first releases what the document holds
        (its claims are checked with that credited back); when filed, reversal entries credit it
        back. Without ``--commit`` the run keeps the new version and its entries; with it,
        :meth:`commit` hands them to the store. ``noted_manifest`` names the manifest without IGM
        number that a Bill of Entry was noted against by its B/L (cancelling it voids the BoE).
        """
        superseded = message is not None and self.superseded(key, message)
        replay = None if superseded else self._replayed(key, message)
        if replay is not None and not filed:
            # the same content, refused now for another reason (a duplicate message reference
            # in its interchange): it is no re-submission of what was filed, it debits nothing
            nothing = {"debited_quantity": ZERO, "debited_value": ZERO}
            return ClaimResult(uses=[use.model_copy(update=nothing) for use in replay])
        if replay is not None:
            # the same submission again: report what was debited, debit nothing new
            return ClaimResult(uses=replay, replayed=True)
        claims = self._claims_of(claims, message)
        replaced = self.replaces(message) if message is not None else None
        released = self.holdings(replaced.message_id) if replaced is not None else {}
        result = ClaimResult(
            replaces=replaced is not None,
            credits=reversals(released),
            noted_manifest=noted_manifest,
        )
        void_holdings = self._void_noted(message, replaced, result)
        freed = _by_licence(released)
        standing = self._check_claims(claims, registry, freed, result)
        # refused, the message releases nothing either: the balances as they stand
        as_it_stands = _unreleased(claims, standing, freed)
        if result.shortfalls and self._ledger is not None and not superseded:
            # another committer may have stored this very submission since it was looked up
            # (its debits are what is now short): the answer is then a replay, as the ledger says
            committed = self._ledger.committed_uses(key)
            if committed is not None:
                return ClaimResult(uses=list(committed), replayed=True)
        if result.shortfalls or not filed:
            return _nothing_debited(result, as_it_stands)
        openings: list[Debit] = []
        if (
            isinstance(message, BillOfEntry)
            and message.type == BillOfEntryType.WAREHOUSING
            and message.function != Function.CANCELLATION
        ):
            kept = kept_bond_units(released)  # an amendment keeps its accounts' units
            changed = bond_unit_change(message, kept)
            if changed is not None:
                refused = _nothing_debited(result, as_it_stands)
                refused.conflict = ("CORE-BOND-003", changed)
                return refused
            openings = bond_openings(message, kept)
        underflow = (
            bond_underflow(
                message.message_id,
                message.function,
                reversals(released),
                openings,
                lambda number: self.debited(BOND, number)[0],
            )
            if isinstance(message, BillOfEntry)
            else voided_underflow(
                {voided: reversals(held) for voided, held in void_holdings.items()},
                lambda number: self.debited(BOND, number)[0],
            )
        )
        if underflow is not None:
            refused = _nothing_debited(result, as_it_stands)
            refused.conflict = ("CORE-BOND-003", underflow)
            return refused
        result.debits += openings
        if not self.committing:
            self._settle(key, message, result, released, void_holdings)
        elif result.uses and message is None:
            self._applied[key] = result.uses
        return result

    def replayed_uses(
        self, key: str, message: BillOfEntry | ImportGeneralManifest
    ) -> list[AuthorisationUse] | None:
        """What this very submission debited when it was seen before, or ``None`` when it is
        new: a re-submission is answered with these, and debits nothing again."""
        return self._replayed(key, message)

    def _replayed(
        self, key: str, message: BillOfEntry | ImportGeneralManifest | None
    ) -> list[AuthorisationUse] | None:
        """What this very submission debited when it was seen before (in the run, committed, or
        accepted by the run without claims), or ``None`` when it is new."""
        replay = self._applied.get(key)
        if replay is None and self.store is not None:
            committed = self._committed(key, message)
            replay = list(committed) if committed is not None else None
        if (
            replay is None
            and message is not None
            and self._documents.has_key(message.message_id, key)
        ):
            replay = []
        return None if replay is None else list(replay)

    def _claims_of(
        self,
        claims: Iterable[AuthorisationClaim],
        message: BillOfEntry | ImportGeneralManifest | None,
    ) -> list[AuthorisationClaim]:
        """The claims to check: none for a cancellation (it only credits back); an ex-bond Bill
        of Entry's draw on its bond besides the plugins' claims."""
        if message is not None and message.function == Function.CANCELLATION:
            return []
        if isinstance(message, BillOfEntry) and message.type == BillOfEntryType.EX_BOND:
            return [*claims, *self.bond_claims(message)]
        return list(claims)

    def _void_noted(
        self,
        message: BillOfEntry | ImportGeneralManifest | None,
        replaced: DocumentVersion | None,
        result: ClaimResult,
    ) -> dict[str, Holdings]:
        """An IGM cancellation voids the known Bills of Entry noted against it: what each holds
        is credited back (added to ``result``)."""
        if not (
            isinstance(message, ImportGeneralManifest)
            and replaced is not None
            and message.function == Function.CANCELLATION
        ):
            return {}
        void_holdings: dict[str, Holdings] = {}
        live = replaced.model()  # the document cancelled, whatever number the message carries
        document = live if isinstance(live, ImportGeneralManifest) else None
        cancelled = document if document is not None and document.igm_number else message
        for noted in self.noted_documents(cancelled, document):
            void_holdings[noted.message_id] = self.holdings(noted.message_id)
            result.credits += reversals(void_holdings[noted.message_id])
        result.voided = sorted(void_holdings)
        return void_holdings

    def _check_claims(
        self,
        claims: list[AuthorisationClaim],
        registry: Registry,
        freed: dict[tuple[str, str], tuple[Decimal, Decimal]],
        result: ClaimResult,
    ) -> list[tuple[Decimal | None, Decimal | None]]:
        """Each claim against what is left of its licence (less this message's earlier claims):
        a use and a debit when covered, a use and a shortfall when not (added to ``result``).
        Returns the balances each claim found before this message's claims."""
        own: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}  # this message's claims so far
        standing: list[tuple[Decimal | None, Decimal | None]] = []  # balances without them
        for claim in claims:
            bond = claim.scheme.upper() == BOND
            record = None if bond else registry.licence(claim.scheme, claim.number)
            number = (claim.scheme.upper(), claim.number)
            standing.append(self._balance(number, record, bond, freed))
            own_quantity, own_value = own.get(number, (ZERO, ZERO))
            left_quantity = None if standing[-1][0] is None else standing[-1][0] - own_quantity
            left_value = None if standing[-1][1] is None else standing[-1][1] - own_value
            unit = record.unit if record is not None and record.unit else claim.unit
            amount = convert(claim.quantity, claim.unit, unit)
            reason = improper(claim.quantity, claim.value_inr)
            covered = (
                reason is None
                and amount is not None
                and (left_quantity is None or amount <= left_quantity)
                and (left_value is None or claim.value_inr <= left_value)
            )
            if amount is None or not covered:
                result.shortfalls.append(
                    Shortfall(
                        claim,
                        left_quantity,
                        left_value,
                        reason,
                        limit_unit=unit,
                        unconvertible=amount is None,
                    )
                )
                result.uses.append(_use(claim, ZERO, ZERO, left_quantity, left_value))
                continue
            own[number] = (own_quantity + amount, own_value + claim.value_inr)
            result.debits.append(Debit(*number, claim.item, amount, claim.value_inr, claim, unit))
            result.uses.append(
                _use(
                    claim,
                    amount,
                    claim.value_inr,
                    None if left_quantity is None else left_quantity - amount,
                    None if left_value is None else left_value - claim.value_inr,
                )
            )
        return standing

    def _balance(
        self,
        number: tuple[str, str],
        record: RegistryRecord | None,
        bond: bool,
        freed: dict[tuple[str, str], tuple[Decimal, Decimal]],
    ) -> tuple[Decimal | None, Decimal | None]:
        """What is left of a licence (quantity, INR value; ``None``: no limit on record) with
        what the replaced version held credited back. A bond holds what was debited as negative
        entries: what is left is their opposite."""
        debited_quantity, debited_value = self.debited(*number)
        freed_quantity, freed_value = freed.get(number, (ZERO, ZERO))
        debited_quantity -= freed_quantity
        debited_value -= freed_value
        if bond:
            quantity: Decimal | None = ZERO - debited_quantity
        elif record is None or record.quantity is None:
            quantity = None
        else:
            quantity = record.quantity - debited_quantity
        value = (
            None if record is None or record.value_inr is None else record.value_inr - debited_value
        )
        return quantity, value

    def _settle(
        self,
        key: str,
        message: BillOfEntry | ImportGeneralManifest | None,
        result: ClaimResult,
        released: Holdings | None = None,
        voids: dict[str, Holdings] | None = None,
    ) -> None:
        """Keep an accepted message's version and entries in the run (not committing): the
        reversals of what it replaces, its debits, and the voiding of Bills of Entry noted
        against an IGM it cancels."""
        voids = voids or {}
        entries = [
            (account, -quantity, -value) for account, (quantity, value) in (released or {}).items()
        ]
        entries += [(d.account, d.quantity, d.value_inr) for d in result.debits]
        for (scheme, number, _item, _unit), quantity, value in entries:
            self._add((scheme, number), quantity, value)
        for message_id, held in voids.items():
            version = self._voided_version(message_id, key)
            void_entries = [
                (account, -quantity, -value) for account, (quantity, value) in held.items()
            ]
            for (scheme, number, _item, _unit), quantity, value in void_entries:
                self._add((scheme, number), quantity, value)
            if version is not None:
                self._documents.record(version, void_entries)
                self._revised.add(message_id)
        if isinstance(message, BillOfEntry) and message.manifest and message.manifest.igm_number:
            self._journal.add_noted(message.manifest.igm_number, message.message_id)
        if isinstance(message, BillOfEntry) and result.noted_manifest:
            self._journal.add_noted_by_bl(result.noted_manifest, message.message_id)
        if isinstance(message, ImportGeneralManifest) and message.igm_number:
            self._journal.add_igm_number(message.message_id, message.igm_number)
        if isinstance(message, BillOfEntry) and message.number:
            self._journal.add_numbered(message.number, message.message_id)
        if message is not None:
            replaced = None
            if message.function != Function.ORIGINAL:
                replaced = Replaced(
                    self.document(message.message_id), tuple(result.credits), tuple(result.voided)
                )
            noted = result.noted_manifest if isinstance(message, BillOfEntry) else None
            self._documents.record(version_of(key, message, noted), entries, replaced)
            if message.function != Function.ORIGINAL:
                self._revised.add(message.message_id)
        if result.uses:  # no claims: a replay would find none either, so keep nothing
            self._applied[key] = result.uses

    def commit(
        self,
        key: str,
        message: BillOfEntry | ImportGeneralManifest,
        result: ClaimResult | None = None,
    ) -> ClaimResult | None:
        """Persist a completed message (``--commit`` only); return the result to report.

        Called by the engine after the message's checks and claims. A replayed submission is not
        written again. If the store's re-check under lock fails, every claim is reported
        undebited, with the failing ones as shortfalls; if the document's state changed under the
        lock so that the message no longer fits it, ``conflict`` names the rule.
        """
        if not self.committing or self.store is None or (result is not None and result.replayed):
            return result
        debits = tuple(result.debits) if result else ()
        licences: tuple[tuple[str, str], ...] = ()
        boe = message if isinstance(message, BillOfEntry) else None
        if boe is not None:
            if boe.function != Function.CANCELLATION:  # a cancellation quotes nothing
                licences = tuple(
                    sorted(
                        {
                            (lic.scheme.upper(), lic.number)
                            for item in boe.items
                            for lic in item.licences
                        }
                    )
                )
            igm_number = boe.manifest.igm_number if boe.manifest else None
        else:
            igm_number = message.igm_number  # type: ignore[union-attr]
        self._reads.clear()  # what the commit stores is read afresh
        self.message_done()  # the commit writes: no read of ours may hold it back
        outcome = self.store.commit(
            Submission(
                key=key,
                message_id=message.message_id,
                kind=kind_of(message),
                manifest=message if isinstance(message, ImportGeneralManifest) else None,
                debits=debits,
                licences=licences,
                uses=tuple(result.uses) if result else (),
                function=message.function,
                replaces=message.function != Function.ORIGINAL,
                body=message.model_dump_json(),
                igm_number=igm_number,
                document_number=boe.number if boe is not None else None,
                noted_manifest=result.noted_manifest if result is not None else None,
                noted_igm=_noted_igm(boe),
                run_id=self.run_id,
                aliases=(legacy_message_key(message),),
                voids=(
                    (message.igm_number or "", message.port_code)
                    if isinstance(message, ImportGeneralManifest)
                    and message.function == Function.CANCELLATION
                    else None
                ),
            )
        )
        if outcome.committed:
            if message.function != Function.ORIGINAL:
                self._revised.add(message.message_id)
            self._revised.update(outcome.voided)
            if result is not None:
                result.credits = outcome.credits
                result.voided = outcome.voided
                result.replaces = bool(outcome.credits) or result.replaces
                result.uses = as_committed(result.uses, outcome.left)
                if result.uses:
                    self._applied[key] = result.uses
            return result
        if outcome.replayed is not None:
            if outcome.replayed:
                self._applied[key] = outcome.replayed
            return ClaimResult(uses=list(outcome.replayed), replayed=True)
        uses = _undebited(result.uses if result else (), outcome.left)
        return ClaimResult(uses=uses, shortfalls=outcome.shortfalls, conflict=outcome.conflict)

    def _voided_version(self, message_id: str, igm_key: str) -> DocumentVersion | None:
        current = self.document(message_id)
        if current is None:
            return None
        return DocumentVersion(
            message_id=message_id,
            kind=current.kind,
            function=Function.CANCELLATION,
            key=void_key(message_id, igm_key),
            body=current.body,
            number=current.number,
        )

    def _add(self, account: tuple[str, str], quantity: Decimal, value: Decimal) -> None:
        held_q, held_v = self._debits.get(account, (ZERO, ZERO))
        self._debits[account] = (held_q + quantity, held_v + value)


def _latest_versions(manifests: Iterable[ImportGeneralManifest]) -> list[ImportGeneralManifest]:
    """The first (latest) of each document's versions, in order: a manifest the run committed is
    both the run's and the store's, and an amended one is there once per version."""
    latest: dict[str, ImportGeneralManifest] = {}
    for manifest in manifests:
        latest.setdefault(manifest.message_id, manifest)
    return list(latest.values())


def bond_underflow(
    message_id: str,
    function: Function,
    credits: Iterable[Credit],
    openings: Iterable[Debit],
    balance: Callable[[str], Decimal],
) -> str | None:
    """Why an amendment or a cancellation of a warehousing Bill of Entry cannot be filed: what it
    credits back of its bonds (their openings, negative) and opens anew would leave less in
    bond than has already been cleared ex-bond against it (``balance``: an account's entries
    summed, before this message). ``None``: it can."""
    held: dict[str, Decimal] = {}
    units: dict[str, str | None] = {}
    for credit in credits:
        if credit.scheme == BOND:
            held[credit.number] = held.get(credit.number, ZERO) + credit.quantity
            units[credit.number] = credit.unit
    opened: dict[str, Decimal] = {}
    for debit in openings:
        if debit.scheme == BOND and debit.kind == "bond":
            opened[debit.number] = opened.get(debit.number, ZERO) - debit.quantity
    for number in sorted(held):
        # the account's entries other than this document's own openings are its clearances
        cleared = balance(number) - held[number]
        left = opened.get(number, ZERO) - cleared
        if left < 0:
            unit = f" {units.get(number) or ''}".rstrip()
            return (
                f"{function.value} of warehousing Bill of Entry {message_id} would leave "
                f"{opened.get(number, ZERO)}{unit} of HS {bond_parts(number)[1]} in bond, "
                f"but {cleared}{unit} have already been cleared ex-bond against it ({-left} "
                "less in bond than cleared): nothing is changed"
            )
    return None


def _noted_igm(boe: BillOfEntry | None) -> tuple[str, str] | None:
    """(IGM number, port) a Bill of Entry being filed is noted against (an ex-bond one and a
    cancellation are noted against none)."""
    if (
        boe is None
        or boe.function == Function.CANCELLATION
        or boe.type == BillOfEntryType.EX_BOND
        or boe.manifest is None
        or not boe.manifest.igm_number
    ):
        return None
    return boe.manifest.igm_number, boe.port_code


def voided_underflow(
    voided: Mapping[str, Sequence[Credit]], balance: Callable[[str], Decimal]
) -> str | None:
    """Why an IGM cancellation cannot void the Bills of Entry noted against it: one is a
    warehousing Bill of Entry already cleared ex-bond (its bond would go below what was
    cleared, as its own cancellation would). ``None``: it can."""
    for message_id in sorted(voided):
        problem = bond_underflow(message_id, Function.CANCELLATION, voided[message_id], (), balance)
        if problem is not None:
            return f"the IGM cancellation voids the Bills of Entry noted against it: {problem}"
    return None


def bond_units(boe: BillOfEntry, kept: Mapping[str, str] | None = None) -> dict[str, str]:
    """The unit of each HS code's bond balance: the unit it was opened in when ``kept`` names
    it (an amendment keeps its document's accounts in one unit), else its first line's."""
    units: dict[str, str] = {}
    for item in boe.items:
        units.setdefault(item.hs_code, (kept or {}).get(item.hs_code) or item.unit)
    return units


def kept_bond_units(holdings: Holdings) -> dict[str, str]:
    """The unit each HS code's bond account of a warehousing document is kept in (its
    openings' unit), from what the document holds."""
    return {
        bond_parts(number)[1]: unit
        for (scheme, number, _item, unit) in sorted(holdings, key=lambda a: (a[1], a[2]))
        if scheme == BOND and unit
    }


def bond_unit_change(boe: BillOfEntry, kept: Mapping[str, str]) -> str | None:
    """Why an amendment of a warehousing Bill of Entry cannot be filed: a line of an HS code
    whose bond is kept in a unit its own does not convert to (an account's entries are summed,
    so they must share one unit). ``None``: it can."""
    for item in boe.items:
        unit = kept.get(item.hs_code)
        if unit is not None and convert(item.quantity, item.unit, unit) is None:
            return (
                f"{boe.function.value} of warehousing Bill of Entry {boe.message_id} states HS "
                f"{item.hs_code} in {item.unit}, but its bond is kept in {unit}, which "
                f"{item.unit} does not convert to: nothing is changed (cancel it and file a new "
                "one to change the unit)"
            )
    return None


def bond_openings(boe: BillOfEntry, kept: Mapping[str, str] | None = None) -> list[Debit]:
    """A warehousing Bill of Entry opens one bond balance per HS code, in the unit of its first
    line (or, amended, the unit its account was opened in: ``kept``): every line of that HS
    code adds its quantity converted to that unit (a line whose unit does not convert opens
    nothing)."""
    units = bond_units(boe, kept)
    openings = []
    for item in boe.items:
        unit = units[item.hs_code]
        quantity = convert(item.quantity, item.unit, unit)
        if quantity is not None:
            openings.append(
                Debit(
                    BOND,
                    bond_account(boe.message_id, item.hs_code),
                    item.number,
                    -quantity,
                    ZERO,
                    unit=unit,
                    kind="bond",
                )
            )
    return openings


def identified(numbered: Sequence[DocumentVersion], boe: BillOfEntry) -> WarehousingBill:
    """Which of the known Bills of Entry carrying one BE number (latest numbered first) the
    ex-bond ``boe`` names. BE numbers are allotted per port, so Bills of Entry of several ports
    and importers may carry the same one: the importer's own at its port is meant, else the
    importer's own at any port, and a live one before a cancelled one. Several live ones left
    are not told apart (no guess: each is another bond). One alone is the one named, whoever
    holds it (CORE-BOND-002 refuses another importer's)."""
    if len(numbered) < 2:
        return WarehousingBill(numbered[0] if numbered else None)
    iec = importer_iec(boe)
    of_iec: list[tuple[DocumentVersion, BillOfEntry]] = []
    for version in numbered:
        model = version.model()
        if iec and isinstance(model, BillOfEntry) and importer_iec(model) == iec:
            of_iec.append((version, model))
    at_port = [version for version, model in of_iec if model.port_code == boe.port_code]
    meant = at_port or [version for version, _model in of_iec] or list(numbered)
    live = [version for version in meant if not version.cancelled]
    if len(live) == 1:
        return WarehousingBill(live[0])
    if not live:  # nothing remains in bond under any of them
        return WarehousingBill(meant[0])
    return WarehousingBill(candidates=tuple(version.message_id for version in live))


def importer_iec(boe: BillOfEntry) -> str:
    """The importer's IEC as compared: trimmed, upper case (empty: none given)."""
    return (boe.importer.iec or "").strip().upper()


def _readable(version: DocumentVersion) -> bool:
    """Whether a Bill of Entry's version can be checked against: cancelled, or with its content
    (an older release committed none)."""
    return version.cancelled or version.body is not None


def notes(boe: BillOfEntry, manifest: ImportGeneralManifest) -> bool:
    """Whether a Bill of Entry is noted against this IGM (same number, same port)."""
    reference = boe.manifest
    return (
        reference is not None
        and reference.igm_number == manifest.igm_number
        and boe.port_code == manifest.port_code
    )


def notes_by_bl(boe: BillOfEntry, manifest: ImportGeneralManifest) -> bool:
    """Whether a Bill of Entry's B/L is on this manifest, at its port (how a Bill of Entry is
    noted against a manifest that has no IGM number yet, CORE-BOE-NOTE-006)."""
    reference = boe.manifest
    wanted = (reference.bl_number or "").strip().upper() if reference is not None else ""
    return (
        bool(wanted)
        and boe.port_code == manifest.port_code
        and any((line.bl_number or "").strip().upper() == wanted for line in manifest.lines)
    )


def noted_against(
    version: DocumentVersion,
    boe: BillOfEntry,
    numbers: set[str],
    port_code: str,
    document: ImportGeneralManifest | None,
) -> bool:
    """Whether a live Bill of Entry (its latest ``version``) is noted against the manifest
    ``document``: by the link its version records, else by one of the manifest's IGM
    ``numbers`` at its port (a Bill of Entry filed before its IGM was known)."""
    if version.noted_manifest is not None:
        return document is not None and version.noted_manifest == document.message_id
    quoted = boe.manifest.igm_number if boe.manifest is not None else None
    return quoted in numbers and boe.port_code == port_code


def void_key(message_id: str, igm_key: str) -> str:
    """The submission key of a Bill of Entry voided by an IGM cancellation."""
    return f"{message_id}#void-{igm_key.rsplit('#', 1)[-1]}"


def version_of(
    key: str, message: BillOfEntry | ImportGeneralManifest, noted_manifest: str | None = None
) -> DocumentVersion:
    return DocumentVersion(
        message_id=message.message_id,
        kind=kind_of(message),
        function=message.function,
        key=key,
        body=message.model_dump_json(),
        number=message.igm_number if isinstance(message, ImportGeneralManifest) else message.number,
        noted_manifest=noted_manifest,
    )


def _undebited(
    uses: Iterable[AuthorisationUse],
    standing: Mapping[tuple[str, str], tuple[Decimal | None, Decimal | None]],
) -> list[AuthorisationUse]:
    """The uses of a refused commit: nothing debited, and what each account has left as the
    store found it when it refused (``standing``), nothing of the message written and nothing
    of a version it would replace released — as a message refused before the commit reports
    it. An account the store read nothing of (a submission it refused unread): the remainder
    the run worked out, before this use's debit."""
    out = []
    for use in uses:
        found = standing.get((use.scheme.upper(), use.number))
        if found is not None:
            quantity, value = found
        else:
            quantity = (
                None
                if use.remaining_quantity is None
                else (use.remaining_quantity + use.debited_quantity)
            )
            value = (
                None if use.remaining_value is None else (use.remaining_value + use.debited_value)
            )
        out.append(
            use.model_copy(
                update={
                    "debited_quantity": ZERO,
                    "debited_value": ZERO,
                    "remaining_quantity": quantity,
                    "remaining_value": value,
                }
            )
        )
    return out


def as_committed(
    uses: Sequence[AuthorisationUse],
    left: Mapping[tuple[str, str], tuple[Decimal | None, Decimal | None]],
) -> list[AuthorisationUse]:
    """The uses with their remaining balances as the commit found them under lock. The run
    worked them out from the balance it read before: another process may have committed against
    the same account meanwhile (within the limit, or the commit would have been refused), and
    every use of the account is then off by what that process debited."""
    shift: dict[tuple[str, str], tuple[Decimal | None, Decimal | None]] = {}
    for use in uses:
        key = (use.scheme.upper(), use.number)
        if key in left and (use.debited_quantity or use.debited_value):
            # the last use that debits the account: what the run thought is left after all
            committed_q, committed_v = left[key]
            shift[key] = (
                None
                if committed_q is None or use.remaining_quantity is None
                else use.remaining_quantity - committed_q,
                None
                if committed_v is None or use.remaining_value is None
                else use.remaining_value - committed_v,
            )
    if not any(q or v for q, v in shift.values()):
        return list(uses)
    out = []
    for use in uses:
        off_q, off_v = shift.get((use.scheme.upper(), use.number), (None, None))
        update: dict[str, Decimal] = {}
        if off_q and use.remaining_quantity is not None:
            update["remaining_quantity"] = use.remaining_quantity - off_q
        if off_v and use.remaining_value is not None:
            update["remaining_value"] = use.remaining_value - off_v
        out.append(use.model_copy(update=update) if update else use)
    return out


def ledger_of(run: RunView) -> RunState:
    """The ledger behind the read-only view the engine hands to hooks. For the core's own
    in-sequence checks only, which read more of the run than :class:`RunView` shows (documents,
    resubmissions, noted Bills of Entry); plugins get the view."""
    ledger = _wrapped(run)
    if not isinstance(ledger, RunState):
        raise TypeError(f"not a run of the engine: {type(run).__name__}")
    return ledger


def _by_licence(held: Holdings) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Holdings summed per licence (scheme, number), over its items and units."""
    freed: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for (scheme, number, _item, _unit), (quantity, value) in held.items():
        freed_q, freed_v = freed.get((scheme, number), (ZERO, ZERO))
        freed[(scheme, number)] = (freed_q + quantity, freed_v + value)
    return freed


def _use(
    claim: AuthorisationClaim,
    quantity: Decimal,
    value: Decimal,
    remaining_quantity: Decimal | None,
    remaining_value: Decimal | None,
) -> AuthorisationUse:
    return AuthorisationUse(
        scheme=claim.scheme.lower(),
        number=claim.number,
        item=claim.item,
        debited_quantity=quantity,
        debited_value=value,
        remaining_quantity=remaining_quantity,
        remaining_value=remaining_value,
    )


def _unreleased(
    claims: Sequence[AuthorisationClaim],
    standing: list[tuple[Decimal | None, Decimal | None]],
    freed: dict[tuple[str, str], tuple[Decimal, Decimal]],
) -> list[tuple[Decimal | None, Decimal | None]]:
    """The balances each claim found, without what the replaced version held: what is left when
    an amendment is refused and releases nothing."""
    out = []
    for claim, (quantity, value) in zip(claims, standing, strict=True):
        freed_q, freed_v = freed.get((claim.scheme.upper(), claim.number), (ZERO, ZERO))
        out.append(
            (
                None if quantity is None else quantity - freed_q,
                None if value is None else value - freed_v,
            )
        )
    return out


def _nothing_debited(
    result: ClaimResult, standing: list[tuple[Decimal | None, Decimal | None]]
) -> ClaimResult:
    """All or nothing: every use with a zero debit and the balance as it stands."""
    uses = [
        use.model_copy(
            update={
                "debited_quantity": ZERO,
                "debited_value": ZERO,
                "remaining_quantity": quantity,
                "remaining_value": value,
            }
        )
        for use, (quantity, value) in zip(result.uses, standing, strict=True)
    ]
    return ClaimResult(uses=uses, shortfalls=result.shortfalls)
