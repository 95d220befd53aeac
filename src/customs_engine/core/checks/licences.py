"""Licence registry checks: scheme handled (CORE-LIC-001), number known (CORE-LIC-002), holder
(CORE-LIC-003), the line's unit convertible to the limit's (CORE-LIC-004). Cross-checks of dates,
limits and HS lists belong to the scheme plugins."""

from __future__ import annotations

from collections.abc import Iterable

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.ledger.units import compatible
from customs_engine.core.models import BillOfEntry
from customs_engine.core.response import AuthorisationClaim, Finding


def check_licences(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    findings = []
    iec = (boe.importer.iec or "").strip().upper()
    for index, item in enumerate(boe.items):
        for position, licence in enumerate(item.licences):
            where = f"items[{index}].licences[{position}]"
            scheme = licence.scheme.upper()
            named = f"{scheme} licence {licence.number}"
            if scheme not in ctx.handled_schemes:
                findings.append(
                    RULES["CORE-LIC-001"].finding(
                        "query",
                        f"{named}: no loaded plugin handles scheme {scheme}, so it was not "
                        "evaluated",
                        item=item.number,
                        field=where,
                    )
                )
                continue
            record = ctx.registry.licence(scheme, licence.number)
            if record is None:
                findings.append(
                    RULES["CORE-LIC-002"].finding(
                        "query",
                        f"{named} is not in the registry: not verified",
                        item=item.number,
                        field=where,
                    )
                )
                continue
            holder = (record.iec or "").strip().upper()
            if holder and iec and holder != iec:
                findings.append(
                    RULES["CORE-LIC-003"].finding(
                        "reject",
                        f"{named} is held by IEC {holder}, the importer is {iec}",
                        item=item.number,
                        field=where,
                    )
                )
            if record.quantity is not None and not compatible(item.unit, record.unit):
                findings.append(
                    RULES["CORE-LIC-004"].finding(
                        "reject",
                        f"item {item.number} is in {item.unit}, the limit of {named} is in "
                        f"{record.unit}: the quantity cannot be debited against it",
                        item=item.number,
                        field=f"items[{index}].unit",
                    )
                )
    return findings


def check_unrecorded_claims(
    boe: BillOfEntry, claims: Iterable[AuthorisationClaim], ctx: CheckContext
) -> list[Finding]:
    """CORE-LIC-002 for a plugin's claim against a licence its item does not quote and the
    registry does not hold (one the item quotes is reported by :func:`check_licences`): the
    ledger debits such a claim with no limit to compare, so it would read as covered."""
    findings = []
    seen: set[tuple[str, str, int]] = set()
    for claim in claims:
        scheme = claim.scheme.upper()
        key = (scheme, claim.number, claim.item)
        if key in seen:
            continue
        seen.add(key)
        item = next((i for i in boe.items if i.number == claim.item), None)
        quoted = item is not None and any(
            lic.scheme.upper() == scheme and lic.number == claim.number for lic in item.licences
        )
        if quoted or ctx.registry.licence(scheme, claim.number) is not None:
            continue
        findings.append(
            RULES["CORE-LIC-002"].finding(
                "query",
                f"{scheme} licence {claim.number}, claimed for item {claim.item} though the "
                "item does not quote it, is not in the registry: not verified",
                item=claim.item,
                field=claim.field,
            )
        )
    return findings
