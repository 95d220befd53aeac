"""Faceless-assessment routing by the first item's heading (CORE-NAC-001) and the
rate date (Customs Act s.15; an ex-bond Bill of Entry's, CORE-RATE-002)."""

from __future__ import annotations

from datetime import date

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.arrival import arrival_date, entry_inwards_date, noted_manifest
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import BillOfEntry, BillOfEntryType, Function
from customs_engine.core.refdata import reference_of
from customs_engine.core.response import Finding, Routing


def route(boe: BillOfEntry, ctx: CheckContext) -> Routing | None:
    if not boe.items:
        return None
    hs_code = boe.items[0].hs_code
    groups = reference_of(ctx).routing.at(ctx.reference_date(boe)) or ()
    found = next((g for g in groups if g.covers(hs_code)), None)
    return Routing(nac=found.nac, group=found.group) if found else None


def check_routing(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    if not boe.items or route(boe, ctx) is not None:
        return []
    hs_code = boe.items[0].hs_code
    on = ctx.reference_date(boe)
    why = (
        f"chapter {hs_code[:2]} (heading {hs_code[:4]}) of the first item is not mapped to a "
        "faceless-assessment group"
        if reference_of(ctx).routing.at(on)
        else f"no faceless-assessment routing table is in force on {on}"
    )
    return [
        RULES["CORE-NAC-001"].finding(
            "info",
            f"{why}: routing left to the port",
            item=boe.items[0].number,
            field="items[0].hs_code",
        )
    ]


def check_ex_bond_rate_date(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    """An ex-bond Bill of Entry is assessed at the rates in force on the day it is presented,
    not on the day the goods were warehoused (s.15(1)(b) since 14.05.2003): said as ``info``, as
    the response's ``rate_date`` is then that day (:func:`rate_date`)."""
    rule = RULES["CORE-RATE-002"]
    if boe.type != BillOfEntryType.EX_BOND or not rule.in_force(ctx.reference_date(boe)):
        return []
    warehoused = f" {boe.ex_bond_of}" if boe.ex_bond_of else ""
    return [
        rule.finding(
            "info",
            f"rate of duty and tariff value as in force on {boe.presented_on}, the day this "
            "ex-bond Bill of Entry for home consumption is presented, not those of the "
            f"warehousing Bill of Entry{warehoused}",
            field="presented_at",
        )
    ]


def rate_date(boe: BillOfEntry, run: RunState) -> date:
    """Later of presentation and arrival (entry inwards for a vessel when known): s.15 proviso.
    An ex-bond Bill of Entry: its own presentation date (s.15(1)(b)). An amendment does not
    present the Bill of Entry again: the date its document was first presented counts."""
    presented = (
        run.first_presented(boe.message_id) if boe.function == Function.AMENDMENT else None
    ) or boe.presented_on
    if boe.type == BillOfEntryType.EX_BOND:
        return presented
    igm = noted_manifest(boe, run)
    arrived = entry_inwards_date(igm) or arrival_date(boe, igm)
    return max(presented, arrived) if arrived else presented
