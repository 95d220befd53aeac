"""SIMS registration fees (SIMS-FEE-001/002): effective dates, boundaries, rounding."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from customs_engine.core.dates import IST
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


def sims_case(
    cif: int | str,
    issued: date = date(2023, 6, 15),
    *,
    declared: date | None = None,
    presented: datetime = datetime(2023, 7, 1, 11, 0, tzinfo=IST),
    **record: object,
):
    """A steel line quoting a registration issued on ``issued`` (the Bill of Entry declaring
    ``declared``, when given, instead) with that CIF in the registry."""
    number = "STL2023061500001"
    line = item(
        "72083610",
        quantity=1000,
        unit="KGS",
        value_inr=1000,
        licences=[licence("SIMS", number, issued_on=declared or issued, expires_on=None)],
    )
    boe = bill_of_entry(line, presented_at=presented)
    return check(
        boe, records=[registration("SIMS", number, issued_on=issued, value_inr=cif, **record)]
    )


@pytest.mark.parametrize(
    ("cif", "fee"),
    [
        ("320000", "500.00"),  # T01: minimum
        ("500000", "500.00"),  # T02: exactly the minimum
        ("501000", "501.00"),  # T03
        ("501200", "501.00"),  # T04: half-up, not "per thousand or part"
        ("501500", "502.00"),  # half-up at .5
        ("100000000", "100000.00"),  # T05: ₹10 crore, exactly the maximum
        ("100001000", "100000.00"),
        ("250000000", "100000.00"),  # T06: capped
    ],
)
def test_sims_fee_per_thousand_until_2023_08_27(cif, fee):
    found_fee = assert_fee(sims_case(cif), "SIMS-FEE-001", fee, kind="registration_fee")
    assert found_fee.model_dump(mode="json")["amount"] == fee


def test_sims_fee_flat_from_2023_08_28_and_formula_the_day_before():
    assert_fee(sims_case("250000000", date(2023, 8, 27)), "SIMS-FEE-001", 100000)
    assert_fee(sims_case("250000000", date(2023, 8, 28)), "SIMS-FEE-001", 500)
    assert_fee(sims_case("250000000", date(2026, 2, 1)), "SIMS-FEE-001", 500)  # T07


def test_sims_fee_keys_on_the_registry_issue_date_not_the_declared_one():
    """The registry holds the registration: its issue date decides the fee, whatever the Bill of
    Entry declares (a filer cannot move into the flat fee by quoting a later date)."""
    presented = datetime(2023, 9, 1, 11, 0, tzinfo=IST)
    later = {"declared": date(2023, 8, 28), "presented": presented}
    assert_fee(sims_case("4745250", date(2023, 8, 27), **later), "SIMS-FEE-001", "4745.00")
    assert_fee(sims_case("4745250", date(2023, 8, 28), **later), "SIMS-FEE-001", "500.00")


def test_sims_fee_cif_from_the_lines_when_the_registry_has_none():
    number = "STL2023061500001"
    lines = [
        item(
            "72083610",
            quantity=10,
            unit="KGS",
            value_inr=value,
            number=n,
            licences=[licence("SIMS", number, issued_on=date(2023, 6, 15), expires_on=None)],
        )
        for n, value in ((1, 4000000), (2, 2345600))
    ]
    fee = assert_fee(check(bill_of_entry(*lines)), "SIMS-FEE-001", 6346, item=None)
    assert "6,345,600.00" in fee.basis


def test_sims_fee_for_a_missing_registration_keys_on_the_boe_date():
    line = item("72083610", quantity=10, unit="KGS", value_inr=2000000)
    old = bill_of_entry(line, presented_at=datetime(2023, 8, 27, 11, 0, tzinfo=IST))
    new = bill_of_entry(line, presented_at=datetime(2023, 8, 28, 11, 0, tzinfo=IST))
    assert_fee(check(old), "SIMS-FEE-001", 2000)
    assert_fee(check(new), "SIMS-FEE-001", 500)


@pytest.mark.parametrize(
    ("line", "presented", "instead"),
    [
        # re-imported for packaging: no registration, so no fee for a missing one
        (
            item("72083610", quantity=10, unit="KGS", purpose="PACKAGING_REIMPORT"),
            datetime(2023, 8, 28, 11, 0, tzinfo=IST),
            "SIMS-EXM-001",
        ),
        # the last day of the 284-line list, which is not loaded: coverage (and fee) unknown
        (
            item("72083610", quantity=10, unit="KGS"),
            datetime(2020, 10, 15, 11, 0, tzinfo=IST),
            "SIMS-COV-002",
        ),
        # Chapter 71 sits just outside the steel chapters
        (item("71189000", quantity=10, unit="KGS"), datetime(2023, 8, 28, 11, 0, tzinfo=IST), None),
    ],
    ids=["packaging-reimport", "list-not-loaded", "outside-the-chapters"],
)
def test_sims_fee_001_not_listed_for_a_line_that_needs_no_registration(line, presented, instead):
    response = check(bill_of_entry(line, presented_at=presented))
    assert_no_fee(response, "SIMS-FEE-001")
    assert_no_finding(response, "SIMS-FEE-001")  # nor the info of a fee it cannot compute
    assert [f.rule for f in response.findings if f.rule.startswith("SIMS-")] == (
        [instead] if instead else []
    )


def test_as_of_forces_the_fee_version():
    boe = bill_of_entry(item("72083610", quantity=10, unit="KGS", value_inr=2000000))
    assert_fee(check(boe, as_of=date(2023, 1, 1)), "SIMS-FEE-001", 2000)


def test_sims_fee_002_paid_less_than_due():
    response = sims_case("2000000", fee_paid_inr=1999)
    finding = assert_finding(response, "SIMS-FEE-002", outcome="query")
    assert "2,000.00" in finding.message
    assert_no_finding(sims_case("2000000", fee_paid_inr=2000), "SIMS-FEE-002")
    assert_no_finding(sims_case("2000000"), "SIMS-FEE-002")  # nothing recorded: nothing to compare
