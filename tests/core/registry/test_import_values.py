"""``registry import`` refuses values the engine would misread, naming FILE:LINE and importing
nothing of that file: an exchange rate of 0 (every foreign value would become INR 0.00), money
with more than 2 decimals (paise are the smallest unit), a country that is not an ISO 3166-1
code, a holder IEC that is neither a PAN-format IEC, a permanent IEC nor a legacy 10-digit
number (what CORE-IEC-001 refuses on a Bill of Entry), a unit that is not a unit quantity code
as messages write one (``NUMBERS``: every Bill of Entry quoting the licence was then refused
CORE-LIC-004)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.records import RegistryRecord


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'customs.db'}"
    return str(request.getfixturevalue("pg_url"))


def run(db: str, path: Path) -> Result:
    return CliRunner().invoke(main, ["registry", "import", "--db", db, str(path)])


def stored(db: str) -> list[RegistryRecord]:
    store = SqlRegistry.open(db)
    try:
        return store.records()
    finally:
        store.close()


GOOD_RATE = {"kind": "exchange_rate", "number": "N-1", "currency": "USD", "rate": "84"}
GOOD_IMS = {
    "kind": "authorisation",
    "scheme": "IMS",
    "number": "IMS-9",
    "iec": "AAPFU0939F",
    "quantity": "5",
    "unit": "NOS",
    "value_inr": "100.00",
}
GOOD_AGENCY = {"kind": "agency", "number": "PSIA-9", "name": "X", "country": "AE"}
GOOD_SIMS = {
    "kind": "registration",
    "scheme": "SIMS",
    "number": "STL-9",
    "iec": "AABCB1234C",
    "country_of_origin": "KR",
    "fee_paid_inr": "500.00",
}


def rows_file(tmp_path: Path, *rows: dict[str, str]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"issued_on": "2026-01-01", **row}) + "\n" for row in rows))
    return path


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            {**GOOD_RATE, "rate": "0"},
            "rate: 0 is not an exchange rate (INR per unit of the currency, more than 0)",
        ),
        ({**GOOD_RATE, "rate": "0.000000"}, "rate: 0.000000 is not an exchange rate"),
        (
            {**GOOD_IMS, "value_inr": "100.123"},
            "value_inr: 100.123 has more than 2 decimals (an amount in rupees and paise)",
        ),
        ({**GOOD_SIMS, "fee_paid_inr": "500.005"}, "fee_paid_inr: 500.005 has more than 2"),
        (
            {**GOOD_AGENCY, "country": "ZZ"},
            "country: 'ZZ' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            {**GOOD_SIMS, "country_of_origin": "XX"},
            "country_of_origin: 'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            {**GOOD_IMS, "iec": "BADIEC"},
            "iec: 'BADIEC' is neither a PAN-format IEC, a permanent IEC nor a legacy 10-digit "
            "number",
        ),
        ({**GOOD_IMS, "iec": "AAPFU0939"}, "iec: 'AAPFU0939' is neither"),
        ({**GOOD_IMS, "iec": "01000000111"}, "iec: '01000000111' is neither"),
        (
            {**GOOD_IMS, "unit": "NUMBERS"},
            "unit: 'NUMBERS' is not a unit quantity code (2 or 3 capitals, as messages write it: "
            "NOS, KGS, MTS)",
        ),
        ({**GOOD_IMS, "unit": "K"}, "unit: 'K' is not a unit quantity code"),
        ({**GOOD_IMS, "unit": "KG1"}, "unit: 'KG1' is not a unit quantity code"),
        ({**GOOD_SIMS, "quantity": "5", "unit": "N.O.S"}, "unit: 'N.O.S' is not a unit"),
    ],
)
def test_a_bad_value_is_refused_with_file_and_line(
    db: str, tmp_path: Path, row: dict[str, str], problem: str
) -> None:
    path = rows_file(tmp_path, GOOD_AGENCY | {"number": "PSIA-OK"}, row)
    result = run(db, path)
    assert result.exit_code == 1, result.output
    assert f"{path}:2: {problem}" in result.output, result.output
    assert f"{path}: nothing imported" in result.output
    assert "Traceback" not in result.output
    assert stored(db) == []  # not even the good row of that file


def test_a_row_with_several_bad_values_names_each(db: str, tmp_path: Path) -> None:
    path = rows_file(tmp_path, {**GOOD_IMS, "iec": "BADIEC", "value_inr": "1.001"})
    result = run(db, path)
    assert result.exit_code == 1
    assert "value_inr: 1.001 has more than 2 decimals" in result.output
    assert "iec: 'BADIEC' is neither" in result.output


@pytest.mark.parametrize(
    "row",
    [
        {**GOOD_RATE, "rate": "0.000001"},  # a tiny rate is still a rate
        {**GOOD_RATE, "rate": "83.2575"},
        {**GOOD_IMS, "value_inr": "100.1"},
        {**GOOD_IMS, "value_inr": "100.100"},  # written with a third decimal, still whole paise
        {**GOOD_IMS, "value_inr": "0"},
        {**GOOD_IMS, "quantity": "2.125"},  # a quantity is not money
        {**GOOD_IMS, "iec": "aapfu0939f"},  # codes are read in capitals
        {**GOOD_IMS, "unit": "kgs"},  # a unit too
        {**GOOD_IMS, "unit": "MT"},
        {**GOOD_IMS, "iec": "0100000011"},  # a legacy 10-digit number (permanent IEC's too)
        {**GOOD_IMS, "iec": "IIEGN0161E"},  # a permanent IEC
        {**GOOD_IMS, "iec": "1234567890"},  # a legacy number CORE-IEC-001 warns about
        {**GOOD_AGENCY, "country": "ae"},
        {**GOOD_SIMS},
    ],
)
def test_good_values_are_imported(db: str, tmp_path: Path, row: dict[str, str]) -> None:
    result = run(db, rows_file(tmp_path, row))
    assert result.exit_code == 0, result.output
    [record] = stored(db)
    if "value_inr" in row:
        assert record.value_inr == Decimal(row["value_inr"])


def test_the_example_registry_passes(db: str) -> None:
    from tests.conftest import REGISTRY_CSV

    result = CliRunner().invoke(main, ["registry", "import", "--db", db, str(REGISTRY_CSV)])
    assert result.exit_code == 0, result.output
