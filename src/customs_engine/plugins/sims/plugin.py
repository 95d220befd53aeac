"""The ``sims`` plugin: steel monitoring registrations through the shared monitoring helper.

Everything common to monitoring registrations (coverage, validity, window, registry
cross-checks, fee) is :class:`~customs_engine.core.monitoring.MonitoringScheme` with this
folder's ``data.toml``; what is SIMS's own is here: the packaging re-import exemption and one
registration per Bill of Entry.
"""

from __future__ import annotations

from customs_engine import hookimpl
from customs_engine.core.context import CheckContext, Scheme
from customs_engine.core.ledger import RunState
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest, Item, Purpose
from customs_engine.core.monitoring import MonitoringScheme, Scope
from customs_engine.core.response import Fee, Finding
from customs_engine.core.rules import Rule

SIMS = MonitoringScheme.load("customs_engine.plugins.sims", plugin="sims")


def _exemption(_boe: BillOfEntry, item: Item) -> str | None:
    if item.purpose == Purpose.PACKAGING_REIMPORT:
        return "steel re-imported for packaging (purpose PACKAGING_REIMPORT)"
    return None


def _scope(boe: BillOfEntry, ctx: CheckContext) -> Scope:
    return SIMS.scope(boe, ctx, _exemption)


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [Scheme(name="sims", title="Steel Import Monitoring System (DGFT)",
                   licence_schemes=("SIMS",))]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(SIMS.rules.values())


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    scope = _scope(boe, ctx)
    _, notes = SIMS.fees(boe, ctx, scope.lines)
    return scope.findings + SIMS.check(boe, ctx, scope.lines) + notes


@hookimpl
def customs_fees(boe: BillOfEntry, ctx: CheckContext) -> list[Fee]:
    fees, _ = SIMS.fees(boe, ctx, _scope(boe, ctx).lines)
    return fees


@hookimpl
def customs_check_in_sequence(message: BillOfEntry | ImportGeneralManifest, ctx: CheckContext,
                              run: RunState) -> list[Finding]:
    if not isinstance(message, BillOfEntry):
        return []
    lines = _scope(message, ctx).lines
    return SIMS.check_window(message, ctx, run, lines) + _one_per_bill(message, run, lines)


def _one_per_bill(boe: BillOfEntry, run: RunState, lines: list[tuple[int, Item]]) -> list[Finding]:
    """A SIMS registration serves one customs entry: a second Bill of Entry is queried."""
    rule = SIMS.rule("ONE-001")
    out = []
    for number, occurrences in SIMS.by_number(lines).items():
        earlier = run.prior_uses(SIMS.scheme, number, excluding=boe.message_id)
        if earlier:
            occ = occurrences[0]
            out.append(rule.finding(
                "query", f"SIMS registration {number} was already quoted on Bill of Entry "
                         f"{', '.join(earlier)}; one registration serves one Bill of Entry",
                item=occ.item.number, field=occ.field))
    return out
