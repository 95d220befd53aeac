"""What a check can see besides the message: the run's settings and the registry.

Checks receive a :class:`CheckContext`. It is read-only and the same for every message of a run,
so stateless checks may run in worker processes. Run state (IGMs earlier in the run, ledger
balances, earlier uses of a licence) is passed separately, and only to the in-sequence hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from customs_engine.core.dates import india_date
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.core.registry.records import MemoryRegistry, Registry


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
