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
    PerSettings,
    Rule,
    Scheme,
    hookimpl,
    load_rules,
    once_per_message,
    read_toml,
)
from customs_engine.plugins.ims.checks import ImsResult, assess
from customs_engine.plugins.ims.policy import ImsPolicy

RULES = load_rules("customs_engine.plugins.ims")
DATA = read_toml("customs_engine.plugins.ims", "data.toml")
#: the policy of the data file, with the run's ``[ims]`` table of ``--config`` laid over it
POLICY = PerSettings.overlaid(DATA, "ims", ImsPolicy.from_data)


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [
        Scheme(
            name="ims",
            title="Import Management System: restricted IT hardware (DGFT)",
            licence_schemes=("IMS",),
            shortfall_rules=("IMS-BAL-001",),
            settings=tuple(DATA),
        )
    ]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


def _assessed(boe: BillOfEntry, ctx: CheckContext) -> ImsResult:
    """The IMS analysis of a Bill of Entry, shared by the two hooks below."""
    return once_per_message(
        RULES, "ims", boe, lambda: assess(boe, ctx, RULES, POLICY(ctx.settings("ims")))
    )


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    return list(_assessed(boe, ctx).findings)


@hookimpl
def customs_authorisations(boe: BillOfEntry, ctx: CheckContext) -> list[AuthorisationClaim]:
    return list(_assessed(boe, ctx).claims)
