"""Scrap documents: PSIC, agency recognition, contract, supplier declaration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from customs_engine import Certificate, CertificateType, Finding, Item, RegistryRecord, RuleSet


def check_psic(
    rules: RuleSet,
    item: Item,
    index: int,
    psic: Certificate,
    position: int,
    shredded: bool | None,
    agencies: Sequence[RegistryRecord],
    fallback_date: date,
) -> list[Finding]:
    where: dict[str, Any] = {
        "item": item.number,
        "field": f"items[{index}].certificates[{position}]",
    }
    out: list[Finding] = []
    if psic.max_usvh is None or psic.background_usvh is None:
        out.append(
            rules["SCRAP-PSIC-002"].finding(
                "query",
                f"PSIC {psic.number} must state both the background and the maximum "
                "radiation level (µSv/h)",
                **where,
            )
        )
    elif psic.max_usvh > psic.background_usvh:
        out.append(
            rules["SCRAP-PSIC-002"].finding(
                "reject",
                f"PSIC {psic.number}: maximum radiation {psic.max_usvh} µSv/h is above the "
                f"background {psic.background_usvh} µSv/h (radiation SOP applies)",
                **where,
            )
        )
    if shredded is False and psic.no_explosives is not True:
        out.append(
            rules["SCRAP-PSIC-003"].finding(
                "hold",
                f"PSIC {psic.number} does not certify that the unshredded scrap contains no "
                "arms, ammunition or explosives",
                **where,
            )
        )
    out += _agency(rules, psic, agencies, psic.issued_on or fallback_date, where)
    return out


def _agency(
    rules: RuleSet,
    psic: Certificate,
    agencies: Sequence[RegistryRecord],
    on: date,
    where: dict[str, Any],
) -> list[Finding]:
    rule = rules["SCRAP-PSIC-004"]
    if not agencies:
        return [
            rule.finding(
                "info",
                f"no inspection agencies loaded in the registry: agency "
                f"{psic.agency or '(none named)'} of PSIC {psic.number} "
                "not verified",
                **where,
            )
        ]
    wanted = (psic.agency or "").strip().upper()
    record = next((a for a in agencies if a.number.strip().upper() == wanted), None)
    if record is None:
        return [
            rule.finding(
                "reject",
                f"PSIC {psic.number}: agency {psic.agency or '(none)'} is "
                "not a recognised inspection agency (Appendix 2G)",
                **where,
            )
        ]
    starts, ends = record.issued_on, record.valid_until
    if (starts and on < starts) or (ends and on > ends):
        return [
            rule.finding(
                "reject",
                f"PSIC {psic.number} "
                f"{f'dated {on}' if psic.issued_on else f'(undated; judged on {on})'}"
                f": recognition of agency "
                f"{record.number} runs {starts or '…'} – {ends or '…'}",
                **where,
            )
        ]
    return []


def check_contract(rules: RuleSet, item: Item, index: int, shredded: bool | None) -> list[Finding]:
    contracts = item.certificates_of(CertificateType.CONTRACT)
    need_explosives = shredded is False

    def sufficient(cert: Certificate) -> bool:
        return cert.no_radioactive is True and (not need_explosives or cert.no_explosives is True)

    if any(sufficient(cert) for cert in contracts):
        return []
    clauses = "no radioactive material" + (" and no explosives" if need_explosives else "")
    found = f"contract {contracts[0].number} lacks it" if contracts else "no contract is attached"
    return [
        rules["SCRAP-CONTRACT-001"].finding(
            "hold",
            f"a CONTRACT certificate stating {clauses} is required; {found}",
            item=item.number,
            field=f"items[{index}].certificates",
        )
    ]
