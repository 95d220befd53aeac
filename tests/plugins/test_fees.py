"""Registration fees (SIMS-FEE-001/002, AIMS-FEE-001/002): effective dates, boundaries, rounding."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from customs_engine.cli import main
from customs_engine.core.dates import IST
from customs_engine.core.models import ForeignValue
from customs_engine.core.monitoring.scheme import FeeFormula

from .builders import bill, check, found, item, licence, registration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fee_of(response, rule: str):
    fees = [fee for fee in response.fees if fee.rule == rule]
    assert len(fees) == 1, response.fees
    return fees[0]


def sims_case(cif: int | str, issued: date = date(2023, 6, 15), **record: object):
    number = "STL2023061500001"
    line = item(
        "72083610", 1000, unit="KGS", value=1000, licences=[licence("SIMS", number, issued, None)]
    )
    boe = bill(line, presented_at=datetime(2023, 7, 1, 11, 0, tzinfo=IST))
    return check(boe, [registration("SIMS", number, issued_on=issued, value_inr=cif, **record)])


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
    found_fee = fee_of(sims_case(cif), "SIMS-FEE-001")
    assert found_fee.kind == "registration_fee"
    assert found_fee.model_dump(mode="json")["amount"] == fee


def test_sims_fee_flat_from_2023_08_28_and_formula_the_day_before():
    assert fee_of(sims_case("250000000", date(2023, 8, 27)), "SIMS-FEE-001").amount == 100000
    assert fee_of(sims_case("250000000", date(2023, 8, 28)), "SIMS-FEE-001").amount == 500
    assert fee_of(sims_case("250000000", date(2026, 2, 1)), "SIMS-FEE-001").amount == 500  # T07


def test_sims_fee_cif_from_the_lines_when_the_registry_has_none():
    number = "STL2023061500001"
    lines = [
        item(
            "72083610",
            10,
            unit="KGS",
            value=value,
            number=n,
            licences=[licence("SIMS", number, date(2023, 6, 15), None)],
        )
        for n, value in ((1, 4000000), (2, 2345600))
    ]
    fee = fee_of(check(bill(*lines)), "SIMS-FEE-001")
    assert fee.amount == Decimal(6346) and fee.item is None and "6,345,600.00" in fee.basis


def test_sims_fee_for_a_missing_registration_keys_on_the_boe_date():
    line = item("72083610", 10, unit="KGS", value=2000000)
    old = bill(line, presented_at=datetime(2023, 8, 27, 11, 0, tzinfo=IST))
    new = bill(line, presented_at=datetime(2023, 8, 28, 11, 0, tzinfo=IST))
    assert fee_of(check(old), "SIMS-FEE-001").amount == 2000
    assert fee_of(check(new), "SIMS-FEE-001").amount == 500


def test_as_of_forces_the_fee_version():
    assert (
        fee_of(
            check(bill(item("72083610", 10, unit="KGS", value=2000000)), as_of=date(2023, 1, 1)),
            "SIMS-FEE-001",
        ).amount
        == 2000
    )


def test_sims_fee_002_paid_less_than_due():
    response = sims_case("2000000", fee_paid_inr=1999)
    (finding,) = found(response, "SIMS-FEE-002", "query")
    assert "2,000.00" in finding.message
    assert not found(sims_case("2000000", fee_paid_inr=2000), "SIMS-FEE-002")
    assert not found(sims_case("2000000"), "SIMS-FEE-002")  # nothing recorded: nothing to compare


# -- AIMS


def aims_case(
    config: dict | None = None,
    *,
    cif: int | str | None = None,
    foreign: ForeignValue | None = None,
    **record: object,
):
    number = "NFS2026020100001"
    line = item(
        "76011010",
        1000,
        unit="KGS",
        value=None if foreign else 4745250,
        foreign_value=foreign,
        licences=[licence("AIMS", number, date(2026, 2, 1), date(2026, 4, 17))],
    )
    records = [registration("AIMS", number, issued_on=date(2026, 2, 1), value_inr=cif, **record)]
    return check(bill(line), records, config=config or {})


def test_aims_fee_flat_500_by_default():
    fee = fee_of(aims_case(cif="250000000"), "AIMS-FEE-001")
    assert fee.model_dump(mode="json")["amount"] == "500.00" and fee.kind == "registration_fee"


def test_aims_fee_per_thousand_on_a_converted_cif():
    usd = ForeignValue(amount=Decimal(57000), currency="USD", rate=Decimal("83.25"))
    fee = fee_of(aims_case({"aims": {"fee_model": "per-thousand"}}, foreign=usd), "AIMS-FEE-001")
    assert fee.amount == Decimal(4745)  # T08: 4,745.25 → 4,745


@pytest.mark.parametrize(
    ("cif", "fee"),
    [
        ("500000", 500),
        ("499999", 500),
        ("100000000", 100000),
        ("100000001", 100000),
        ("1234567", 1235),
    ],
)
def test_aims_fee_per_thousand_boundaries(cif, fee):
    response = aims_case({"aims": {"fee_model": "per-thousand"}}, cif=cif)
    assert fee_of(response, "AIMS-FEE-001").amount == fee


def test_aims_unknown_fee_model_is_reported_not_guessed():
    response = aims_case({"aims": {"fee_model": "per-ton"}})
    assert not response.fees
    assert "per-ton" in found(response, "AIMS-FEE-001", "info")[0].message


def test_aims_fee_per_thousand_with_unknown_cif_is_reported():
    usd = ForeignValue(amount=Decimal(57000), currency="USD")  # no rate, none in the registry
    response = aims_case({"aims": {"fee_model": "per-thousand"}}, foreign=usd)
    assert not response.fees and found(response, "AIMS-FEE-001", "info")


def test_aims_fee_002_paid_less_than_due():
    assert found(aims_case(fee_paid_inr=499), "AIMS-FEE-002", "query")
    assert not found(aims_case(fee_paid_inr=500), "AIMS-FEE-002")


def test_cli_config_switches_the_aims_fee_model(tmp_path):
    config = tmp_path / "customs.toml"
    config.write_text('[aims]\nfee_model = "per-thousand"\n', encoding="utf-8")
    example = EXAMPLES / "messages" / "05-be-scrap-and-aluminium.xml"
    result = CliRunner().invoke(
        main, ["validate", "--format", "json", "--config", str(config), str(example)]
    )
    aluminium = json.loads(result.stdout)[1]
    assert [(f["rule"], f["amount"]) for f in aluminium["fees"]] == [("AIMS-FEE-001", "4745.00")]


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.decimals(min_value=0, max_value=10**6, places=2),
)
def test_per_thousand_fee_is_clamped_monotonic_and_whole_rupees(cif, more):
    formula = FeeFormula(per_thousand=Decimal(1), minimum=Decimal(500), maximum=Decimal(100000))
    fee = formula.amount(cif)
    assert fee is not None and Decimal(500) <= fee <= Decimal(100000)
    assert fee == fee.to_integral_value()
    assert formula.amount(cif + more) >= fee
    if Decimal(500000) <= cif <= Decimal(100000000):
        assert abs(fee - cif / 1000) <= Decimal("0.5")
