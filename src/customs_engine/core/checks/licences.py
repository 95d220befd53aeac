"""Licence registry checks: scheme handled (CORE-LIC-001), number known (CORE-LIC-002), holder
(CORE-LIC-003), the line's unit convertible to the limit's (CORE-LIC-004). Cross-checks of dates,
limits and HS lists belong to the scheme plugins."""

from __future__ import annotations

from customs_engine.core.check_context import CheckContext
from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.ledger.units import compatible
from customs_engine.core.models import BillOfEntry
from customs_engine.core.response import Finding


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
