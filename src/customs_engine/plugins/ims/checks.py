"""IMS checks of one Bill of Entry: coverage, exemptions, licence validity and the claims to debit.

One pass yields both the findings and the authorisation claims, so the two hooks can never
disagree about which lines need a licence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from customs_engine import (
    AuthorisationClaim,
    BillOfEntry,
    CheckContext,
    Finding,
    Item,
    Licence,
    RegistryRecord,
    RuleSet,
)
from customs_engine.plugins.ims.exemptions import Decision, decide
from customs_engine.plugins.ims.policy import ImsPolicy

SCHEME = "IMS"


@dataclass
class ImsResult:
    findings: list[Finding] = field(default_factory=list)
    claims: list[AuthorisationClaim] = field(default_factory=list)


def assess(boe: BillOfEntry, ctx: CheckContext, rules: RuleSet, policy: ImsPolicy) -> ImsResult:
    result = ImsResult()
    if ctx.reference_date(boe) < policy.in_force_from:
        return result
    restricted = _restricted_lines(boe, rules, policy, result)
    units = sum((item.quantity for _, item in restricted), Decimal(0))
    for index, item in restricted:
        decision = decide(boe, item, units, policy)
        if decision is not None and decision.exempt:
            result.findings.append(decision.finding(rules, item, index))
            continue
        licences = [(j, lic) for j, lic in enumerate(item.licences) if lic.scheme.upper() == SCHEME]
        if licences:
            _licence_route(boe, ctx, rules, policy, index, item, licences, result)
        else:
            if decision is not None:
                result.findings.append(decision.finding(rules, item, index))
            if decision is None or decision.outcome == "reject":
                # an exemption that fails leaves a line like any other: it needs a licence
                # (a curable "hold" exemption waits for its document instead)
                result.findings.append(_no_licence(rules, item, index, decision))
    return result


def _no_licence(rules: RuleSet, item: Item, index: int, failed: Decision | None) -> Finding:
    category = item.product_category.value if item.product_category else "?"
    why = (
        f"the {failed.rule} exemption does not apply"
        if failed is not None
        else "no exemption applies"
    )
    return rules["IMS-AUTH-001"].finding(
        "reject",
        f"{category} under HS {item.hs_code} is restricted: no IMS authorisation is "
        f"quoted and {why}",
        item=item.number,
        field=f"items[{index}].licences",
    )


def _restricted_lines(
    boe: BillOfEntry, rules: RuleSet, policy: ImsPolicy, result: ImsResult
) -> list[tuple[int, Item]]:
    restricted = []
    for index, item in enumerate(boe.items):
        where: dict[str, Any] = {"item": item.number, "field": f"items[{index}].hs_code"}
        if item.hs_code in policy.invalid_codes:
            result.findings.append(
                rules["IMS-COV-001"].finding(
                    "query",
                    f"HS {item.hs_code} is not an Indian tariff line; laptops and personal "
                    "computers are 84713010",
                    **where,
                )
            )
        elif item.hs_code in policy.codes:
            if item.product_category is None:
                result.findings.append(
                    rules["IMS-COV-002"].finding(
                        "query",
                        f"HS {item.hs_code} is covered by IMS but the line has no product "
                        "category; restricted categories are "
                        f"{', '.join(sorted(policy.restricted_categories))}",
                        item=item.number,
                        field=f"items[{index}].product_category",
                    )
                )
            elif item.product_category.value in policy.restricted_categories:
                restricted.append((index, item))
    return restricted


def _licence_route(
    boe: BillOfEntry,
    ctx: CheckContext,
    rules: RuleSet,
    policy: ImsPolicy,
    index: int,
    item: Item,
    licences: list[tuple[int, Licence]],
    result: ImsResult,
) -> None:
    """Claim the line against the first licence valid on the date of import."""
    import_date = boe.manifest.bl_date if boe.manifest else None
    reckoned = "date of import (shipment, the B/L date)"
    if import_date is None:
        import_date = boe.presented_on
        reckoned = "reckoned from the Bill of Entry date (no B/L date)"
        result.findings.append(
            rules["IMS-VAL-002"].finding(
                "warn",
                f"no B/L date: IMS validity reckoned from the Bill of Entry date {import_date} "
                "instead of the shipment date",
                item=item.number,
                field=f"items[{index}].licences[{licences[0][0]}]",
            )
        )
    expired: list[Finding] = []
    for position, licence in licences:
        where: dict[str, Any] = {
            "item": item.number,
            "field": f"items[{index}].licences[{position}]",
        }
        record = ctx.registry.licence(SCHEME, licence.number)
        expiry = _expiry(licence, record, policy)
        if expiry is not None and import_date > expiry:
            expired.append(
                rules["IMS-VAL-001"].finding(
                    "reject",
                    f"IMS authorisation {licence.number} expired on {expiry}; {reckoned} "
                    f"{import_date}",
                    **where,
                )
            )
            continue
        if expiry is None:
            result.findings.append(
                rules["IMS-VAL-001"].finding(
                    "query",
                    f"IMS authorisation {licence.number}: no expiry or issue date on the "
                    "message or in the registry; validity cannot be checked",
                    **where,
                )
            )
        if record is not None and record.port_code and record.port_code != boe.port_code:
            result.findings.append(
                rules["IMS-PORT-001"].finding(
                    "query",
                    f"IMS authorisation {licence.number} is registered at "
                    f"{record.port_code}; the Bill of Entry is at {boe.port_code}",
                    **where,
                )
            )
        # the engine valued the item once; an unknown value (CORE-FX-002) debits no value
        result.claims.append(
            AuthorisationClaim(
                scheme=SCHEME,
                number=licence.number,
                item=item.number,
                quantity=item.quantity,
                unit=item.unit,
                value_inr=item.value_inr if item.value_inr is not None else Decimal(0),
                shortfall_rule="IMS-BAL-001",
                field=where["field"],
            )
        )
        return
    result.findings.extend(expired)


def _expiry(licence: Licence, record: RegistryRecord | None, policy: ImsPolicy) -> date | None:
    """Declared expiry, else the registry's, else the calendar-year rule on the issue date (the
    registry's when it holds one: the authority's record, not the filer's)."""
    if licence.expires_on is not None:
        return licence.expires_on
    if record is not None and record.valid_until is not None:
        return record.valid_until
    issued = (record.issued_on if record else None) or licence.issued_on
    return None if issued is None else policy.default_expiry(issued)
