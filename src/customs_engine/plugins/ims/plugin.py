"""The ``ims`` plugin: restricted IT hardware needs an IMS authorisation or an exemption.

Balances are not debited here: each licensed line becomes an
:class:`~customs_engine.AuthorisationClaim` that the core ledger checks and debits
(IMS-BAL-001 on a shortfall).
"""

from __future__ import annotations

from customs_engine import (
    AuthorisationClaim,
    BillOfEntry,
    CheckContext,
    Finding,
    Rule,
    Scheme,
    hookimpl,
    load_rules,
)
from customs_engine.plugins.ims.checks import assess
from customs_engine.plugins.ims.policy import ImsPolicy

RULES = load_rules("customs_engine.plugins.ims")
POLICY = ImsPolicy.load()


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [
        Scheme(
            name="ims",
            title="Import Management System: restricted IT hardware (DGFT)",
            licence_schemes=("IMS",),
            shortfall_rules=("IMS-BAL-001",),
        )
    ]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    return assess(boe, ctx, RULES, POLICY).findings


@hookimpl
def customs_authorisations(boe: BillOfEntry, ctx: CheckContext) -> list[AuthorisationClaim]:
    return assess(boe, ctx, RULES, POLICY).claims
