"""Run state: IGMs seen, authorisation debits and licence uses, applied in input order.

Within one run the ledger is always cumulative: a second Bill of Entry against an authorisation sees
the first one's debit, and an IGM earlier in the run is visible for noting. What was committed by
earlier runs comes from a :class:`LedgerStore` (the SQL registry); without one the run starts empty.
Claims are all-or-nothing: a claim the balance cannot cover is not debited at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from customs_engine.core.context import Registry
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.response import AuthorisationClaim, AuthorisationUse

ZERO = Decimal(0)


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


class RunState:
    """The ledger as this run sees it: committed state plus what the run has applied so far."""

    def __init__(self, store: LedgerStore | None = None):
        self.store = store
        self._manifests: list[ImportGeneralManifest] = []
        self._debits: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        self._uses: dict[tuple[str, str], list[str]] = {}
        self._applied: dict[str, list[AuthorisationUse]] = {}

    # -- what in-sequence checks read -------------------------------------------------------

    def manifests_numbered(self, igm_number: str) -> list[ImportGeneralManifest]:
        """IGMs with this number, the run's latest first, then stored ones."""
        found = [m for m in reversed(self._manifests) if m.igm_number == igm_number]
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
        seen.extend(self._uses.get(key, ()))
        return sorted({message_id for message_id in seen if message_id != excluding})

    def debited(self, scheme: str, number: str) -> tuple[Decimal, Decimal]:
        key = (scheme.upper(), number)
        quantity, value = self.store.debited(*key) if self.store is not None else (ZERO, ZERO)
        run_quantity, run_value = self._debits.get(key, (ZERO, ZERO))
        return quantity + run_quantity, value + run_value

    # -- what the engine applies, in input order ----------------------------------------------

    def remember_manifest(self, manifest: ImportGeneralManifest) -> None:
        self._manifests.append(manifest)

    def remember_uses(self, boe: BillOfEntry) -> None:
        for scheme_number in sorted({(lic.scheme.upper(), lic.number)
                                     for item in boe.items for lic in item.licences}):
            self._uses.setdefault(scheme_number, []).append(boe.message_id)

    def apply_claims(
        self, key: str, claims: Iterable[AuthorisationClaim], registry: Registry
    ) -> ClaimResult:
        """Check each claim against the balance and debit it if covered, in claim order."""
        replay = self._applied.get(key)
        if replay is None and self.store is not None:
            committed = self.store.committed_uses(key)
            replay = list(committed) if committed is not None else None
        if replay is not None:
            # the same submission again: report what was debited, debit nothing new
            return ClaimResult(uses=list(replay))
        result = ClaimResult()
        for claim in claims:
            record = registry.licence(claim.scheme, claim.number)
            debited_quantity, debited_value = self.debited(claim.scheme, claim.number)
            left_quantity = None if record is None or record.quantity is None else (
                record.quantity - debited_quantity)
            left_value = None if record is None or record.value_inr is None else (
                record.value_inr - debited_value)
            covered = (left_quantity is None or claim.quantity <= left_quantity) and (
                left_value is None or claim.value_inr <= left_value)
            if not covered:
                result.shortfalls.append(Shortfall(claim, left_quantity, left_value))
                result.uses.append(AuthorisationUse(
                    scheme=claim.scheme.lower(), number=claim.number, item=claim.item,
                    debited_quantity=ZERO, debited_value=ZERO,
                    remaining_quantity=left_quantity, remaining_value=left_value))
                continue
            debit = Debit(claim.scheme.upper(), claim.number, claim.item, claim.quantity,
                          claim.value_inr)
            self._add_debit(debit)
            result.debits.append(debit)
            result.uses.append(AuthorisationUse(
                scheme=claim.scheme.lower(), number=claim.number, item=claim.item,
                debited_quantity=claim.quantity, debited_value=claim.value_inr,
                remaining_quantity=(None if left_quantity is None
                                    else left_quantity - claim.quantity),
                remaining_value=None if left_value is None else left_value - claim.value_inr))
        self._applied[key] = result.uses
        return result

    def _add_debit(self, debit: Debit) -> None:
        key = (debit.scheme, debit.number)
        quantity, value = self._debits.get(key, (ZERO, ZERO))
        self._debits[key] = (quantity + debit.quantity, value + debit.value_inr)
