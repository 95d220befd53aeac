"""The monitoring base's data-file options (docs/monitoring.md), on a made-up scheme "TIN".

SIMS, AIMS and the copper example are configurations of one base; each option here is one of
the ways they differ: no registration window, the air-freight exemption, the fee listed once per
registration, the optional registry checks, and the operator's ``hs_prefixes``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from customs_engine import (
    CheckContext,
    MonitoringPlugin,
    MonitoringScheme,
    Rule,
    RuleSet,
)
from customs_engine.testing import (
    assert_fee,
    assert_finding,
    assert_no_fee,
    assert_no_finding,
    bill_of_entry,
    check,
    item,
    licence,
    registration,
)

TIN = "80011000"  # unwrought tin, Chapter 80
OUTCOMES = {
    "COV-001": ["hold"],
    "BOE-001": ["query", "warn"],
    "VAL-001": ["reject", "info"],
    "VAL-002": ["query"],
    "FLD-001": ["query"],
    "FEE-001": ["fee", "info"],
    "EXM-001": ["info"],
    "WIN-001": ["query", "hold", "info"],
    "FLD-002": ["query"],
    "FEE-002": ["query"],
}


def rules(*checks: str) -> RuleSet:
    return RuleSet(
        Rule(
            id=f"TIN-{name}",
            scheme="tin",
            title=name,
            outcomes=tuple(OUTCOMES[name]),
            reference="a notification",
        )
        for name in checks or OUTCOMES
    )


def data(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "scheme": "TIN",
        "number_prefix": "TIN",
        "validity_days": 75,
        "chapters": ["80"],
        "coverage": [{"from": date(2020, 1, 1), "status": "chapters"}],
        "fee_models": {"standard": [{"from": date(2020, 1, 1), "flat": "500"}]},
        "defaults": {"fee_model": "standard"},
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def tin(rule_set: RuleSet | None = None, **changes: Any) -> MonitoringPlugin:
    class TinPlugin(MonitoringPlugin):
        title = "Tin Import Monitoring (test)"

    return TinPlugin(MonitoringScheme("tin", rule_set or rules(), data(**changes)))


def run(plugin: MonitoringPlugin, messages: Any, **options: Any) -> Any:
    return check(messages, only=[], extra=[("tin", plugin)], **options)


def quoted(number: str = "TIN2026022000001", **fields: Any) -> Any:
    return item(
        TIN,
        licences=[licence("TIN", number, issued_on="2026-02-20", expires_on="2026-05-06")],
        **fields,
    )


ALWAYS = ("COV-001", "BOE-001", "VAL-001", "VAL-002", "FLD-001", "FEE-001")
LEAN = {"registered_quantity_and_value": False, "fee_paid": False}


def test_without_a_window_table_no_window_is_checked_and_no_window_rule_is_needed() -> None:
    plugin = tin(rules(*ALWAYS), checks=LEAN)
    early = bill_of_entry(quoted(), expected_arrival=date(2026, 6, 1))  # issued 101 days before
    assert run(plugin, early).findings == []


def test_a_window_table_needs_its_rule_declared() -> None:
    window = {"earliest_days_before_arrival": 60}
    with pytest.raises(ValueError, match=r"\[tin\] rules.toml must declare TIN-WIN-001"):
        tin(rules(*ALWAYS), checks=LEAN, window=window)
    response = run(tin(window=window), bill_of_entry(quoted(), expected_arrival=date(2026, 6, 1)))
    assert_finding(response, "TIN-WIN-001", outcome="query", item=1)


def test_a_rule_without_an_outcome_its_check_reports_is_refused_at_load() -> None:
    short = RuleSet(
        rule.model_copy(update={"outcomes": ("reject",)}) if rule.id == "TIN-VAL-001" else rule
        for rule in rules().values()
    )
    with pytest.raises(ValueError, match="TIN-VAL-001 with outcomes reject, info"):
        tin(short)


@pytest.mark.parametrize("where", [{"mode": "AIR"}, {"mode": "SEA", "port_code": "INDEL4"}])
def test_air_freight_table_exempts_the_covered_lines(where: dict[str, str]) -> None:
    plugin = tin(air_freight={"modes": ["AIR"], "station_types": ["air"]})
    response = run(plugin, bill_of_entry(item(TIN), **where))
    assert_finding(response, "TIN-EXM-001", outcome="info", item=1)
    assert_no_finding(response, "TIN-COV-001")
    assert_no_fee(response, "TIN-FEE-001")
    by_sea = run(plugin, bill_of_entry(item(TIN)))
    assert_no_finding(by_sea, "TIN-EXM-001")
    assert_finding(by_sea, "TIN-COV-001", outcome="hold", item=1)
    assert_no_finding(run(tin(), bill_of_entry(item(TIN), mode="AIR")), "TIN-EXM-001")


def test_fee_once_per_registration_lists_it_on_the_first_bill_only() -> None:
    first = bill_of_entry(quoted(), message_id="BE-1")
    second = bill_of_entry(quoted(), message_id="BE-2", presented_at=date(2026, 4, 1))
    once = run(tin(fee_once_per_registration=True), [first, second])
    assert_fee(once[0], "TIN-FEE-001", 500, item=1)
    assert_no_fee(once[1], "TIN-FEE-001")
    each = run(tin(), [first, second])
    assert [len(r.fees) for r in each] == [1, 1]
    # the registration still missing is listed on every Bill of Entry that lacks it
    missing = [bill_of_entry(item(TIN), message_id=f"BE-{n}") for n in (3, 4)]
    assert all(r.fees for r in run(tin(fee_once_per_registration=True), missing))


def test_fee_once_is_listed_where_the_registration_is_first_used_in_scope() -> None:
    """A first Bill of Entry quoting the registration only on a line the scheme does not cover
    (steel, Chapter 72) lists no fee; the next, which uses it for tin, used to list none either
    ("an earlier Bill of Entry quoted it"), so the fee was listed nowhere."""
    plugin = tin(fee_once_per_registration=True)
    steel = bill_of_entry(
        item("72081000", licences=[licence("TIN", "TIN2026022000001", issued_on="2026-02-20")]),
        message_id="BE-1",
    )
    used = bill_of_entry(quoted(), message_id="BE-2", presented_at=date(2026, 4, 1))
    again = bill_of_entry(quoted(), message_id="BE-3", presented_at=date(2026, 4, 2))
    first, second, third = run(plugin, [steel, used, again])
    assert_no_fee(first, "TIN-FEE-001")
    assert_fee(second, "TIN-FEE-001", 500, item=1)
    assert_no_fee(third, "TIN-FEE-001")


def test_fee_once_follows_the_latest_version_of_the_bill_that_listed_it() -> None:
    """BE-1 lists the fee and BE-2 none; BE-1 is then amended to use the registration only on
    a line the scheme does not cover: an amendment of BE-2 lists it again, as a run that starts
    after BE-1's amendment does (a remembered answer kept BE-1 as the bill that listed it)."""
    plugin = tin(fee_once_per_registration=True)
    used = bill_of_entry(quoted(), message_id="BE-1")
    second = bill_of_entry(quoted(), message_id="BE-2", presented_at=date(2026, 4, 1))
    steel = item("72081000", licences=[licence("TIN", "TIN2026022000001", issued_on="2026-02-20")])
    moved = bill_of_entry(steel, message_id="BE-1", function="amendment")
    again = bill_of_entry(
        quoted(), message_id="BE-2", function="amendment", presented_at=date(2026, 4, 2)
    )
    answers = run(plugin, [used, second, moved, again])
    assert_fee(answers[0], "TIN-FEE-001", 500, item=1)
    assert_no_fee(answers[1], "TIN-FEE-001")
    assert_fee(answers[3], "TIN-FEE-001", 500, item=1)


def test_checks_table_turns_off_the_registry_quantity_value_and_fee_paid_checks() -> None:
    row = registration(
        "TIN", "TIN2026022000001", issued_on="2026-02-20", quantity=1, unit="KGS", fee_paid_inr=1
    )
    boe = bill_of_entry(quoted(quantity=5, unit="KGS"))
    full = run(tin(), boe, records=[row])
    assert_finding(full, "TIN-FLD-002", outcome="query")
    assert_finding(full, "TIN-FEE-002", outcome="query")
    lean = run(tin(rules(*ALWAYS), checks=LEAN), boe, records=[row])
    assert_no_finding(lean, "TIN-FLD-002")
    assert_no_finding(lean, "TIN-FEE-002")
    with pytest.raises(ValueError, match=r"unknown \[checks\] key 'quantity'"):
        tin(checks={"quantity": False})


def test_hs_prefixes_setting_narrows_coverage_to_the_loaded_tariff_lines() -> None:
    boe = bill_of_entry(item("80011000"), item("80030000"))
    response = run(tin(), boe, config={"tin": {"hs_prefixes": ["8001"]}})
    assert_finding(response, "TIN-COV-001", item=1)
    assert_no_finding(response, "TIN-COV-001", item=2)
    both = run(tin(), boe)
    assert_finding(both, "TIN-COV-001", item=2)
    scheme = tin().monitoring
    # an empty list or a prefix no HS code starts with would switch the scheme off in silence
    for wrong in ("8001", [], ["8001.10"], ["ch80"], ["8"], [8001]):
        with pytest.raises(ValueError, match="hs_prefixes must be a non-empty list"):
            scheme.hs_prefixes(CheckContext(config={"tin": {"hs_prefixes": wrong}}))
