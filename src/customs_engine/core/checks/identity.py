"""Who imports: IEC (CORE-IEC-001/002/003) and GSTIN/PAN (CORE-ID-001)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from stdnum.in_ import gstin as gstin_number
from stdnum.in_ import pan as pan_number

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.dates import parse_iso_date
from customs_engine.core.models import BillOfEntry
from customs_engine.core.money import inr
from customs_engine.core.refdata import PermanentIec, iec_data, reference_of
from customs_engine.core.response import Finding

PAN_FORMAT = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
LEGACY_NUMERIC = re.compile(r"^[0-9]{10}$")


# an archive names the same few importers again and again: each number is checked once
@lru_cache(maxsize=4096)
def _valid_pan(number: str) -> bool:
    return bool(pan_number.is_valid(number))


@lru_cache(maxsize=4096)
def _valid_gstin(number: str) -> bool:
    return bool(gstin_number.is_valid(number))


def check_identity(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    findings = _check_iec(boe, ctx)
    findings += _check_gstin(boe, ctx)
    return findings


def _legacy_until(ctx: CheckContext) -> date | None:
    default = iec_data()["legacy_numeric_iec_until"]
    raw = ctx.settings("core").get("legacy_numeric_iec_until", default)
    if isinstance(raw, date):
        return raw
    return parse_iso_date(str(raw)) if raw else None


def _check_iec(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    rule = RULES["CORE-IEC-001"]
    iec = (boe.importer.iec or "").strip().upper()
    where = "importer.iec"
    if not iec:
        return [rule.finding("reject", "no IEC on the Bill of Entry", field=where)]
    permanent = reference_of(ctx).permanent_iecs.get(iec)
    on = ctx.reference_date(boe)
    if permanent is not None and permanent.iec == iec:
        return _check_permanent(boe, permanent, on)
    if PAN_FORMAT.match(iec):
        if _valid_pan(iec):
            return []
        return [
            rule.finding(
                "reject", f"IEC {iec} has the PAN format but fails the PAN check", field=where
            )
        ]
    if LEGACY_NUMERIC.match(iec):
        until = _legacy_until(ctx)
        current = f" (the current permanent IEC is {permanent.iec})" if permanent else ""
        if until is not None and on > until:
            return [
                rule.finding(
                    "reject",
                    f"legacy numeric IEC {iec} is no longer accepted after "
                    f"{until}{current}; quote the PAN-based IEC",
                    field=where,
                )
            ]
        legacy = rule.finding(
            "warn",
            f"legacy 10-digit numeric IEC {iec}{current}; DGFT has "
            "migrated IECs to the holder's PAN",
            field=where,
        )
        # the old number of a permanent IEC is that IEC: its category and ceiling still apply
        return [legacy, *(_check_permanent(boe, permanent, on) if permanent else [])]
    return [
        rule.finding(
            "reject",
            f"IEC {iec!r} is neither a permanent IEC, a PAN-format IEC "
            "nor a legacy 10-digit number",
            field=where,
        )
    ]


def _check_permanent(boe: BillOfEntry, permanent: PermanentIec, on: date) -> list[Finding]:
    findings = []
    category = boe.importer.category
    if category is not None and category.value != permanent.category:
        findings.append(
            RULES["CORE-IEC-003"].finding(
                "query",
                f"permanent IEC {permanent.iec} is for category {permanent.category}, "
                f"the Bill of Entry declares {category.value}",
                field="importer.category",
            )
        )
    ceiling = permanent.ceiling.at(on) if permanent.ceiling else None
    total = boe.total_value_inr
    unvalued = [item.number for item in boe.items if item.value_inr is None]
    if ceiling is not None and total > ceiling:
        findings.append(
            RULES["CORE-IEC-002"].finding(
                "reject",
                f"permanent IEC {permanent.iec} ({permanent.category}) covers consignments "
                f"up to {inr(ceiling)}; this one is "
                f"{'at least ' if unvalued else ''}{inr(total)}: a regular IEC is needed",
                field="importer.iec",
            )
        )
    elif ceiling is not None and unvalued:
        # never a silent pass: the ceiling is a bar, and part of the value is unknown
        findings.append(
            RULES["CORE-IEC-002"].finding(
                "info",
                f"permanent IEC {permanent.iec} ({permanent.category}) covers consignments "
                f"up to {inr(ceiling)}: not verified, the INR value of item"
                f"{'s' if len(unvalued) > 1 else ''} {', '.join(map(str, unvalued))} is "
                f"unknown (the known part is {inr(total)})",
                field="importer.iec",
            )
        )
    return findings


def _check_gstin(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    raw = boe.importer.gstin
    if raw is None or not raw.strip():
        return []
    rule = RULES["CORE-ID-001"]
    gstin = raw.strip().upper()
    if not _valid_gstin(gstin):
        return [
            rule.finding(
                "reject",
                f"GSTIN {gstin} fails the GSTIN format or check digit",
                field="importer.gstin",
            )
        ]
    embedded = gstin_number.to_pan(gstin)
    iec = (boe.importer.iec or "").strip().upper()
    permanent = reference_of(ctx).permanent_iecs
    if PAN_FORMAT.match(iec) and iec not in permanent and embedded != iec:
        return [
            rule.finding(
                "query",
                f"GSTIN {gstin} belongs to PAN {embedded}, the IEC is {iec}",
                field="importer.gstin",
            )
        ]
    return []
