"""Scrap checks of one Bill of Entry line."""

from __future__ import annotations

from typing import Any

from customs_engine import BillOfEntry, CertificateType, CheckContext, Finding, Item, RuleSet
from customs_engine.plugins.scrap.certificates import check_contract, check_psic
from customs_engine.plugins.scrap.policy import ScrapPolicy


def check_bill(
    boe: BillOfEntry, ctx: CheckContext, rules: RuleSet, policy: ScrapPolicy
) -> list[Finding]:
    out: list[Finding] = []
    for index, item in enumerate(boe.items):
        if item.hs_code in policy.listed:
            out += _listed(boe, ctx, rules, policy, index, item)
        elif policy.is_other_scrap(item.hs_code):
            out.append(
                rules["SCRAP-LIST-002"].finding(
                    "warn",
                    f"HS {item.hs_code} is waste and scrap outside the HBP 2.54 list: its "
                    "ITC(HS) policy condition applies and is not checked here",
                    item=item.number,
                    field=f"items[{index}].hs_code",
                )
            )
    return out


def _listed(
    boe: BillOfEntry, ctx: CheckContext, rules: RuleSet, policy: ScrapPolicy, index: int, item: Item
) -> list[Finding]:
    out: list[Finding] = []
    on = ctx.reference_date(boe)
    shredded = None if item.scrap_form is None else item.scrap_form.value in policy.free_forms
    if shredded is None:
        out.append(
            rules["SCRAP-FORM-001"].finding(
                "query",
                f"HS {item.hs_code} is listed metallic scrap but no scrap form is declared; "
                "the origin, port and explosives checks for unshredded scrap were not made",
                item=item.number,
                field=f"items[{index}].scrap_form",
            )
        )
    elif not shredded:
        form = item.scrap_form.value if item.scrap_form else ""
        loading = (boe.port_of_loading or "").upper()
        if not loading:  # never a silent pass: the origin bar cannot be checked
            out.append(
                rules["SCRAP-ORIG-001"].finding(
                    "query",
                    f"{form} scrap and no port of loading declared: whether it was loaded at "
                    f"{' or '.join(sorted(policy.barred_loading.values()))} (where it must be "
                    "shredded) was not checked",
                    item=item.number,
                    field="port_of_loading",
                )
            )
        elif loading in policy.barred_loading:
            out.append(
                rules["SCRAP-ORIG-001"].finding(
                    "reject",
                    f"{form} scrap loaded at {loading}{_named(loading, policy)} must be shredded",
                    item=item.number,
                    field="port_of_loading",
                )
            )
        if boe.port_code not in policy.designated_on(on):
            out.append(
                rules["SCRAP-PORT-001"].finding(
                    "reject",
                    f"{form} scrap may enter only through a port designated on {on}; "
                    f"{boe.port_code} is not one",
                    item=item.number,
                    field="port_code",
                )
            )
    safe = policy.safe_route_applies(on, item.country_of_origin, boe.consigned_from, boe.port_code)
    psics = [(j, c) for j, c in enumerate(item.certificates) if c.type == CertificateType.PSIC]
    # the route spares the PSIC: a line that carries one without a supplier declaration goes
    # the ordinary way (its PSIC is checked), it does not use the route
    if safe and (not psics or item.certificates_of(CertificateType.SUPPLIER_DECLARATION)):
        out += _safe_route(rules, index, item, boe)
    if not psics and not safe:
        out.append(
            rules["SCRAP-PSIC-001"].finding(
                "hold",
                f"listed scrap needs a pre-shipment inspection certificate (PSIC) and none is "
                f"attached (the safe-country route does not apply: origin "
                f"{item.country_of_origin or '?'}, consigned from {boe.consigned_from or '?'}, "
                f"port {boe.port_code})",
                item=item.number,
                field=f"items[{index}].certificates",
            )
        )
    agencies = ctx.registry.agencies()
    for position, psic in psics:
        out += check_psic(rules, item, index, psic, position, shredded, agencies, boe.presented_on)
    out += check_contract(rules, item, index, shredded)
    return out


def _safe_route(rules: RuleSet, index: int, item: Item, boe: BillOfEntry) -> list[Finding]:
    declarations = item.certificates_of(CertificateType.SUPPLIER_DECLARATION)
    rule = rules["SCRAP-SAFE-001"]
    where: dict[str, Any] = {"item": item.number, "field": f"items[{index}].certificates"}
    route = (
        f"origin {item.country_of_origin}, consigned from {boe.consigned_from}, "
        f"port {boe.port_code}"
    )
    if declarations:
        return [
            rule.finding(
                "info",
                f"safe-country route ({route}): no PSIC needed; supplier "
                f"declaration {declarations[0].number}",
                **where,
            )
        ]
    return [
        rule.finding(
            "hold",
            f"safe-country route ({route}) needs a SUPPLIER_DECLARATION "
            "certificate and none is attached",
            **where,
        )
    ]


def _named(code: str, policy: ScrapPolicy) -> str:
    """`` (Bandar Abbas, Iran)``: the port's name, when the data gives one."""
    name = policy.barred_loading.get(code, code)
    return f" ({name})" if name != code else ""
