"""The ``scrap`` plugin: metallic waste and scrap conditions (HBP 2.54).

It declares a scheme with no licence schemes: scrap needs documents, not a licence. A steel or
aluminium scrap line is also covered by SIMS or AIMS, whose plugins report on it independently.
"""

from __future__ import annotations

from customs_engine import (
    BillOfEntry,
    CheckContext,
    Finding,
    PerSettings,
    Rule,
    Scheme,
    hookimpl,
    load_rules,
    read_toml,
)
from customs_engine.plugins.scrap.checks import check_bill
from customs_engine.plugins.scrap.policy import ScrapPolicy

RULES = load_rules("customs_engine.plugins.scrap")
DATA = read_toml("customs_engine.plugins.scrap", "data.toml")
#: the policy of the data file, with the run's ``[scrap]`` table of ``--config`` laid over it
POLICY = PerSettings.overlaid(DATA, "scrap", ScrapPolicy.from_data)


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [Scheme(name="scrap", title="Metallic waste and scrap (HBP 2.54)", settings=tuple(DATA))]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())


@hookimpl
def customs_check_bill_of_entry(boe: BillOfEntry, ctx: CheckContext) -> list[Finding]:
    return check_bill(boe, ctx, RULES, POLICY(ctx.settings("scrap")))
