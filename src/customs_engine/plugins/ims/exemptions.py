"""IMS exemptions (IMS-EXM-001…006): which restricted lines need no authorisation.

An exemption either applies (an ``info``/``warn`` finding, the line is never debited) or was
claimed and fails (a ``reject``/``hold`` finding, reported only when the line has no licence to
fall back on).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from customs_engine import BillOfEntry, CertificateType, Finding, Item, Outcome, RuleSet
from customs_engine.plugins.ims.policy import ImsPolicy


@dataclass(frozen=True)
class Decision:
    rule: str
    outcome: Outcome
    message: str
    exempt: bool
    #: what the exemption rests on: the line's ``purpose``, else the importer's field named
    field: str | None = None

    def finding(self, rules: RuleSet, item: Item, index: int) -> Finding:
        return rules[self.rule].finding(
            self.outcome,
            self.message,
            item=item.number,
            field=self.field or f"items[{index}].purpose",
        )


def decide(
    boe: BillOfEntry, item: Item, consignment_units: Decimal, policy: ImsPolicy
) -> Decision | None:
    """The exemption that applies to a restricted line, else the one claimed that failed."""
    claimed = _by_purpose(item, consignment_units, policy)
    if claimed is not None and claimed.exempt:
        return claimed
    unit_type = boe.importer.unit_type
    if unit_type is not None and unit_type.value in policy.exemptions["captive_unit_types"]:
        return Decision(
            "IMS-EXM-005",
            "info",
            f"exempt: importer is a {unit_type.value} unit importing for captive consumption",
            exempt=True,
            field="importer.unit_type",
        )
    return claimed


def _by_purpose(item: Item, units: Decimal, policy: ImsPolicy) -> Decision | None:
    purpose = item.purpose.value
    ex = policy.exemptions
    if purpose in ex["baggage"]:
        return Decision(
            "IMS-EXM-001", "info", "exempt: import under the Baggage Rules", exempt=True
        )
    if purpose in ex["post_courier"]:
        category = item.product_category.value if item.product_category else "?"
        cap = Decimal(ex["post_courier_max_units"])
        if category in ex["post_courier_excluded_categories"]:
            return Decision(
                "IMS-EXM-002",
                "reject",
                f"not exempt: a {category} is excluded from the post/courier "
                "exemption, and no IMS authorisation is quoted",
                exempt=False,
            )
        if units > cap:
            return Decision(
                "IMS-EXM-002",
                "reject",
                f"not exempt: the post/courier exemption covers {cap} unit; the "
                f"consignment has {units}, and no IMS authorisation is quoted",
                exempt=False,
            )
        return Decision(
            "IMS-EXM-002", "info", f"exempt: one {category} by post or courier", exempt=True
        )
    if purpose in ex["rnd"]:
        cap = Decimal(ex["rnd_max_units"])
        if units > cap:
            return Decision(
                "IMS-EXM-003",
                "reject",
                f"not exempt: the {purpose} exemption covers at most {cap} units per "
                f"consignment; this one has {units}, and no IMS authorisation is "
                "quoted",
                exempt=False,
            )
        return Decision(
            "IMS-EXM-003",
            "warn",
            f"exempt ({purpose}, {units} of at most {cap} units): end use only, no "
            "sale; destroy beyond use or re-export afterwards",
            exempt=True,
        )
    if purpose in ex["repair"]:
        if item.self_certified:
            return Decision(
                "IMS-EXM-004", "info", f"exempt: {purpose} on self-certification", exempt=True
            )
        return Decision(
            "IMS-EXM-004",
            "hold",
            f"{purpose} is exempt only on self-certification (self_certified is not "
            "true), and no IMS authorisation is quoted",
            exempt=False,
        )
    if purpose in ex["defence"]:
        wanted = CertificateType(ex["defence_certificate"])
        if item.certificates_of(wanted):
            return Decision(
                "IMS-EXM-006",
                "info",
                f"exempt: supply for defence or security ({wanted.value} certificate "
                f"{item.certificates_of(wanted)[0].number})",
                exempt=True,
            )
        return Decision(
            "IMS-EXM-006",
            "hold",
            f"{purpose} is exempt only with a {wanted.value} certificate, none is "
            "attached, and no IMS authorisation is quoted",
            exempt=False,
        )
    return None
