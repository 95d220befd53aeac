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
from customs_engine.core.refdata import deadlines
from customs_engine.core.response import Finding


def check_exchange(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    tolerance = Decimal(deadlines()["exchange"]["tolerance_inr"])
    findings = []
    for index, item in enumerate(boe.items):
        foreign = item.foreign_value
        if foreign is None:
            continue
        where = f"items[{index}].foreign_value"
        if foreign.rate is not None and item.value_inr is not None:
            converted = foreign.amount * foreign.rate
            if abs(converted - item.value_inr) > tolerance:
                findings.append(
                    RULES["CORE-FX-001"].finding(
                        "query",
                        f"{foreign.currency} {foreign.amount} × {foreign.rate} = "
                        f"{inr(converted)}, the declared value is {inr(item.value_inr)}",
                        item=item.number,
                        field=where,
                    )
                )
        elif foreign.rate is None and item.value_inr is None:
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
        elif foreign.rate is None and item.value_inr is not None:
            on = ctx.valuation_date(boe)
            notified = (
                None
                if foreign.currency == "INR"
                else ctx.registry.exchange_rate(foreign.currency, on)
            )
            rate = Decimal(1) if foreign.currency == "INR" else notified.rate if notified else None
            if rate is None:
                continue
            converted = foreign.amount * rate
            if abs(converted - item.value_inr) > tolerance:
                source = (
                    "an amount in rupees"
                    if notified is None
                    else f"the CBIC-notified rate in force on {on}, {notified.number}"
                )
                findings.append(
                    RULES["CORE-FX-001"].finding(
                        "query",
                        f"{foreign.currency} {foreign.amount} × {rate} ({source}) = "
                        f"{inr(converted)}, the declared value is {inr(item.value_inr)}",
                        item=item.number,
                        field=where,
                    )
                )
    return findings
