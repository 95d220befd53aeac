"""The hooks every monitoring-registration scheme (SIMS, AIMS, …) shares, as a plugin class.

A scheme plugin subclasses :class:`MonitoringPlugin`, names its title, and overrides only what
is its own: :meth:`exemption` (lines that need no registration) and :meth:`in_sequence` (checks
against the run, such as SIMS's one registration per Bill of Entry). The checks themselves are
:class:`~customs_engine.core.monitoring.scheme.MonitoringScheme`, driven by the plugin's data file.
"""

from __future__ import annotations

from customs_engine.core.check_context import CheckContext, Scheme
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest, Item
from customs_engine.core.monitoring.scheme import MonitoringScheme, Scope
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule


class MonitoringPlugin:
    """Register an instance through the ``customs_engine`` entry-point group."""

    title: str = ""

    def __init__(self, monitoring: MonitoringScheme):
        self.monitoring = monitoring

    # -- what a scheme overrides --------------------------------------------------------------

    def exemption(self, boe: BillOfEntry, item: Item) -> str | None:
        """Why a covered line needs no registration, or ``None``."""
        return None

    def in_sequence(
        self, boe: BillOfEntry, run: RunState, lines: list[tuple[int, Item]]
    ) -> list[Finding]:
        """Scheme-specific checks against the run state (beyond the registration window)."""
        return []

    # -- hooks ----------------------------------------------------------------------------------

    def scope(self, boe: BillOfEntry, ctx: CheckContext) -> Scope:
        return self.monitoring.scope(boe, ctx, self.exemption)

    @hookimpl
    def customs_schemes(self) -> list[Scheme]:
        return [
            Scheme(
                name=self.monitoring.plugin,
                title=self.title,
                licence_schemes=(self.monitoring.scheme,),
            )
        ]

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return list(self.monitoring.rules.values())

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
        scope = self.scope(boe, ctx)
        _, notes = self.monitoring.fees(boe, ctx, scope.lines)
        return (
            scope.findings
            + self.monitoring.check(boe, ctx, scope.lines)
            + self.monitoring.check_window(boe, ctx, None, scope.lines)
            + notes
        )

    @hookimpl
    def customs_fees(self, boe: BillOfEntry, ctx: CheckContext) -> list[Fee]:
        fees, _ = self.monitoring.fees(boe, ctx, self.scope(boe, ctx).lines)
        return fees

    @hookimpl
    def customs_check_in_sequence(
        self, message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunState
    ) -> list[Finding]:
        if not isinstance(message, BillOfEntry):
            return []
        if not any(item.licences_for(self.monitoring.scheme) for item in message.items):
            return []  # both run checks concern quoted registrations only
        window_open = message.expected_arrival is None  # else checked in the stateless pass
        if not window_open and type(self).in_sequence is MonitoringPlugin.in_sequence:
            return []  # nothing of this scheme's needs the run
        lines = self.scope(message, ctx).lines
        window = self.monitoring.check_window(message, ctx, run, lines) if window_open else []
        return window + self.in_sequence(message, run, lines)
