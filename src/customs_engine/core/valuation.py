"""Valuation: the INR value of items that declare only a foreign value (Customs Act s.14).

An adapter may leave ``value_inr`` empty when the message gives a foreign amount without a rate
(ICES flat files). The engine values the Bill of Entry before any check runs, so every rule sees
one INR value per item.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from customs_engine.core.models import BillOfEntry, Item
from customs_engine.core.money import convert, paise
from customs_engine.core.registry.records import Registry


def value_bill_of_entry(boe: BillOfEntry, registry: Registry, on: date) -> BillOfEntry:
    """A copy whose ``value_inr`` are in paise: missing ones ``foreign_value.amount × rate``,
    declared ones with more decimals rounded half-up to the paisa (what every answer writes is
    then what the rules compare and the ledger debits).

    The rate is the one declared on the item, else 1 for an amount in INR, else the registry's
    CBIC-notified import rate in force on ``on``. Items with neither stay without a value
    (CORE-FX-002 reports them). The message is returned unchanged when nothing needs valuing.
    """
    if all(_settled(item) for item in boe.items):
        return boe
    valued = boe.model_copy(deep=True)
    for item in valued.items:
        foreign = item.foreign_value
        if item.value_inr is not None:
            item.value_inr = paise(item.value_inr)
            continue
        if foreign is None:
            continue
        rate = foreign.rate
        if rate is None and foreign.currency == "INR":
            rate = Decimal(1)  # an amount in rupees is its own INR value: no rate to look up
        if rate is None:
            notified = registry.exchange_rate(foreign.currency, on)
            rate = notified.rate if notified is not None else None
        if rate is not None:
            item.value_inr = convert(foreign.amount, rate)
    return valued


def notified_currencies(boe: BillOfEntry) -> frozenset[str]:
    """The currencies of foreign values that declare no rate: valued (or their declared INR
    value checked) at the registry's CBIC-notified rate."""
    return frozenset(
        item.foreign_value.currency
        for item in boe.items
        if item.foreign_value is not None
        and item.foreign_value.rate is None
        and item.foreign_value.currency != "INR"
    )


def _settled(item: Item) -> bool:
    """Whether an item needs no valuing: a declared value already in paise, or no value to
    declare or compute."""
    value = item.value_inr
    if value is None:
        return item.foreign_value is None
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and (exponent >= -2 or value == paise(value))
