"""SIMS (RULES.md §3) through the shared monitoring helper: every rule fires and stays quiet."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from customs_engine.core.dates import IST
from customs_engine.testing import (
    assert_finding,
    assert_no_finding,
    bill_of_entry,
    check,
    findings_of,
    item,
    licence,
    make_engine,
    manifest,
    manifest_reference,
    registration,
    rules_of,
)

NUMBER = "STL2026011000001"


def on(day: date, hour: int = 11) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=IST)


def steel(
    *,
    number: str = NUMBER,
    issued: date | None = date(2026, 1, 10),
    expires: date | None = date(2026, 3, 26),
    hs: str = "72085110",
    quantity: int | str = 25000,
    value: int | None = 1400000,
    unit: str = "KGS",
    **fields: object,
):
    lics = [] if number is None else [licence("SIMS", number, issued_on=issued, expires_on=expires)]
    return item(
        hs,
        quantity=quantity,
        unit=unit,
        value_inr=value,
        licences=lics,
        **{"country_of_origin": "KR", **fields},
    )


def reg(**fields: object):
    values = {
        "issued_on": date(2026, 1, 10),
        "hs_codes": "7208",
        "quantity": 25000,
        "unit": "KGS",
        "value_inr": 1400000,
        "country_of_origin": "KR",
        "port_code": "INNSA1",
        "expected_arrival": date(2026, 3, 10),
        "fee_paid_inr": 500,
    }
    values.update(fields)
    return registration("SIMS", NUMBER, **values)


def test_a_clean_registration_gives_no_sims_finding_and_lists_its_fee():
    response = check(bill_of_entry(steel()), records=[reg()])
    assert not rules_of(response, "SIMS-")
    (fee,) = response.fees
    assert (fee.rule, fee.kind, fee.model_dump(mode="json")["amount"]) == (
        "SIMS-FEE-001",
        "registration_fee",
        "500.00",
    )


# -- coverage


@pytest.mark.parametrize("hs", ["72085110", "73181500", "86071100"])
def test_cov_001_holds_chapters_72_73_86_without_registration(hs):
    response = check(bill_of_entry(steel(number=None, hs=hs)))
    finding = assert_finding(response, "SIMS-COV-001", outcome="hold")
    assert finding.item == 1
    (fee,) = response.fees
    assert fee.rule == "SIMS-FEE-001" and fee.amount == 500 and "missing" in fee.basis


@pytest.mark.parametrize("hs", ["74031100", "71189000", "85011000", "87089900"])
def test_cov_001_quiet_just_outside_the_chapters(hs):
    response = check(bill_of_entry(steel(number=None, hs=hs)))
    # other schemes (e.g. copper on Chapter 74) may charge; SIMS must not
    assert not rules_of(response, "SIMS-")
    assert not [fee for fee in response.fees if fee.scheme == "sims"]


def test_cov_001_starts_on_2020_10_16():
    assert findings_of(
        check(bill_of_entry(steel(number=None), presented_at=on(date(2020, 10, 16)))),
        "SIMS-COV-001",
    )


@pytest.mark.parametrize(
    ("line", "presented", "instead"),
    [
        # the day before Chapters 72, 73 and 86 were covered: the 284-line list is not loaded
        (steel(number=None), date(2020, 10, 15), {"SIMS-COV-002": "info"}),
        # re-imported for packaging: exempt
        (
            steel(number=None, purpose="PACKAGING_REIMPORT"),
            date(2026, 3, 9),
            {"SIMS-EXM-001": "info"},
        ),
        # the same line quoting its registration
        (steel(), date(2026, 3, 9), {}),
    ],
    ids=["day-before-coverage", "packaging-reimport", "registration-quoted"],
)
def test_cov_001_quiet_for_a_steel_line_that_needs_no_registration_or_has_one(
    line, presented, instead
):
    response = check(bill_of_entry(line, presented_at=on(presented)), records=[reg()])
    assert_no_finding(response, "SIMS-COV-001")
    assert rules_of(response, "SIMS-") == instead


def test_cov_002_info_while_the_284_line_list_applied_and_nothing_else():
    response = check(bill_of_entry(steel(number=None), presented_at=on(date(2020, 5, 4))))
    assert rules_of(response, "SIMS-") == {"SIMS-COV-002": "info"}
    assert findings_of(response, "SIMS-COV-002", outcome="info")
    assert not response.fees


def test_cov_002_quiet_before_2019_11_01_and_after_2020_10_15():
    assert not rules_of(check(bill_of_entry(steel(), presented_at=on(date(2019, 10, 31)))), "SIMS-")
    assert_no_finding(check(bill_of_entry(steel())), "SIMS-COV-002")


def test_exm_001_packaging_reimport_needs_no_registration():
    response = check(bill_of_entry(steel(number=None, purpose="PACKAGING_REIMPORT")))
    assert findings_of(response, "SIMS-EXM-001", outcome="info")
    assert not findings_of(response, "SIMS-COV-001") and not response.fees
    assert_no_finding(check(bill_of_entry(steel(number=None))), "SIMS-EXM-001")


# -- the licence on the Bill of Entry


def test_boe_001_queries_a_missing_expiry_and_warns_on_a_foreign_prefix():
    assert findings_of(
        check(bill_of_entry(steel(expires=None)), records=[reg()]), "SIMS-BOE-001", outcome="query"
    )
    odd = check(bill_of_entry(steel(number="ABC2026011000001")))
    assert findings_of(odd, "SIMS-BOE-001", outcome="warn")
    assert_no_finding(check(bill_of_entry(steel()), records=[reg()]), "SIMS-BOE-001")


def test_val_001_last_valid_day_passes_and_the_next_day_is_rejected():
    last_day = bill_of_entry(steel(), presented_at=on(date(2026, 3, 26), 23))
    day_after = bill_of_entry(steel(), presented_at=on(date(2026, 3, 27), 0))
    assert_no_finding(check(last_day, records=[reg()]), "SIMS-VAL-001")
    finding = assert_finding(check(day_after, records=[reg()]), "SIMS-VAL-001", outcome="reject")
    assert "2026-03-26" in finding.message


def test_val_001_computes_expiry_from_the_registry_issue_date_when_undeclared():
    boe = bill_of_entry(steel(issued=None, expires=None), presented_at=on(date(2026, 3, 27)))
    assert findings_of(check(boe, records=[reg()]), "SIMS-VAL-001", outcome="reject")
    assert_no_finding(check(boe, records=[reg(issued_on=date(2026, 1, 11))]), "SIMS-VAL-001")


def test_val_001_registry_valid_until_wins_over_the_computed_expiry():
    boe = bill_of_entry(steel(expires=None), presented_at=on(date(2026, 3, 27)))
    assert_no_finding(check(boe, records=[reg(valid_until=date(2026, 3, 31))]), "SIMS-VAL-001")


def test_validity_days_can_be_changed_by_the_config_table():
    """Rule data that changes by notification can be overridden by ``--config``: with
    ``[sims] validity_days = 90`` a registration issued 2026-01-10 is valid through 04-10, and
    the declared expiry VAL-002 expects moves with it."""
    config = {"sims": {"validity_days": 90}}
    boe = bill_of_entry(steel(issued=None, expires=None), presented_at=on(date(2026, 4, 10)))
    assert findings_of(check(boe, records=[reg()]), "SIMS-VAL-001", outcome="reject")
    assert_no_finding(check(boe, records=[reg()], config=config), "SIMS-VAL-001")
    later = bill_of_entry(steel(issued=None, expires=None), presented_at=on(date(2026, 4, 11)))
    assert findings_of(check(later, records=[reg()], config=config), "SIMS-VAL-001")
    declared = bill_of_entry(steel(expires=date(2026, 4, 10)))
    assert_no_finding(check(declared, records=[reg()], config=config), "SIMS-VAL-002")
    bad = check(boe, records=[reg()], config={"sims": {"validity_days": "ninety"}})
    assert "validity_days must be a whole number" in findings_of(bad, "CORE-PLUGIN-001")[0].message


def test_val_002_declared_expiry_must_be_issue_plus_75_days():
    (finding,) = findings_of(
        check(bill_of_entry(steel(expires=date(2026, 3, 27))), records=[reg()]),
        "SIMS-VAL-002",
        outcome="query",
    )
    assert "2026-03-26" in finding.message
    assert_no_finding(check(bill_of_entry(steel()), records=[reg()]), "SIMS-VAL-002")


# -- window


def window_case(issued: date, arrival: date):
    boe = bill_of_entry(
        steel(issued=issued, expires=issued + timedelta(days=75)),
        presented_at=on(arrival - timedelta(days=1)),
        expected_arrival=arrival,
    )
    return check(boe)


def test_win_001_queries_a_registration_more_than_60_days_ahead():
    assert findings_of(
        window_case(date(2026, 3, 30), date(2026, 5, 30)), "SIMS-WIN-001", outcome="query"
    )
    assert_no_finding(window_case(date(2026, 3, 31), date(2026, 5, 30)), "SIMS-WIN-001")


def test_win_001_measures_from_the_registry_issue_date_not_the_declared_one():
    """The registry holds the registration: a Bill of Entry declaring a later issue date does
    not slip it into the window."""
    boe = bill_of_entry(
        steel(issued=date(2026, 3, 31), expires=date(2026, 6, 14)),
        expected_arrival=date(2026, 5, 30),
    )
    registered = reg(issued_on=date(2026, 3, 30), expected_arrival=date(2026, 5, 30))
    assert findings_of(check(boe, records=[registered]), "SIMS-WIN-001", outcome="query")
    in_window = reg(issued_on=date(2026, 3, 31), expected_arrival=date(2026, 5, 30))
    assert_no_finding(check(boe, records=[in_window]), "SIMS-WIN-001")


def test_win_001_holds_a_late_registration_under_the_2019_2022_15_day_rule():
    assert findings_of(
        window_case(date(2021, 6, 20), date(2021, 6, 28)), "SIMS-WIN-001", outcome="hold"
    )
    assert_no_finding(window_case(date(2021, 6, 13), date(2021, 6, 28)), "SIMS-WIN-001")
    # the same facts after 07.07.2022: no upper bound
    assert_no_finding(window_case(date(2023, 6, 20), date(2023, 6, 28)), "SIMS-WIN-001")


def test_win_001_takes_the_expected_arrival_from_an_igm_earlier_in_the_run():
    igm = manifest(expected_arrival=on(date(2026, 5, 30)))
    run = make_engine()
    run.validate_message(igm)
    boe = bill_of_entry(
        steel(issued=date(2026, 3, 30), expires=date(2026, 6, 13)),
        prior=False,
        manifest=manifest_reference(),
    )
    finding = assert_finding(run.validate_message(boe), "SIMS-WIN-001", outcome="query")
    assert "IGM 2234567" in finding.message


def test_win_001_says_so_when_no_expected_arrival_is_known():
    response = check(bill_of_entry(steel(), expected_arrival=None, manifest=None))
    assert findings_of(response, "SIMS-WIN-001", outcome="info")


def test_win_001_says_so_when_the_issue_date_is_unknown():
    """Declared expiry, no issue date anywhere: the window and VAL-002 cannot be checked, and
    the response says so once (not silently passed)."""
    unknown = bill_of_entry(
        steel(issued=None, expires=date(2026, 3, 26)), expected_arrival=date(2026, 3, 1)
    )
    (finding,) = findings_of(check(unknown), "SIMS-WIN-001", outcome="info")
    assert "issue date unknown" in finding.message and "not checked" in finding.message
    # both dates unknown: VAL-001 says it, no second finding
    neither = bill_of_entry(steel(issued=None, expires=None), expected_arrival=date(2026, 3, 1))
    assert_no_finding(check(neither), "SIMS-WIN-001")
    assert findings_of(check(neither), "SIMS-VAL-001", outcome="info")
    # issue date known: quiet
    assert_no_finding(
        check(bill_of_entry(steel(), expected_arrival=date(2026, 3, 1))), "SIMS-WIN-001"
    )


# -- one registration per Bill of Entry


def test_one_001_second_bill_of_entry_with_the_same_registration_is_queried():
    run = make_engine(records=[reg()])
    first = run.validate_message(bill_of_entry(steel(), message_id="BE-1"))
    second = run.validate_message(bill_of_entry(steel(), message_id="BE-2"))
    assert_no_finding(first, "SIMS-ONE-001")
    finding = assert_finding(second, "SIMS-ONE-001", outcome="query")
    assert "BE-1" in finding.message


def test_one_001_quiet_after_a_rejected_bill():
    """A rejected Bill of Entry is not filed, so it has not used the registration."""
    run = make_engine()
    rejected = run.validate_message(
        bill_of_entry(steel(expires=date(2026, 3, 1)), message_id="BE-1")
    )
    assert findings_of(rejected, "SIMS-VAL-001", outcome="reject")
    assert_no_finding(
        run.validate_message(bill_of_entry(steel(), message_id="BE-2")), "SIMS-ONE-001"
    )


def test_one_001_quiet_once_the_earlier_bill_is_cancelled_or_amended_away():
    """A cancelled Bill of Entry, or one amended to quote another registration, no longer
    uses the registration: a new Bill of Entry may quote it."""
    run = make_engine(records=[reg()])
    run.validate_message(bill_of_entry(steel(), message_id="BE-1"))
    run.validate_message(bill_of_entry(steel(), message_id="BE-1", function="cancellation"))
    assert_no_finding(
        run.validate_message(bill_of_entry(steel(), message_id="BE-2")), "SIMS-ONE-001"
    )
    moved = bill_of_entry(steel(number="STL2026011000002"), message_id="BE-2", function="amendment")
    assert findings_of(run.validate_message(moved), "CORE-BOE-AMD-001")
    assert_no_finding(
        run.validate_message(bill_of_entry(steel(), message_id="BE-3")), "SIMS-ONE-001"
    )
    taken = run.validate_message(bill_of_entry(steel(), message_id="BE-4"))
    assert "BE-3" in assert_finding(taken, "SIMS-ONE-001", outcome="query").message


def test_one_001_against_the_committed_ledger_counts_only_live_bills(sqlite_url):
    """Committed: a Bill of Entry cancelled since (or amended away) releases its registration;
    one whose latest version still quotes it does not. Each run commits its messages."""
    from customs_engine.core.ledger.run_state import RunState
    from customs_engine.core.registry import SqlRegistry

    store = SqlRegistry.open(sqlite_url)

    def committed(*messages):
        run = make_engine(records=[reg()], run=RunState(store, commit=True))
        return [run.validate_message(message) for message in messages]

    try:
        committed(bill_of_entry(steel(), message_id="BE-1"))
        committed(bill_of_entry(steel(), message_id="BE-1", function="cancellation"))
        (second,) = committed(bill_of_entry(steel(), message_id="BE-2"))
        assert_no_finding(second, "SIMS-ONE-001")
        (third,) = committed(bill_of_entry(steel(), message_id="BE-3"))
        assert "BE-2" in assert_finding(third, "SIMS-ONE-001", outcome="query").message
        assert "BE-1" not in assert_finding(third, "SIMS-ONE-001").message
        other = steel(number="STL2026011000002")
        committed(bill_of_entry(other, message_id="BE-2", function="amendment"))
        (fourth,) = committed(bill_of_entry(steel(), message_id="BE-4"))
        message = assert_finding(fourth, "SIMS-ONE-001").message
        assert "BE-3" in message and "BE-2" not in message
    finally:
        store.close()


def test_one_001_quiet_for_different_registrations_and_the_same_bill_again():
    run = make_engine()
    run.validate_message(bill_of_entry(steel(), message_id="BE-1"))
    other = bill_of_entry(steel(number="STL2026011000002"), message_id="BE-2")
    assert_no_finding(run.validate_message(other), "SIMS-ONE-001")
    again = bill_of_entry(steel(), message_id="BE-1")  # the same submission, re-validated
    assert_no_finding(run.validate_message(again), "SIMS-ONE-001")


# -- registry cross-checks


@pytest.mark.parametrize(
    ("record", "needle"),
    [
        ({"hs_codes": "7210"}, "72085110"),
        ({"port_code": "INMAA1"}, "INMAA1"),
        ({"country_of_origin": "JP"}, "JP"),
    ],
)
def test_fld_001_queries_what_differs_from_the_registration(record, needle):
    finding = assert_finding(
        check(bill_of_entry(steel()), records=[reg(**record)]), "SIMS-FLD-001", outcome="query"
    )
    assert needle in finding.message


def test_fld_001_says_the_origin_was_not_compared_when_the_line_declares_none():
    undeclared = bill_of_entry(steel(country_of_origin=None))
    finding = assert_finding(check(undeclared, records=[reg()]), "SIMS-FLD-001", outcome="query")
    assert finding.message.startswith("no country of origin declared")
    assert finding.field == "items[0].country_of_origin"


def test_fld_001_quiet_when_everything_matches():
    assert_no_finding(check(bill_of_entry(steel()), records=[reg()]), "SIMS-FLD-001")


@pytest.mark.parametrize(
    ("quantity", "value", "fires"),
    [
        (25000, 1400000, False),
        (25001, 1400000, True),
        (25000, 1400001, True),
        (24000, 1000000, False),
    ],
)
def test_fld_002_quantity_and_value_above_the_registration(quantity, value, fires):
    response = check(bill_of_entry(steel(quantity=quantity, value=value)), records=[reg()])
    assert bool(findings_of(response, "SIMS-FLD-002", outcome="query")) is fires


def test_fld_002_tolerance_from_config():
    config = {"sims": {"quantity_tolerance_pct": 5, "value_tolerance_pct": "5"}}
    within = bill_of_entry(steel(quantity=26250, value=1470000))
    beyond = bill_of_entry(steel(quantity=26251, value=1470000))
    assert_no_finding(check(within, records=[reg()], config=config), "SIMS-FLD-002")
    [finding] = findings_of(check(beyond, records=[reg()], config=config), "SIMS-FLD-002")
    # a quantity, written as one (not with a sum of money's two places)
    assert "(limit with tolerance 26250)" in finding.message


def test_fld_002_queries_a_unit_it_cannot_compare():
    response = check(bill_of_entry(steel(quantity=25)), records=[reg(unit="NOS")])
    assert "not compared" in findings_of(response, "SIMS-FLD-002")[0].message


@pytest.mark.parametrize(("quantity", "fires"), [("25", False), ("25.001", True)])
def test_fld_002_compares_mass_in_the_registrations_unit(quantity, fires):
    """25 MTS is the 25,000 KGS registered; a tonne more by a kilogram is above it."""
    response = check(bill_of_entry(steel(quantity=quantity, unit="MTS")), records=[reg()])
    assert bool(findings_of(response, "SIMS-FLD-002", outcome="query")) is fires


def test_a_tolerance_that_is_not_a_number_is_a_clear_error_not_a_traceback():
    response = check(
        bill_of_entry(steel()), records=[reg()], config={"sims": {"quantity_tolerance_pct": "five"}}
    )
    failure = assert_finding(response, "CORE-PLUGIN-001")
    assert "quantity_tolerance_pct" in failure.message and "'five'" in failure.message
