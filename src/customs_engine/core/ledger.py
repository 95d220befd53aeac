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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from customs_engine.core.context import Registry
from customs_engine.core.journal import RunJournal
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.replay import ReplayTable
from customs_engine.core.response import AuthorisationClaim, AuthorisationUse

ZERO = Decimal(0)


class LedgerError(Exception):
    """The ledger store failed (the database went away, a disk filled): the run cannot go on.

    Not a verdict on a message, so never turned into a finding; the engine adds which message
    was being completed. The store's transaction guarantees nothing of that message was stored.
    """


def message_key(message: BillOfEntry | ImportGeneralManifest) -> str:
    """Identity of a submission: its message id and a digest of its canonical content.

    Re-submitting the same message (same id, same content) maps to the same key, so it is never
    debited twice; an amended message with the same id is a different submission.
    """
    digest = hashlib.sha256(message.model_dump_json().encode()).hexdigest()[:32]
    return f"{message.message_id}#{digest}"


@dataclass(frozen=True)
class Debit:
    scheme: str
    number: str
    item: int
    quantity: Decimal
    value_inr: Decimal
    #: the claim this debit answers (reported again if a commit-time re-check fails)
    claim: AuthorisationClaim | None = field(default=None, compare=False)


@dataclass
class Shortfall:
    claim: AuthorisationClaim
    remaining_quantity: Decimal | None
    remaining_value: Decimal | None


@dataclass
class ClaimResult:
    uses: list[AuthorisationUse] = field(default_factory=list)
    debits: list[Debit] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    #: the same submission was seen before: ``uses`` are what it debited then, nothing new
    replayed: bool = False


@dataclass(frozen=True)
class Submission:
    """Everything one completed message leaves in the ledger, committed in one transaction."""

    key: str
    message_id: str
    kind: str
    manifest: ImportGeneralManifest | None
    debits: tuple[Debit, ...]
    licences: tuple[tuple[str, str], ...]
    uses: tuple[AuthorisationUse, ...]


@dataclass
class CommitOutcome:
    """What the store did with a submission: committed, refused (shortfalls) or already there."""

    committed: bool
    shortfalls: list[Shortfall] = field(default_factory=list)
    replayed: list[AuthorisationUse] | None = None


class LedgerStore(Protocol):
    """What earlier, committed runs left behind (implemented by the SQL registry)."""

    def find_manifests(self, igm_number: str) -> Sequence[ImportGeneralManifest]:
        """Stored IGMs with this number (any port, any date)."""

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        """Committed debits of an authorisation: (quantity, value)."""

    def uses(self, scheme: str, number: str) -> Sequence[str]:
        """Message ids of committed Bills of Entry that quoted this licence."""

    def committed_uses(self, key: str) -> Sequence[AuthorisationUse] | None:
        """The authorisation uses recorded when this exact submission was committed, if it was."""

    def commit(self, submission: Submission) -> CommitOutcome:
        """Persist a submission atomically, re-checking debited balances under row locks."""


class RunState:
    """The ledger as this run sees it: committed state plus what the run has applied so far."""

    def __init__(self, store: LedgerStore | None = None, *, commit: bool = False):
        if commit and store is None:
            raise ValueError("committing needs a ledger store")
        self.store = store
        self.committing = commit
        #: the run's own IGMs and licence uses (bounded in memory, see journal.py)
        self._journal = RunJournal()
        self._debits: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        #: per submission, what it debited (packed, spilled to a temporary database when large)
        self._applied = ReplayTable()

    # -- what in-sequence checks read -------------------------------------------------------

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        """IGMs with this number, the run's latest first, then stored ones."""
        found = self._journal.manifests(igm_number)[::-1]
        if self.store is not None:
            found.extend(self.store.find_manifests(igm_number))
        return found

    def manifest(
        self, igm_number: str, igm_date: date | None = None
    ) -> ImportGeneralManifest | None:
        for candidate in self.manifests_numbered(igm_number):
            if igm_date is None or candidate.igm_date in (None, igm_date):
                return candidate
        return None

    def prior_uses(self, scheme: str, number: str, *, excluding: str) -> list[str]:
        """Other messages (earlier in the run or committed) that quoted this licence."""
        key = (scheme.upper(), number)
        seen = list(self.store.uses(*key)) if self.store is not None else []
        seen.extend(self._journal.uses(*key))
        return sorted({message_id for message_id in seen if message_id != excluding})

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        key = (scheme.upper(), number)
        quantity, value = self.store.debited(*key) if self.store is not None else (ZERO, ZERO)
        run_quantity, run_value = self._debits.get(key, (ZERO, ZERO))
        return quantity + run_quantity, value + run_value

    # -- what the engine applies, in input order ----------------------------------------------

    def remember_manifest(self, manifest: ImportGeneralManifest) -> None:
        self._journal.add_manifest(manifest)

    def remember_uses(self, boe: BillOfEntry) -> None:
        for scheme_number in sorted({(lic.scheme.upper(), lic.number)
                                     for item in boe.items for lic in item.licences}):
            self._journal.add_use(*scheme_number, boe.message_id)

    def apply_claims(
        self, key: str, claims: Iterable[AuthorisationClaim], registry: Registry, *,
        filed: bool = True,
    ) -> ClaimResult:
        """Check each claim against the balance, in claim order; debit them if the message is filed.

        A Bill of Entry is debited all or nothing: when one claim cannot be covered (a shortfall
        rejects the message), or when the message is rejected for another reason (``filed`` is
        false: it cannot proceed, so it will not be filed), nothing is debited and every use is
        reported with a zero debit and the balance as it stands.
        """
        replay = self._applied.get(key)
        if replay is None and self.store is not None:
            committed = self.store.committed_uses(key)
            replay = list(committed) if committed is not None else None
        if replay is not None:
            # the same submission again: report what was debited, debit nothing new
            return ClaimResult(uses=list(replay), replayed=True)
        result = ClaimResult()
        own: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}  # this message's claims so far
        standing: list[tuple[Decimal | None, Decimal | None]] = []  # balances without them
        for claim in claims:
            record = registry.licence(claim.scheme, claim.number)
            number = (claim.scheme.upper(), claim.number)
            debited_quantity, debited_value = self.debited(*number)
            own_quantity, own_value = own.get(number, (ZERO, ZERO))
            standing.append((
                None if record is None or record.quantity is None else (
                    record.quantity - debited_quantity),
                None if record is None or record.value_inr is None else (
                    record.value_inr - debited_value)))
            left_quantity = None if standing[-1][0] is None else standing[-1][0] - own_quantity
            left_value = None if standing[-1][1] is None else standing[-1][1] - own_value
            covered = (left_quantity is None or claim.quantity <= left_quantity) and (
                left_value is None or claim.value_inr <= left_value)
            if not covered:
                result.shortfalls.append(Shortfall(claim, left_quantity, left_value))
                result.uses.append(AuthorisationUse(
                    scheme=claim.scheme.lower(), number=claim.number, item=claim.item,
                    debited_quantity=ZERO, debited_value=ZERO,
                    remaining_quantity=left_quantity, remaining_value=left_value))
                continue
            own[number] = (own_quantity + claim.quantity, own_value + claim.value_inr)
            result.debits.append(Debit(*number, claim.item, claim.quantity, claim.value_inr,
                                       claim))
            result.uses.append(AuthorisationUse(
                scheme=claim.scheme.lower(), number=claim.number, item=claim.item,
                debited_quantity=claim.quantity, debited_value=claim.value_inr,
                remaining_quantity=(None if left_quantity is None
                                    else left_quantity - claim.quantity),
                remaining_value=None if left_value is None else left_value - claim.value_inr))
        if result.shortfalls or not filed:
            uses = [use.model_copy(update={
                "debited_quantity": ZERO, "debited_value": ZERO,
                "remaining_quantity": quantity, "remaining_value": value})
                for use, (quantity, value) in zip(result.uses, standing, strict=True)]
            return ClaimResult(uses=uses, shortfalls=result.shortfalls)
        for debit in result.debits:
            self._add_debit(debit)
        if result.uses:  # no claims: a replay would find none either, so keep nothing
            self._applied[key] = result.uses
        return result

    def commit(self, key: str, message: BillOfEntry | ImportGeneralManifest,
               result: ClaimResult | None = None) -> ClaimResult | None:
        """Persist a completed message (``--commit`` only); return the result to report.

        Called by the engine after the message's checks and claims. A replayed submission is not
        written again. If the store's re-check under lock fails, the run forgets the message's
        debits and every claim is reported undebited, with the failing ones as shortfalls.
        """
        if not self.committing or self.store is None or (result is not None and result.replayed):
            return result
        debits = tuple(result.debits) if result else ()
        licences: tuple[tuple[str, str], ...] = ()
        if isinstance(message, BillOfEntry):
            licences = tuple(sorted({(lic.scheme.upper(), lic.number)
                                     for item in message.items for lic in item.licences}))
        outcome = self.store.commit(Submission(
            key=key, message_id=message.message_id,
            kind="bill_of_entry" if isinstance(message, BillOfEntry) else "manifest",
            manifest=message if isinstance(message, ImportGeneralManifest) else None,
            debits=debits, licences=licences, uses=tuple(result.uses) if result else ()))
        # committed or not, this run's own tally no longer holds these debits: the store does,
        # or nobody does
        for debit in debits:
            self._add_debit(debit, sign=-1)
        if outcome.committed or result is None:
            return result
        if outcome.replayed is not None:
            self._applied[key] = outcome.replayed
            return ClaimResult(uses=list(outcome.replayed), replayed=True)
        self._applied.pop(key, None)
        uses = _undebited(result.uses, outcome.shortfalls)
        return ClaimResult(uses=uses, shortfalls=outcome.shortfalls)

    def _add_debit(self, debit: Debit, sign: int = 1) -> None:
        key = (debit.scheme, debit.number)
        quantity, value = self._debits.get(key, (ZERO, ZERO))
        self._debits[key] = (quantity + sign * debit.quantity, value + sign * debit.value_inr)


def _undebited(uses: Iterable[AuthorisationUse],
               shortfalls: Sequence[Shortfall]) -> list[AuthorisationUse]:
    """The uses of a refused commit: nothing debited; what is left without this message's debits
    (a shortfall's own figures, else the remainder before this use's debit)."""
    left = {(s.claim.scheme.upper(), s.claim.number, s.claim.item): s for s in shortfalls}
    out = []
    for use in uses:
        shortfall = left.get((use.scheme.upper(), use.number, use.item))
        if shortfall is not None:
            quantity, value = shortfall.remaining_quantity, shortfall.remaining_value
        else:
            quantity = None if use.remaining_quantity is None else (
                use.remaining_quantity + use.debited_quantity)
            value = None if use.remaining_value is None else (
                use.remaining_value + use.debited_value)
        out.append(use.model_copy(update={"debited_quantity": ZERO, "debited_value": ZERO,
                                          "remaining_quantity": quantity,
                                          "remaining_value": value}))
    return out
