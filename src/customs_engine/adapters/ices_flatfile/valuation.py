"""Item values of a CACHI01 Bill of Entry, in invoice currency and INR (BE Message Exchange
Document v2.23: ITEMS, INVOICE and EXCHANGE).

An item's value is its unit price × quantity (ITEMS 59 × 9) in the invoice currency (INVOICE 43).
For invoice terms other than CIF the missing legs are added (Customs Valuation Rules 2007 rule
10(2)): FOB lacks freight and insurance, CF (C&F) lacks insurance, CI lacks freight. Each leg is
the invoice's declared amount (49 / 53) shared over the items in proportion to their value, else
the declared rate (50 / 54, per cent of the item value), else the rule 10(2) default percentage.
A leg in another currency is converted through INR with the EXCHANGE rates.

The INR value uses the EXCHANGE record of the invoice currency: ``rate`` (field 10) is INR per
``unit in Rs`` (field 9, default 1) units of the currency, so JPY quoted per 100 yen works. A
standard currency without a declared rate leaves ``value_inr`` empty and ``rate`` ``None``: the
core fills it from the registry's CBIC rate (or reports CORE-FX-002).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from customs_engine.adapters.ices_flatfile import shapes
from customs_engine.adapters.ices_flatfile.catalogue import RULES
from customs_engine.adapters.ices_flatfile.records import Envelope, Record
from customs_engine.adapters.ices_flatfile.settings import Settings
from customs_engine.core.models import ForeignValue
from customs_engine.core.money import convert
from customs_engine.core.money import paise as cents
from customs_engine.core.response import Finding

HUNDRED = Decimal(100)
#: which legs a term of invoice (INVOICE field 42) leaves out
_MISSING = {"CIF": (), "FOB": ("freight", "insurance"), "CF": ("insurance",), "CI": ("freight",)}


@dataclass
class Valuation:
    """Per ITEMS record line: the foreign value and the INR value (when known)."""

    foreign: dict[int, ForeignValue] = field(default_factory=dict)
    inr: dict[int, Decimal] = field(default_factory=dict)
    #: (ITEMS record line, finding): the caller knows the item numbers
    findings: list[tuple[int, Finding]] = field(default_factory=list)


def exchange_rates(envelope: Envelope) -> dict[str, Decimal | None]:
    """Currency → INR per unit as declared (``None``: standard currency, rate from the registry)."""
    rates: dict[str, Decimal | None] = {"INR": Decimal(1)}
    for record in envelope.table("EXCHANGE"):
        currency = (record.get("currency") or "").upper()
        if not currency or currency == "INR":
            continue
        if currency in rates:
            envelope.problem(
                f"second EXCHANGE record for {currency}",
                table="EXCHANGE",
                line=record.line,
                position=record.layout.position("currency"),
            )
        rate, unit = record.get("rate"), record.get("unit_inr") or Decimal(1)
        if rate is not None and unit > 0:
            rates[currency] = rate / unit
            continue
        rates[currency] = None
        if record.get("standard_currency") == "N":
            envelope.problem(
                f"{currency} is not a standard currency: unit, rate, effective date, "
                "bank and certificate must be declared",
                table="EXCHANGE",
                kind="value",
                line=record.line,
                position=record.layout.position("rate"),
            )
    return rates


def value_items(envelope: Envelope, settings: Settings) -> Valuation:
    out = Valuation()
    rates = exchange_rates(envelope)
    invoices = {
        record.get("invoice_sr"): record
        for record in envelope.table("INVOICE")
        if record.get("invoice_sr") is not None
    }
    by_invoice: dict[Decimal, list[tuple[Record, Decimal]]] = {}
    for item in envelope.table("ITEMS"):
        serial, price, quantity = (
            item.get("invoice_sr"),
            item.get("unit_price"),
            item.get("quantity"),
        )
        if serial is None or price is None or quantity is None:
            continue  # the reader has reported the empty or bad field
        if serial not in invoices:
            envelope.problem(
                f"invoice serial {serial} has no INVOICE record",
                table="ITEMS",
                line=item.line,
                position=item.layout.position("invoice_sr"),
            )
            continue
        by_invoice.setdefault(serial, []).append((item, price * quantity))
    for serial, items in by_invoice.items():
        _value_invoice(envelope, invoices[serial], items, rates, settings, out)
    return out


def _value_invoice(
    envelope: Envelope,
    invoice: Record,
    items: list[tuple[Record, Decimal]],
    rates: dict[str, Decimal | None],
    settings: Settings,
    out: Valuation,
) -> None:
    currency = (invoice.get("currency") or "").upper()
    terms = (invoice.get("terms") or "").upper()
    if not currency:
        return  # reported by the reader (mandatory field)
    if not shapes.is_currency(currency):
        envelope.problem(
            f"invoice currency {currency!r} is not an ISO 4217 code (three letters)",
            table="INVOICE",
            line=invoice.line,
            position=invoice.layout.position("currency"),
            kind="value",
        )
        return
    if currency not in rates:
        envelope.problem(
            f"invoice currency {currency} has no EXCHANGE record",
            table="INVOICE",
            line=invoice.line,
            position=invoice.layout.position("currency"),
        )
        return
    if terms not in _MISSING:
        envelope.problem(
            f"terms of invoice {terms!r} is not CIF, CF, CI or FOB",
            table="INVOICE",
            line=invoice.line,
            position=invoice.layout.position("terms"),
            kind="value",
        )
        return
    total = sum((base for _, base in items), Decimal(0))
    for item, base in items:
        amount = base
        for leg in _MISSING[terms]:
            amount += _leg(leg, invoice, item, base, total, currency, rates, settings, out)
        amount = cents(amount)
        rate = rates[currency]
        if currency == "INR":
            out.inr[item.line] = amount
            continue
        out.foreign[item.line] = ForeignValue(amount=amount, currency=currency, rate=rate)
        if rate is not None:
            out.inr[item.line] = convert(amount, rate)  # as the engine values (core/valuation)


def _leg(
    leg: str,
    invoice: Record,
    item: Record,
    base: Decimal,
    total: Decimal,
    currency: str,
    rates: dict[str, Decimal | None],
    settings: Settings,
    out: Valuation,
) -> Decimal:
    """The item's share of freight or insurance, in the invoice currency."""
    declared = invoice.get(f"{leg}_value")
    if declared is not None and total > 0:
        share = declared * base / total
        leg_currency = (invoice.get(f"{leg}_currency") or currency).upper()
        if leg_currency == currency:
            return share
        from_rate, to_rate = rates.get(leg_currency), rates.get(currency)
        if from_rate is not None and to_rate is not None and to_rate > 0:
            return share * from_rate / to_rate
        out.findings.append(
            (
                item.line,
                RULES["ICES-VAL-001"].finding(
                    "query",
                    f"INVOICE line {invoice.line}: {leg} {declared} {leg_currency} on a "
                    f"{currency} invoice has no declared exchange rate for both currencies; "
                    f"{cents(share)} {leg_currency} is left out of this item's value",
                    field=(
                        f"INVOICE[line {invoice.line}].field "
                        f"{invoice.layout.position(leg + '_value')}"
                    ),
                ),
            )
        )
        return Decimal(0)
    rate = invoice.get(f"{leg}_rate")
    if rate is None:
        rate = settings.freight_pct if leg == "freight" else settings.insurance_pct
    return base * rate / HUNDRED
