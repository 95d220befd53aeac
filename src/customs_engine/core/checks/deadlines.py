"""Filing deadlines: Bill of Entry late presentation (CORE-BOE-LATE-001) and IGM
filing (CORE-IGM-001, CORE-IGM-002). Dates and amounts come from refdata/deadlines.toml."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.arrival import arrival_date, entry_inwards_date, noted_manifest
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.dates import india_date
from customs_engine.core.ledger.run_state import RunState
from customs_engine.core.models import BillOfEntry, Conveyance, Function, ImportGeneralManifest
from customs_engine.core.money import inr
from customs_engine.core.refdata import CoreReference, reference_of
from customs_engine.core.refdata.ports import station_type
from customs_engine.core.response import Fee, Finding

if TYPE_CHECKING:
    import holidays

SUNDAY = 6


def check_late_presentation(
    boe: BillOfEntry, ctx: CheckContext, run: RunState, presented: date | None = None
) -> list[Finding | Fee]:
    """CORE-BOE-LATE-001 for a Bill of Entry presented on ``presented`` (the date it was first
    presented; by default its own)."""
    presented = presented or boe.presented_on
    igm = noted_manifest(boe, run)
    ref = reference_of(ctx)
    station = _station(ref, boe.port_code)
    arrived, regime_on, regime = _arrival_and_regime(
        ref,
        arrival_date(boe, igm),
        entry_inwards_date(igm) if station == "sea" else None,
        ctx.as_of,
    )
    if arrived is None or regime_on is None:
        return []
    if regime == "legacy":
        due = next_working_day(arrived, _state(ref, boe.port_code))
        basis = f"due by the end of {due}, the next working day after arrival on {arrived}"
    elif regime == "current":
        rules = ref.deadlines["current"]
        neighbour = (boe.consigned_from or "").upper() in rules["neighbour_countries"]
        if station in rules["day_before"] and not neighbour:
            due = arrived - timedelta(days=1)
            basis = f"due by the end of {due}, the day before arrival on {arrived}"
        else:
            due = arrived
            basis = f"due by the end of the arrival day {arrived}"
    else:
        return []
    late_days = (presented - due).days
    if late_days <= 0:
        return []
    amount = late_fee(ref, late_days, regime_on)
    rule = RULES["CORE-BOE-LATE-001"]
    days = f"{late_days} day{'s' if late_days > 1 else ''} late"
    return [
        rule.finding(
            "warn",
            f"Bill of Entry presented {presented}, {basis}: {days}; "
            f"late-presentation charge {inr(amount)} unless waived",
            field="presented_at",
        ),
        Fee(rule=rule.id, scheme=rule.scheme, kind="late_presentation", amount=amount, basis=days),
    ]


def _arrival_and_regime(
    ref: CoreReference, arrived: date | None, inwards: date | None, as_of: date | None
) -> tuple[date | None, date | None, str]:
    """The arrival the deadline counts from, the date that picks the regime, and the regime.

    The legacy regime counts a sea port's deadline from entry inwards: it applies when the
    arrival falls in its years, and also when only entry inwards does (no charge only if entry
    inwards or cargo arrival came before 2017-03-31, the Finance Act 2017's assent). The current
    regime counts from the arrival itself; no arrival known, no deadline.
    """

    def regime_of(day: date) -> str:
        return str((ref.dated("boe_regime", as_of or day) or {}).get("regime", "none"))

    regime = regime_of(arrived) if arrived is not None else "none"
    if inwards is not None and regime in ("none", "legacy") and regime_of(inwards) == "legacy":
        return inwards, as_of or inwards, "legacy"
    if arrived is None:
        return None, None, "none"
    return arrived, as_of or arrived, regime


def late_fee(ref: CoreReference, late_days: int, on: date) -> Decimal:
    """₹5,000 for each of the first 3 days, ₹10,000 for each day after (no cap), or the
    schedule in force on ``on``."""
    schedule = ref.dated("late_fee", on)
    if schedule is None:
        return Decimal(0)
    first_days = int(schedule["first_days"])
    first = Decimal(schedule["first_rate"]) * min(late_days, first_days)
    later = Decimal(schedule["later_rate"]) * max(late_days - first_days, 0)
    return first + later


def next_working_day(after: date, state: str | None) -> date:
    """The first day after ``after`` that is neither a Sunday nor a holiday of the port's state."""
    day = after + timedelta(days=1)
    while day.weekday() == SUNDAY or day in _holidays(state, day.year):
        day += timedelta(days=1)
    return day


@cache
def _holidays(state: str | None, year: int) -> holidays.HolidayBase:
    import holidays  # on first use: most runs never compute a working day

    return holidays.India(subdiv=state or None, years=year)


def _station(ref: CoreReference, port_code: str) -> str:
    known = ref.port(port_code)
    return known.station_type if known else station_type(port_code)


def _state(ref: CoreReference, port_code: str) -> str | None:
    known = ref.port(port_code)
    return known.state if known else None


# -- manifests ------------------------------------------------------------------------------------


def check_manifest_deadlines(igm: ImportGeneralManifest, ctx: CheckContext) -> list[Finding]:
    """The deadlines of filing a manifest: an amendment or a cancellation is not its filing."""
    if igm.function != Function.ORIGINAL:
        return []
    ref = reference_of(ctx)
    return _filing_deadline(igm, ref, ctx) + _advance_filing(igm, ref)


def _filing_deadline(
    igm: ImportGeneralManifest, ref: CoreReference, ctx: CheckContext
) -> list[Finding]:
    if igm.arrived_at is None:
        return []  # not arrived yet: no deadline has passed
    regime = ref.dated("igm_regime", ctx.as_of or india_date(igm.arrived_at))
    if regime is None:
        return []
    rule = RULES["CORE-IGM-001"]
    if igm.filed_at is None:  # never a silent pass: the deadline cannot be checked
        return [
            rule.finding(
                "info",
                f"the manifest declares no filing time: its filing deadline after arrival at "
                f"{igm.arrived_at.isoformat()} was not checked",
                field="filed_at",
            )
        ]
    kind = igm.conveyance.value
    if kind in regime["before_arrival"]:
        if igm.filed_at < igm.arrived_at:
            return []
        return [
            rule.finding(
                "warn",
                f"{kind.lower()} manifest filed {igm.filed_at.isoformat()}, "
                f"not before arrival at {igm.arrived_at.isoformat()} (s.30: penalty "
                "up to INR 50000.00)",
                field="filed_at",
            )
        ]
    hours = int(regime[f"{kind.lower()}_hours"])
    deadline = igm.arrived_at + timedelta(hours=hours)
    if igm.filed_at <= deadline:
        return []
    return [
        rule.finding(
            "warn",
            f"{kind.lower()} manifest filed {igm.filed_at.isoformat()}, more "
            f"than {hours} hours after arrival at {igm.arrived_at.isoformat()}",
            field="filed_at",
        )
    ]


def _advance_filing(igm: ImportGeneralManifest, ref: CoreReference) -> list[Finding]:
    if igm.conveyance != Conveyance.VESSEL or igm.filed_at is None or igm.expected_arrival is None:
        return []
    max_days = int(ref.deadlines["igm_advance"]["max_days"])
    ahead = (india_date(igm.expected_arrival) - india_date(igm.filed_at)).days
    if ahead <= max_days:
        return []
    return [
        RULES["CORE-IGM-002"].finding(
            "query",
            f"vessel manifest filed {ahead} days before the expected arrival "
            f"{india_date(igm.expected_arrival)} (advance manifests are accepted within "
            f"{max_days} days)",
            field="filed_at",
        )
    ]
