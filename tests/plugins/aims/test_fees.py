"""AIMS registration fees (AIMS-FEE-001/002): effective dates, boundaries, rounding."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.models import ForeignValue
from customs_engine.testing import (
    assert_fee,
    assert_no_fee,
    assert_no_finding,
    bill_of_entry,
    check,
    findings_of,
    item,
    licence,
    registration,
)
from tests.conftest import EXAMPLES


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
        quantity=1000,
        unit="KGS",
        value_inr=None if foreign else 4745250,
        foreign_value=foreign,
        licences=[
            licence("AIMS", number, issued_on=date(2026, 2, 1), expires_on=date(2026, 4, 17))
        ],
    )
    records = [registration("AIMS", number, issued_on=date(2026, 2, 1), value_inr=cif, **record)]
    return check(bill_of_entry(line), records=records, config=config or {})


def test_aims_fee_flat_500_by_default():
    fee = assert_fee(aims_case(cif="250000000"), "AIMS-FEE-001", 500, kind="registration_fee")
    assert fee.model_dump(mode="json")["amount"] == "500.00"


def test_aims_fee_is_listed_once_per_registration_not_per_bill():
    """T15: one registration serves any number of Bills of Entry within its validity; its fee
    is one, listed on the first; a Bill of Entry quoting another registration lists its own."""
    number, other = "NFS2026010500001", "NFS2026010500002"

    def boe(message_id: str, presented: date, registration_number: str):
        line = item(
            "76011010",
            quantity=10,
            unit="KGS",
            value_inr=100000,
            licences=[licence("AIMS", registration_number, issued_on=date(2026, 1, 5))],
        )
        return bill_of_entry(line, message_id=message_id, presented_at=presented)

    records = [
        registration("AIMS", n, issued_on=date(2026, 1, 5), quantity=None, value_inr=None)
        for n in (number, other)
    ]
    first, second, third = check(
        [
            boe("BE-1", date(2026, 2, 1), number),
            boe("BE-2", date(2026, 3, 10), number),
            boe("BE-3", date(2026, 3, 10), other),
        ],
        records=records,
    )
    assert_fee(first, "AIMS-FEE-001", 500)
    assert_no_fee(second, "AIMS-FEE-001")
    assert_fee(third, "AIMS-FEE-001", 500)


def test_aims_fee_per_thousand_on_a_converted_cif():
    usd = ForeignValue(amount=Decimal(57000), currency="USD", rate=Decimal("83.25"))
    response = aims_case({"aims": {"fee_model": "per-thousand"}}, foreign=usd)
    assert_fee(response, "AIMS-FEE-001", 4745)  # T08: 4,745.25 → 4,745


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
    assert_fee(response, "AIMS-FEE-001", fee)


def test_aims_unknown_fee_model_fails_the_message_closed_not_guessed():
    response = aims_case({"aims": {"fee_model": "per-ton"}})
    assert not response.fees
    assert "per-ton" in findings_of(response, "CORE-PLUGIN-001", outcome="reject")[0].message


def test_aims_fee_per_thousand_with_unknown_cif_is_reported():
    usd = ForeignValue(amount=Decimal(57000), currency="USD")  # no rate, none in the registry
    response = aims_case({"aims": {"fee_model": "per-thousand"}}, foreign=usd)
    assert not response.fees and findings_of(response, "AIMS-FEE-001", outcome="info")


def test_aims_fee_before_the_first_schedule_is_reported_not_dropped():
    """A registration dated before any fee schedule (AIMS opened on 2021-04-05): the fee cannot
    be computed, and the response says so instead of listing nothing."""
    number = "NFS2021040400001"
    line = item(
        "76011010",
        quantity=1000,
        unit="KGS",
        value_inr=4745250,
        licences=[
            licence("AIMS", number, issued_on=date(2021, 4, 4), expires_on=date(2021, 6, 18))
        ],
    )
    boe = bill_of_entry(line, presented_at=date(2021, 4, 12))
    response = check(boe, records=[registration("AIMS", number, issued_on=date(2021, 4, 4))])
    assert not response.fees
    (finding,) = findings_of(response, "AIMS-FEE-001", outcome="info")
    assert "no fee schedule is in force on its issue date 2021-04-04" in finding.message
    assert "fee not computed" in finding.message
    opened = registration("AIMS", number, issued_on=date(2021, 4, 5))
    assert_fee(check(boe, records=[opened]), "AIMS-FEE-001", 500)


def test_aims_fee_002_paid_less_than_due():
    assert findings_of(aims_case(fee_paid_inr=499), "AIMS-FEE-002", outcome="query")
    assert_no_finding(aims_case(fee_paid_inr=500), "AIMS-FEE-002")


def test_cli_config_switches_the_aims_fee_model(tmp_path):
    config = tmp_path / "customs.toml"
    config.write_text('[aims]\nfee_model = "per-thousand"\n', encoding="utf-8")
    example = EXAMPLES / "messages" / "05-be-scrap-and-aluminium.xml"
    result = CliRunner().invoke(
        main, ["validate", "--format", "json", "--config", str(config), str(example)]
    )
    aluminium = json.loads(result.stdout)[1]
    assert [(f["rule"], f["amount"]) for f in aluminium["fees"]] == [("AIMS-FEE-001", "4745.00")]
