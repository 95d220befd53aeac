"""``registry import`` refuses what it cannot import exactly, naming FILE:LINE, and imports nothing
of that file; the same answer on SQLite and PostgreSQL (issue 18 items 3, 4 and 20)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry

HEADER = "kind,scheme,number,iec,issued_on,valid_until,quantity,unit,value_inr"
IMS_100 = "authorisation,IMS,IMS-1,AAPFU0939F,2026-01-05,2026-12-31,100,NOS,5000000.00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'customs.db'}"
    return str(request.getfixturevalue("pg_url"))


def run(db: str, *paths: Path, replace: bool = False) -> Result:
    args = ["registry", "import", "--db", db, *(["--replace"] if replace else []), *map(str, paths)]
    return CliRunner().invoke(main, args)


def stored(db: str) -> list[tuple[str, str, object]]:
    store = SqlRegistry.open(db)
    try:
        return [(r.kind, r.number, r.quantity) for r in store.records()]
    finally:
        store.close()


def csv_file(tmp_path: Path, *rows: str, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


# -- item 3: conflicting rows ---------------------------------------------------------------------


def test_two_limits_for_one_authorisation_are_a_conflict_on_every_line(
    db: str, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, IMS_100, IMS_100.replace(",100,", ",999999,"))
    result = run(db, path)
    assert result.exit_code == 1
    assert f"{path}:2: authorisation IMS IMS-1 conflicts with {path}:3" in result.output
    assert f"{path}:3: authorisation IMS IMS-1 conflicts with {path}:2" in result.output
    assert "quantity" in result.output and f"{path}: nothing imported" in result.output
    assert stored(db) == []


def test_an_authorisation_and_a_registration_of_one_number_conflict(
    db: str, tmp_path: Path
) -> None:
    first = csv_file(tmp_path, IMS_100, name="a.csv")
    second = csv_file(tmp_path, "registration,IMS,IMS-1,AAPFU0939F,2026-01-05,,,,", name="b.csv")
    result = run(db, first, second)
    assert result.exit_code == 1
    assert f"{first}:2: authorisation IMS IMS-1 conflicts with {second}:2" in result.output
    assert f"{second}:2: registration IMS IMS-1 conflicts with {first}:2" in result.output
    assert stored(db) == []


def test_identical_rows_and_reimports_are_fine(db: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, IMS_100, IMS_100)
    assert run(db, path).exit_code == 0
    again = csv_file(tmp_path, IMS_100.replace("5000000.00", "5000000"), name="again.csv")
    result = run(db, again)
    assert result.exit_code == 0, result.output
    assert stored(db) == [("authorisation", "IMS-1", 100)]


def test_a_row_differing_from_the_stored_one_is_a_conflict_unless_replaced(
    db: str, tmp_path: Path
) -> None:
    assert run(db, csv_file(tmp_path, IMS_100)).exit_code == 0
    bigger = csv_file(tmp_path, IMS_100.replace(",100,", ",999999,"), name="bigger.csv")
    result = run(db, bigger)
    assert result.exit_code == 1 and f"{bigger}:2: authorisation IMS IMS-1 differs" in result.output
    assert stored(db) == [("authorisation", "IMS-1", 100)]
    assert run(db, bigger, replace=True).exit_code == 0
    assert stored(db) == [("authorisation", "IMS-1", 999999)]


# -- item 4: an unterminated quote ----------------------------------------------------------------


def test_an_unterminated_quote_is_refused_at_the_line_where_it_opened(
    db: str, tmp_path: Path
) -> None:
    rows = [IMS_100.replace("IMS-1", f"IMS-{n}") for n in range(1, 7)]
    rows[2] = rows[2].replace("AAPFU0939F", '"AAPFU0939F')  # line 4
    path = csv_file(tmp_path, *rows)
    result = run(db, path)
    assert result.exit_code == 1
    assert f"{path}:4: a quote opened on this line is not closed on it" in result.output
    assert "imported" not in result.output.replace("nothing imported", "")
    assert stored(db) == []


def test_a_quoted_field_spanning_lines_is_refused(db: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, IMS_100.replace("AAPFU0939F", '"AAPFU\n0939F"'))
    result = run(db, path)
    assert result.exit_code == 1 and f"{path}:2: a quote opened" in result.output


# -- item 20: lengths, characters and lenient numbers ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("quantity", "1_000", "not a plain non-negative number"),
        ("quantity", "١٠٠", "not a plain non-negative number"),
        ("quantity", "-100", "not a plain non-negative number"),
        ("quantity", "1e999", "not a plain non-negative number"),
        ("quantity", "9" * 60, "not a plain non-negative number"),
        ("value_inr", "NaN", "not a plain non-negative number"),
        ("issued_on", "1767225600", "not a date YYYY-MM-DD"),
        ("number", "N" * 101, "at most 100 characters"),
        ("unit", "NOSNOSNOSNOS", "at most 10 characters"),
        ("iec", "AAP\x00FU", "control character"),
    ],
)
def test_bad_values_are_refused_before_the_database_sees_them(
    db: str, tmp_path: Path, field: str, value: str, needle: str
) -> None:
    row = dict(zip(HEADER.split(","), IMS_100.split(","), strict=True))
    row[field] = value
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    result = run(db, path)
    assert result.exit_code == 1
    assert f"{path}:1: {field}" in result.output and needle in result.output, result.output
    assert "Traceback" not in result.output and stored(db) == []


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        (
            {"kind": "agency", "number": "AG-1", "name": "X", "quantity": "5", "unit": "KGS"},
            "quantity, unit: not read for an agency row (its columns are country, issued_on, "
            "name, number, valid_until); leave them empty",
        ),
        (
            {"kind": "exchange_rate", "number": "N/1", "currency": "USD", "rate": "83.25",
             "issued_on": "2026-01-01", "country": "US"},
            "country: not read for an exchange_rate row",
        ),
        (
            {"kind": "authorisation", "scheme": "IMS", "number": "IMS-9", "rate": "1"},
            "rate: not read for an authorisation row",
        ),
        (
            {"kind": "exchange_rate", "number": "N/1", "currency": "US$", "rate": "83.25",
             "issued_on": "2026-01-01"},
            "currency: 'US$' is not an ISO 4217 currency code (three letters)",
        ),
    ],
)  # fmt: skip
def test_a_value_the_row_kind_never_reads_is_refused_not_ignored(
    tmp_path: Path, row: dict[str, str], needle: str
) -> None:
    """An agency row with a quantity limit, or a rate on an authorisation, was stored and never
    read: the operator believed a limit was in force."""
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(row) + "\n")
    db = f"sqlite:///{tmp_path / 'customs.db'}"
    result = run(db, path)
    assert result.exit_code == 1
    assert f"{path}:1: {needle}" in result.output, result.output
    assert stored(db) == []


def test_every_kind_imports_with_the_columns_it_reads(tmp_path: Path) -> None:
    rows = [
        {"kind": "agency", "number": "AG-1", "name": "Inspect Ltd", "country": "AE",
         "issued_on": "2026-01-01", "valid_until": "2026-12-31"},
        {"kind": "exchange_rate", "number": "N/1", "currency": "usd", "rate": "83.25",
         "issued_on": "2026-01-01"},
    ]  # fmt: skip
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    db = f"sqlite:///{tmp_path / 'customs.db'}"
    assert run(db, path).exit_code == 0
    assert stored(db) == [("agency", "AG-1", None), ("exchange_rate", "N/1", None)]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "X", "quantity": 1'
            + "0" * 5000
            + "}",
            "not a plain non-negative number",
        ),
        ("[" * 100_000 + "]" * 100_000, "longer than"),
        ("[" * 20_000 + "]" * 20_000, "nested too deeply"),
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "X", "quantity": "1", '
            '"quantity": "99999"}',
            "key 'quantity' appears twice",
        ),
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "X", "quantity": 1e999}',
            "not a plain non-negative number",
        ),
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "X", "quantity": NaN}',
            "not a number",
        ),
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "X", "issued_on": 1767225600}',
            "issued_on: write it as a string",
        ),
        ('{"kind": "authorisation", "scheme": "IMS", "number": 12345}', "write it as a string"),
    ],
)
def test_hostile_json_lines_are_answered_not_crashed(
    db: str, tmp_path: Path, line: str, needle: str
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"kind": "agency", "number": "PSIA-1"}\n' + line + "\n")
    result = run(db, path)
    assert result.exit_code == 1, result.output
    assert f"{path}:2:" in result.output and needle in result.output, result.output[:500]
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stored(db) == []


def test_a_csv_field_over_the_csv_module_limit_is_a_line_problem(db: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, IMS_100.replace("AAPFU0939F", "A" * 140_000), IMS_100)
    result = run(db, path)
    assert result.exit_code == 1 and f"{path}:2: longer than 65536 characters" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stored(db) == []


def test_a_byte_that_is_not_utf8_is_named_at_its_own_line(tmp_path: Path) -> None:
    """A text stream decodes ahead in blocks: the bad byte on line 300 was reported at the
    line being read when its block was decoded (line 1 or so), and nothing after it was read."""
    rows = [IMS_100.replace("IMS-1,", f"IMS-{n},") for n in range(1, 400)]
    rows[298] = rows[298].replace("AAPFU0939F", "AAPFU0939\xe9")  # line 300 (after the header)
    rows[350] = rows[350].replace("NOS", "NOS\xff")  # line 352
    path = tmp_path / "latin.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("latin-1"))
    result = run(f"sqlite:///{tmp_path / 'customs.db'}", path)
    assert result.exit_code == 1
    named = [line for line in result.output.splitlines() if "not UTF-8" in line]
    assert [line.split(": ")[1] for line in named] == [f"{path}:300", f"{path}:352"], named


def test_bare_carriage_returns_and_a_byte_order_mark_still_read(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r".join([HEADER, IMS_100, ""]).encode())
    db = f"sqlite:///{tmp_path / 'customs.db'}"
    assert run(db, path).exit_code == 0
    assert stored(db) == [("authorisation", "IMS-1", Decimal(100))]


def test_json_numbers_with_a_fraction_are_read_as_the_decimals_they_spell(
    db: str, tmp_path: Path
) -> None:
    """``90.5`` and ``5000000.00`` as JSON numbers, not strings: exact, never via float."""
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"kind": "authorisation", "scheme": "IMS", "number": "IMS-F", "iec": "AAPFU0939F", '
        '"issued_on": "2026-01-05", "quantity": 100.125, "unit": "NOS", '
        '"value_inr": 5000000.10}\n'
    )
    result = run(db, path)
    assert result.exit_code == 0, result.output
    store = SqlRegistry.open(db)
    try:
        [record] = store.records(number="IMS-F")
    finally:
        store.close()
    assert (record.quantity, record.value_inr) == (Decimal("100.125"), Decimal("5000000.10"))


def test_codes_are_compared_in_capitals_and_values_without_surrounding_spaces(
    db: str, tmp_path: Path
) -> None:
    """`` STLV`` is registration STLV and ``innsa1`` the port INNSA1, as the messages write
    them: a registration imported so is found, and its port matches the Bill of Entry's."""
    header = "kind,scheme,number,iec,issued_on,port_code,country_of_origin,unit,quantity"
    row = "registration,sims, STLV ,aapfu0939f,2026-02-01, innsa1,kr,kgs,25000"
    path = tmp_path / "codes.csv"
    path.write_text(f"{header}\n{row}\n")
    assert run(db, path).exit_code == 0
    store = SqlRegistry.open(db)
    try:
        record = store.snapshot().licence("SIMS", "STLV")
    finally:
        store.close()
    assert record is not None
    assert (record.scheme, record.iec, record.port_code, record.country_of_origin, record.unit) == (
        "SIMS",
        "AAPFU0939F",
        "INNSA1",
        "KR",
        "KGS",
    )
