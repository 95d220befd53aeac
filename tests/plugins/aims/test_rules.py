"""AIMS (RULES.md §4) through the shared monitoring helper: every rule fires and stays quiet."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

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
    registration,
    rules_of,
)

NUMBER = "NFS2026010500001"


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=IST)


def aluminium(
    *,
    number: str | None = NUMBER,
    issued: date | None = date(2026, 1, 5),
    expires: date | None = date(2026, 3, 21),
    hs: str = "76061200",
    quantity: int = 18000,
    value: int = 4745250,
):
    lics = [] if number is None else [licence("AIMS", number, issued_on=issued, expires_on=expires)]
    return item(
        hs, quantity=quantity, unit="KGS", value_inr=value, licences=lics, country_of_origin="AE"
    )


def reg(**fields: object):
    values = {
        "issued_on": date(2026, 1, 5),
        "hs_codes": "76",
        "quantity": 18000,
        "unit": "KGS",
        "value_inr": 4745250,
        "country_of_origin": "AE",
        "port_code": "INNSA1",
        "expected_arrival": date(2026, 2, 1),
        "fee_paid_inr": 500,
    }
    values.update(fields)
    return registration("AIMS", NUMBER, **values)


def test_cov_001_holds_chapter_76_without_registration_and_lists_the_fee():
    response = check(bill_of_entry(aluminium(number=None)))
    assert findings_of(response, "AIMS-COV-001", outcome="hold")
    (fee,) = response.fees
    assert (fee.rule, fee.amount) == ("AIMS-FEE-001", 500)


def test_cov_001_quiet_with_registration_outside_chapter_76_and_before_2021_04_12():
    assert_no_finding(check(bill_of_entry(aluminium()), records=[reg()]), "AIMS-COV-001")
    assert not rules_of(check(bill_of_entry(aluminium(number=None, hs="75089000"))), "AIMS-")
    early = bill_of_entry(aluminium(number=None), presented_at=on(date(2021, 4, 11)))
    assert not rules_of(check(early), "AIMS-")
    assert findings_of(
        check(bill_of_entry(aluminium(number=None), presented_at=on(date(2021, 4, 12)))),
        "AIMS-COV-001",
    )


@pytest.mark.parametrize(("mode", "port"), [("AIR", "INNSA1"), ("SEA", "INDEL4")])
def test_exm_001_air_freight_is_not_covered(mode, port):
    response = check(bill_of_entry(aluminium(number=None), mode=mode, port_code=port))
    assert findings_of(response, "AIMS-EXM-001", outcome="info")
    assert not findings_of(response, "AIMS-COV-001") and not response.fees


def test_exm_001_quiet_for_sea_freight():
    assert_no_finding(check(bill_of_entry(aluminium(number=None))), "AIMS-EXM-001")


def test_boe_001_expiry_missing_or_prefix_other_than_nfs():
    assert findings_of(
        check(bill_of_entry(aluminium(expires=None)), records=[reg()]),
        "AIMS-BOE-001",
        outcome="query",
    )
    assert findings_of(
        check(bill_of_entry(aluminium(number="AIM2026010500001"))), "AIMS-BOE-001", outcome="warn"
    )
    assert_no_finding(check(bill_of_entry(aluminium()), records=[reg()]), "AIMS-BOE-001")


def test_val_001_any_number_of_bills_within_validity_then_rejected():
    run = make_engine(records=[reg()])
    first = run.validate_message(
        bill_of_entry(aluminium(), message_id="BE-1", presented_at=on(date(2026, 2, 1)))
    )
    second = run.validate_message(
        bill_of_entry(aluminium(), message_id="BE-2", presented_at=on(date(2026, 3, 21)))
    )
    third = run.validate_message(
        bill_of_entry(aluminium(), message_id="BE-3", presented_at=on(date(2026, 3, 22)))
    )
    assert not rules_of(first, "AIMS-") and not rules_of(second, "AIMS-")
    finding = assert_finding(third, "AIMS-VAL-001", outcome="reject")
    assert "2026-03-21" in finding.message


@pytest.mark.parametrize(
    ("presented_at", "declared", "record"),
    [
        # the last valid day (issue 2026-01-05 + 75), late in the evening India time …
        (datetime(2026, 3, 21, 23, 59, tzinfo=IST), date(2026, 3, 21), {}),
        # … and written in Tokyo time: 00:30 on the 22nd there is 21:00 on the 21st in India
        (datetime(2026, 3, 22, 0, 30, tzinfo=timezone(timedelta(hours=9))), date(2026, 3, 21), {}),
        # nothing declared: the expiry computed from the registry's issue date is the 21st
        (on(date(2026, 3, 21)), None, {}),
        # the day after that, but the registry's declared validity runs to the 31st
        (on(date(2026, 3, 22)), None, {"valid_until": date(2026, 3, 31)}),
    ],
    ids=["last-day-ist", "last-day-in-india", "computed-expiry", "registry-valid-until"],
)
def test_val_001_quiet_up_to_the_last_valid_day(presented_at, declared, record):
    line = aluminium(issued=None if declared is None else date(2026, 1, 5), expires=declared)
    response = check(bill_of_entry(line, presented_at=presented_at), records=[reg(**record)])
    assert_no_finding(response, "AIMS-VAL-001")


def test_val_002_declared_expiry_differs_from_issue_plus_75():
    assert findings_of(
        check(bill_of_entry(aluminium(expires=date(2026, 3, 20))), records=[reg()]), "AIMS-VAL-002"
    )
    assert_no_finding(check(bill_of_entry(aluminium()), records=[reg()]), "AIMS-VAL-002")


def window(issued: date, arrival: date):
    line = aluminium(issued=issued, expires=issued + timedelta(days=75))
    return check(bill_of_entry(line, presented_at=on(arrival), expected_arrival=arrival))


@pytest.mark.parametrize(
    ("issued", "arrival", "outcome"),
    [
        (date(2025, 12, 31), date(2026, 3, 2), "query"),  # 61 days ahead
        (date(2021, 6, 24), date(2021, 6, 28), "hold"),  # 2021-22: 4 days before arrival
        (date(2022, 8, 9), date(2022, 8, 10), "hold"),  # 2021-22, its last day: 1 day before
        (date(2024, 5, 11), date(2024, 5, 10), "hold"),  # 2022-26: after arrival
        (date(2026, 6, 29), date(2026, 6, 28), "hold"),  # 2022-26, its last day: after arrival
    ],
)
def test_win_001_effective_dated_window(issued, arrival, outcome):
    findings = [f for f in window(issued, arrival).findings if f.rule == "AIMS-WIN-001"]
    assert [f.outcome for f in findings] == [outcome]


@pytest.mark.parametrize(
    ("issued", "arrival"),
    [
        (date(2026, 1, 1), date(2026, 3, 2)),  # exactly 60 days ahead
        (date(2021, 6, 23), date(2021, 6, 28)),  # 2021-22: exactly 5 days before arrival
        (date(2022, 8, 10), date(2022, 8, 10)),  # 2022-26, its first day: on the arrival date
        (date(2024, 5, 10), date(2024, 5, 10)),  # 2022-26: on the arrival date
        (date(2026, 6, 30), date(2026, 6, 29)),  # from 2026-06-30: no bound at BoE stage
        (date(2026, 7, 2), date(2026, 7, 1)),
    ],
)
def test_win_001_quiet_on_the_passing_side_of_each_bound(issued, arrival):
    assert_no_finding(window(issued, arrival), "AIMS-WIN-001")


def test_fld_001_and_002_against_the_registration():
    response = check(
        bill_of_entry(aluminium(quantity=18001)), records=[reg(country_of_origin="CN")]
    )
    assert findings_of(response, "AIMS-FLD-001", outcome="query") and findings_of(
        response, "AIMS-FLD-002", outcome="query"
    )
    clean = check(bill_of_entry(aluminium()), records=[reg()])
    assert not findings_of(clean, "AIMS-FLD-001") and not findings_of(clean, "AIMS-FLD-002")


@pytest.mark.parametrize(
    "record",
    [
        {"hs_codes": "76"},  # the chapter
        {"hs_codes": "7606"},  # the heading
        {"hs_codes": "76061200"},  # the line itself
        {"hs_codes": "7604 76061200"},  # one of several
    ],
)
def test_fld_001_quiet_when_hs_port_and_origin_match_the_registration(record):
    response = check(bill_of_entry(aluminium()), records=[reg(**record)])
    assert_no_finding(response, "AIMS-FLD-001")
    assert response.status == "accepted"


def test_fld_001_quiet_for_each_line_of_a_registration_covering_two_headings():
    half = {"quantity": 9000, "value": 2372625}
    lines = [aluminium(hs="76061200", **half), aluminium(hs="76042910", **half)]
    response = check(bill_of_entry(*lines), records=[reg(hs_codes="7606 7604")])
    assert_no_finding(response, "AIMS-FLD-001")
    assert response.status == "accepted"


@pytest.mark.parametrize(
    ("line", "config"),
    [
        ({"quantity": 18000, "value": 4745250}, None),  # exactly what was registered
        ({"quantity": 17999, "value": 4745249}, None),  # below
        (
            {"quantity": 18900, "value": 4982512},
            {"quantity_tolerance_pct": 5, "value_tolerance_pct": 5},
        ),
    ],
    ids=["equal", "below", "at-the-tolerance"],
)
def test_fld_002_quiet_up_to_the_registered_quantity_and_value(line, config):
    response = check(
        bill_of_entry(aluminium(**line)),
        records=[reg()],
        config=None if config is None else {"aims": config},
    )
    assert_no_finding(response, "AIMS-FLD-002")


def test_fld_002_quiet_for_the_registered_mass_in_another_unit():
    """18 MTS is the 18,000 KGS registered."""
    line = item(
        "76061200",
        quantity="18",
        unit="MTS",
        value_inr=4745250,
        country_of_origin="AE",
        licences=[
            licence("AIMS", NUMBER, issued_on=date(2026, 1, 5), expires_on=date(2026, 3, 21))
        ],
    )
    assert_no_finding(check(bill_of_entry(line), records=[reg()]), "AIMS-FLD-002")
