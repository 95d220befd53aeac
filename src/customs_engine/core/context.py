"""What a check can see besides the message: the run's settings and the registry.

Checks receive a :class:`CheckContext`. It is read-only and the same for every message of a run,
so stateless checks may run in worker processes. Run state (IGMs earlier in the run, ledger
balances, earlier uses of a licence) is passed separately, and only to the in-sequence hook.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from customs_engine.core.dates import india_date
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest

RecordKind = Literal["authorisation", "registration", "agency", "exchange_rate"]


class RegistryRecord(BaseModel):
    """One row of the registry (see ``examples/registry/registry.csv`` for the columns)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    scheme: str | None = None
    number: str
    iec: str | None = None
    issued_on: date | None = None
    valid_until: date | None = None
    hs_codes: tuple[str, ...] = ()
    quantity: Decimal | None = None
    unit: str | None = None
    value_inr: Decimal | None = None
    country_of_origin: str | None = None
    port_code: str | None = None
    expected_arrival: date | None = None
    fee_paid_inr: Decimal | None = None
    name: str | None = None
    country: str | None = None
    currency: str | None = None
    rate: Decimal | None = None

    def covers_hs(self, hs_code: str) -> bool:
        """Whether an HS code falls under the record's list (entries may be prefixes)."""
        return any(hs_code.startswith(prefix) for prefix in self.hs_codes)


class Registry(Protocol):
    """Read-only view of the registry that checks consult."""

    def licence(self, scheme: str, number: str) -> RegistryRecord | None:
        """The authorisation or registration of ``scheme`` with this number, if loaded."""

    def agencies(self) -> Sequence[RegistryRecord]:
        """Every pre-shipment inspection agency loaded (empty: none loaded)."""

    def exchange_rate(self, currency: str, on: date) -> RegistryRecord | None:
        """The CBIC-notified import rate for ``currency`` in force on ``on``."""


class MemoryRegistry:
    """A registry held in memory: for tests, and as the snapshot worker processes read."""

    def __init__(self, records: Iterable[RegistryRecord] = ()):
        self._licences: dict[tuple[str, str], RegistryRecord] = {}
        self._agencies: list[RegistryRecord] = []
        self._rates: dict[str, list[RegistryRecord]] = {}
        for record in records:
            self.add(record)

    def add(self, record: RegistryRecord) -> None:
        if record.kind in ("authorisation", "registration"):
            self._licences[((record.scheme or "").upper(), record.number)] = record
        elif record.kind == "agency":
            self._agencies.append(record)
        else:
            key = (record.currency or "").upper()
            self._rates.setdefault(key, []).append(record)
            self._rates[key].sort(key=lambda r: r.issued_on or date.min)

    def licence(self, scheme: str, number: str) -> RegistryRecord | None:
        return self._licences.get((scheme.upper(), number))

    def agencies(self) -> Sequence[RegistryRecord]:
        return tuple(self._agencies)

    def exchange_rate(self, currency: str, on: date) -> RegistryRecord | None:
        rates = self._rates.get(currency.upper(), ())
        in_force = [r for r in rates if (r.issued_on or date.min) <= on]
        return in_force[-1] if in_force else None

    def records(self) -> list[RegistryRecord]:
        rates = [r for group in self._rates.values() for r in group]
        return [*self._licences.values(), *self._agencies, *rates]


@dataclass(frozen=True)
class CheckContext:
    """Settings of the run, shared by every check."""

    registry: Registry = field(default_factory=MemoryRegistry)
    as_of: date | None = None
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: schemes (upper case licence scheme names, e.g. "IMS") some loaded plugin handles
    handled_schemes: frozenset[str] = frozenset()

    def reference_date(self, message: BillOfEntry | ImportGeneralManifest) -> date:
        """The date a rule's version is chosen by: ``--as-of``, else the message's own date."""
        if self.as_of is not None:
            return self.as_of
        if isinstance(message, BillOfEntry):
            return message.presented_on
        for moment in (message.filed_at, message.arrived_at, message.expected_arrival):
            if moment is not None:
                return india_date(moment)
        return message.igm_date or date.today()

    def settings(self, plugin: str) -> Mapping[str, Any]:
        """The ``--config`` table of one plugin (empty when none was given)."""
        return self.config.get(plugin, {})


class Scheme(BaseModel):
    """A scheme a plugin handles, and the licence scheme names it answers for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    licence_schemes: tuple[str, ...] = Field(default=())
    #: the rules this scheme's authorisation claims name as ``shortfall_rule``; checked at load
    #: (declared, with the outcome ``reject``) so a shortfall can always be reported
    shortfall_rules: tuple[str, ...] = Field(default=())
