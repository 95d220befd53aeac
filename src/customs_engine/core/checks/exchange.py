"""Exchange-rate consistency (CORE-FX-001) and unknown INR values (CORE-FX-002).

Runs on the valued message (:func:`customs_engine.core.valuation.value_bill_of_entry`): an item
still without ``value_inr`` had neither a declared rate nor a registry rate. A declared INR value
is compared with the foreign amount at the rate declared with it, else at the CBIC-notified rate
in force when the Bill of Entry is presented (the registry's), else not at all.
"""

from __future__ import annotations

from decimal import Decimal

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.models import BillOfEntry
from customs_engine.core.money import inr
from customs_engine.core.refdata import reference_of
from customs_engine.core.response import Finding


def check_exchange(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    tolerance = Decimal(reference_of(ctx).deadlines["exchange"]["tolerance_inr"])
    findings = []
    for index, item in enumerate(boe.items):
        foreign = item.foreign_value
        if foreign is None:
            continue
        where = f"items[{index}].foreign_value"
        if item.value_inr is None:
            if foreign.rate is None:
                findings.append(
                    RULES["CORE-FX-002"].finding(
                        "query",
                        f"no {foreign.currency} rate on the message and none in the registry's "
                        f"CBIC exchange rates for {ctx.valuation_date(boe)}: the INR value is "
                        "unknown",
                        item=item.number,
                        field=where,
                    )
                )
            continue
        rate, source = _rate_of(foreign.currency, foreign.rate, boe, ctx)
        if rate is None:
            continue
        converted = foreign.amount * rate
        if abs(converted - item.value_inr) > tolerance:
            findings.append(
                RULES["CORE-FX-001"].finding(
                    "query",
                    f"{foreign.currency} {foreign.amount} × {rate}{source} = "
                    f"{inr(converted)}, the declared value is {inr(item.value_inr)}",
                    item=item.number,
                    field=where,
                )
            )
    return findings


def _rate_of(
    currency: str, declared: Decimal | None, boe: BillOfEntry, ctx: CheckContext
) -> tuple[Decimal | None, str]:
    """The rate a declared INR value is compared at, and how the finding names it: the rate
    declared with it, else 1 for rupees, else the CBIC-notified rate of the registry (``None``:
    none known, nothing to compare)."""
    if declared is not None:
        return declared, ""
    if currency == "INR":
        return Decimal(1), " (an amount in rupees)"
    on = ctx.valuation_date(boe)
    notified = ctx.registry.exchange_rate(currency, on)
    if notified is None or notified.rate is None:
        return None, ""
    return notified.rate, f" (the CBIC-notified rate in force on {on}, {notified.number})"
