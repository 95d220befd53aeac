"""The hooks every monitoring-registration scheme (SIMS, AIMS, …) shares, as a plugin class.

A scheme plugin subclasses :class:`MonitoringPlugin`, names its title, and overrides only what
is its own: :meth:`exemption` (lines that need no registration, beyond the data file's
``[air_freight]``) and :meth:`in_sequence` (checks against the run, such as SIMS's one
registration per Bill of Entry). The checks themselves are
:class:`~customs_engine.core.monitoring.scheme.MonitoringScheme`, driven by the plugin's data file.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from customs_engine.core.check_context import CheckContext, Scheme, once_per_message
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.ledger.run_state import RunState, ledger_of
from customs_engine.core.ledger.run_view import RunView
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest, Item
from customs_engine.core.monitoring.scheme import SETTINGS, MonitoringScheme, Scope
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule

#: registrations whose listing Bill of Entry a plugin keeps for a run (then it starts again)
_LISTED_KEPT = 10_000


class MonitoringPlugin:
    """Register an instance through the ``customs_engine`` entry-point group."""

    title: str = ""

    def __init__(self, monitoring: MonitoringScheme):
        self.monitoring = monitoring
        #: per run (forgotten with it): registration → (the Bill of Entry that listed its fee,
        #: the version it had then)
        self._listed_on: WeakKeyDictionary[RunState, dict[str, tuple[str, str]]] = (
            WeakKeyDictionary()
        )

    # -- what a scheme overrides --------------------------------------------------------------

    def exemption(self, boe: BillOfEntry, item: Item) -> str | None:
        """Why a covered line needs no registration, or ``None`` (default: the data file's
        ``[air_freight]``)."""
        return self.monitoring.exemption(boe, item)

    def in_sequence(
        self, boe: BillOfEntry, run: RunView, lines: list[tuple[int, Item]]
    ) -> list[Finding]:
        """Scheme-specific checks against the run state (beyond the registration window)."""
        return []

    # -- hooks ----------------------------------------------------------------------------------

    def scope(self, boe: BillOfEntry, ctx: CheckContext) -> Scope:
        return once_per_message(
            self, "scope", boe, lambda: self.monitoring.scope(boe, ctx, self.exemption)
        )

    def _fee_listed_before(
        self, boe: BillOfEntry, ctx: CheckContext, run: RunView, number: str
    ) -> bool:
        """Whether an earlier Bill of Entry (in the run or committed) listed the fee of
        registration ``number``: one whose latest version quotes it on a line this scheme
        covers. One that quoted it only on lines the scheme does not cover, or exempts (air
        freight), listed no fee, so the fee is not yet listed."""
        earlier = run.prior_uses(self.monitoring.scheme, number, excluding=boe.message_id)
        if not earlier:
            return False
        try:
            ledger = ledger_of(run)
        except TypeError:
            return True  # a run of no engine (a test's): its documents cannot be read
        # the Bill of Entry found listing it before, in the version it had then, while it still
        # quotes the registration: asked again for every later one, found without reading it
        remembered = self._listed_on.setdefault(ledger, {})
        listed = remembered.get(number)
        if listed is not None and listed[0] in earlier:
            version = ledger.document(listed[0])
            if version is not None and version.key == listed[1]:
                return True
        for message_id in earlier:
            version = ledger.document(message_id)
            other = version.model() if version is not None and not version.cancelled else None
            if not isinstance(other, BillOfEntry) or any(
                licence.number == number
                for _, item in self.scope(other, ctx).lines
                for licence in item.licences_for(self.monitoring.scheme)
            ):
                if len(remembered) >= _LISTED_KEPT:
                    remembered.clear()
                if version is not None:
                    remembered[number] = (message_id, version.key)
                return True
        return False

    @hookimpl
    def customs_schemes(self) -> list[Scheme]:
        return [
            Scheme(
                name=self.monitoring.plugin,
                title=self.title,
                licence_schemes=(self.monitoring.scheme,),
                settings=SETTINGS,
            )
        ]

    @hookimpl
    def customs_rules(self) -> list[Rule]:
        return list(self.monitoring.rules.values())

    @hookimpl
    def customs_check_bill_of_entry(self, boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
        scope = self.scope(boe, ctx)
        _, notes = self._stateless_fees(boe, ctx, scope)
        return (
            scope.findings
            + self.monitoring.check(boe, ctx, scope.lines)
            + self.monitoring.check_window(boe, ctx, None, scope.lines)
            + notes
        )

    @hookimpl
    def customs_fees(self, boe: BillOfEntry, ctx: CheckContext) -> list[Fee]:
        fees, _ = self._stateless_fees(boe, ctx, self.scope(boe, ctx))
        return list(fees)

    def _stateless_fees(
        self, boe: BillOfEntry, ctx: CheckContext, scope: Scope
    ) -> tuple[list[Fee], list[Finding]]:
        """Every fee, less those of quoted registrations when they are listed once per
        registration (the in-sequence pass lists those)."""
        once = self.monitoring.fee_once_per_registration
        return once_per_message(
            self,
            "fees",
            boe,
            lambda: self.monitoring.fees(boe, ctx, scope.lines, quoted=not once),
        )

    @hookimpl
    def customs_check_in_sequence(
        self, message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext, run: RunView
    ) -> list[Finding | Fee]:
        if not isinstance(message, BillOfEntry):
            return []
        if not any(item.licences_for(self.monitoring.scheme) for item in message.items):
            return []  # every run check concerns quoted registrations only
        window_open = self.monitoring.has_window and message.expected_arrival is None
        once = self.monitoring.fee_once_per_registration
        own = type(self).in_sequence is not MonitoringPlugin.in_sequence
        if not (window_open or once or own):
            return []  # nothing of this scheme's needs the run
        lines = self.scope(message, ctx).lines
        out: list[Finding | Fee] = []
        if window_open:  # else checked in the stateless pass
            out += self.monitoring.check_window(message, ctx, run, lines)
        out += self.in_sequence(message, run, lines)
        if once:
            fees, notes = self.monitoring.fees(
                message,
                ctx,
                lines,
                missing=False,
                listed_before=lambda number: self._fee_listed_before(message, ctx, run, number),
            )
            out += notes
            out += fees
        return out
