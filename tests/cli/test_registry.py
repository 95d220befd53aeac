"""``customs registry import | show | list`` and the database URL rules (SPEC §8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from tests.conftest import MESSAGES, REGISTRY_CSV

HEADER = (
    "kind,scheme,number,iec,issued_on,valid_until,hs_codes,quantity,unit,value_inr,"
    "country_of_origin,port_code,expected_arrival,fee_paid_inr,name,country,currency,rate"
)


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_import_example_then_show_and_list(sqlite_url: str) -> None:
    result = run("registry", "import", "--db", sqlite_url, str(REGISTRY_CSV))
    assert result.exit_code == 0, result.output
    rows = len(REGISTRY_CSV.read_text().splitlines()) - 1
    assert f"imported {rows} rows" in result.output
    shown = run("registry", "show", "--db", sqlite_url, "IMS-2026-00042").output
    assert "holder:   AAPFU0939F" in shown
    assert "2026-01-05 to 2026-12-31" in shown
    assert "limits:   100 NOS / INR 5000000.00" in shown
    assert "remaining: 100 NOS / INR 5000000.00" in shown
    listed = run("registry", "list", "--db", sqlite_url).output.splitlines()
    assert len(listed) == rows
    assert any("exchange_rate" in line and "USD 83.25" in line for line in listed)


def test_reimport_replaces_rows_only_when_asked(sqlite_url: str, tmp_path: Path) -> None:
    run("registry", "import", "--db", sqlite_url, str(REGISTRY_CSV))
    changed = tmp_path / "more.jsonl"
    changed.write_text(
        json.dumps(
            {
                "kind": "authorisation",
                "scheme": "IMS",
                "number": "IMS-2026-00042",
                "iec": "AAPFU0939F",
                "quantity": 150,
                "unit": "NOS",
                "value_inr": "7500000.00",
            }
        )
        + "\n"
    )
    refused = CliRunner().invoke(main, ["registry", "import", "--db", sqlite_url, str(changed)])
    assert refused.exit_code == 1
    assert (
        f"{changed}:1: authorisation IMS IMS-2026-00042 differs from the stored row"
        in refused.output
        and "quantity 100 → 150" in refused.output
    )
    assert run("registry", "import", "--db", sqlite_url, "--replace", str(changed)).exit_code == 0
    store = SqlRegistry.open(sqlite_url)
    record = store.snapshot().licence("IMS", "IMS-2026-00042")
    store.close()
    assert record is not None and record.quantity == 150


def test_import_counts_only_rows_it_wrote(sqlite_url: str, tmp_path: Path) -> None:
    """A row repeated in the file, or equal to the stored one, is not counted as imported: the
    message used to say "imported 2 rows" for a file holding one row twice."""
    row = "authorisation,IMS,IMS-1,AAPFU0939F,2026-01-05,,,10,NOS,100.00,,,,,,,,"
    twice = tmp_path / "twice.csv"
    twice.write_text(f"{HEADER}\n{row}\n{row}\n")
    first = run("registry", "import", "--db", sqlite_url, str(twice))
    assert first.exit_code == 0, first.output
    assert first.output == (
        f"{twice}: imported 1 row; 1 row repeating an earlier row of this import\n"
    )
    changed = tmp_path / "changed.csv"
    changed.write_text(
        f"{HEADER}\n{row.replace(',10,', ',20,')}\n{row.replace('IMS-1', 'IMS-2')}\n"
    )
    replaced = run("registry", "import", "--db", sqlite_url, "--replace", str(changed))
    assert replaced.output == f"{changed}: imported 2 rows (1 replacing a stored row)\n"
    again = run("registry", "import", "--db", sqlite_url, str(changed))
    assert again.output == f"{changed}: imported 0 rows; 2 rows unchanged (already stored)\n"


def test_bad_row_names_file_and_line_and_imports_nothing_of_that_file(
    sqlite_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join(
            [
                HEADER,
                "authorisation,IMS,IMS-1,AAPFU0939F,2026-01-05,,,10,NOS,100.00,,,,,,,,",
                "authorisation,IMS,IMS-2,AAPFU0939F,2026-13-45,,,10,NOS,100.00,,,,,,,,",
            ]
        )
        + "\n"
    )
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"kind": "agency", "number": "PSIA-1", "name": "X"}) + "\n")
    result = CliRunner().invoke(
        main, ["registry", "import", "--db", sqlite_url, str(bad), str(good)]
    )
    assert result.exit_code == 1
    assert f"{bad}:3: issued_on" in result.output
    assert f"{bad}: nothing imported" in result.output
    store = SqlRegistry.open(sqlite_url)
    numbers = [r.number for r in store.records()]
    store.close()
    assert numbers == ["PSIA-1"]


@pytest.mark.parametrize(
    "line, problem",
    [
        ('{"kind": "licence", "number": "X"}', "kind"),
        ('{"kind": "exchange_rate", "number": "N", "currency": "USD"}', "without rate, issued_on"),
        ('{"kind": "authorisation", "number": "N", "colour": "red"}', "colour"),
        ("[1, 2]", "JSON object"),
        ("{not json", "not JSON"),
    ],
)
def test_jsonl_problems(sqlite_url: str, tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"kind": "agency", "number": "PSIA-1"}\n' + line + "\n")
    result = CliRunner().invoke(main, ["registry", "import", "--db", sqlite_url, str(path)])
    assert result.exit_code == 1
    assert f"{path}:2:" in result.output and problem in result.output


def test_customs_db_environment_and_default_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'env.db'}"
    assert run("registry", "import", str(REGISTRY_CSV), env={"CUSTOMS_DB": url}).exit_code == 0
    assert (tmp_path / "env.db").exists() and not (tmp_path / "customs.db").exists()
    monkeypatch.delenv("CUSTOMS_DB", raising=False)
    listed = CliRunner().invoke(main, ["registry", "list"])
    assert listed.exit_code == 2  # the default (not yet created) is not the working directory
    assert "no registry database at sqlite:///" in listed.stderr and "env.db" not in listed.stderr
    assert not (tmp_path / "customs.db").exists()


def test_the_default_registry_follows_the_user_not_the_working_directory(
    tmp_path: Path, monkeypatch, _private_user_data_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    default = _private_user_data_dir / "customs-engine" / "customs.db"
    monkeypatch.delenv("CUSTOMS_DB", raising=False)
    for where in (tmp_path / "a", tmp_path / "b"):
        where.mkdir()
        monkeypatch.chdir(where)
        result = run("registry", "where")
        assert result.exit_code == 0 and result.output.strip() == f"sqlite:///{default}"
    assert run("registry", "import", str(REGISTRY_CSV)).exit_code == 0
    assert default.exists() and not list(tmp_path.rglob("customs.db"))
    monkeypatch.chdir(tmp_path / "a")
    assert "IMS-2026-00042" in run("registry", "list").output  # found from another directory


def test_customs_db_and_db_option_win_over_the_default(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env_url, option_url = f"sqlite:///{tmp_path / 'env.db'}", f"sqlite:///{tmp_path / 'opt.db'}"
    assert run("registry", "where", env={"CUSTOMS_DB": env_url}).output.strip() == env_url
    result = CliRunner().invoke(
        main, ["registry", "where", "--db", option_url], env={"CUSTOMS_DB": env_url}
    )
    assert result.output.strip() == option_url


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql+psycopg://u@127.0.0.1/db", "pip install 'customs-engine[postgres]'"),
        ("postgresql+psycopg2://u@127.0.0.1/db", "pip install psycopg2-binary"),
        ("postgresql+asyncpg://u@127.0.0.1/db", "asynchronous driver"),
        ("mysql://u@127.0.0.1/db", "database driver for 'mysql'"),
    ],
)
def test_a_missing_database_driver_names_what_to_install(url, hint, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "MySQLdb", None)
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    result = CliRunner().invoke(main, ["registry", "list", "--db", url])
    assert result.exit_code == 2
    assert hint in result.stderr and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_show_unknown_number(sqlite_url: str) -> None:
    run("registry", "import", "--db", sqlite_url, str(REGISTRY_CSV))
    result = CliRunner().invoke(main, ["registry", "show", "--db", sqlite_url, "NOPE"])
    assert result.exit_code == 1 and "not in the registry" in result.output


def test_unreachable_database_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["registry", "list", "--db", "nosuchdialect://x"])
    assert result.exit_code == 2 and "cannot open registry" in result.output


def test_a_password_in_the_database_url_is_never_printed() -> None:
    url = "postgresql://someone:s3cret@127.0.0.1:1/nothing"
    result = CliRunner().invoke(main, ["registry", "list", "--db", url])
    assert result.exit_code == 2 and "cannot open registry" in result.output
    assert "s3cret" not in result.output and "someone:***@127.0.0.1:1" in result.output


def test_every_committed_entry_names_its_run(sqlite_url: str) -> None:
    """The ledger says which run wrote each entry; two runs are told apart."""
    runner = CliRunner()
    assert runner.invoke(main, ["registry", "import", "--db", sqlite_url, str(REGISTRY_CSV)])
    original = MESSAGES / "02-be-laptops-ims.xml"
    runner.invoke(main, ["validate", "--db", sqlite_url, "--commit", str(original)])
    text = original.read_text().replace('function="original"', 'function="amendment"')
    amended = Path(sqlite_url.removeprefix("sqlite:///")).with_name("amended.xml")
    amended.write_text(text.replace(">60<", ">50<"))
    runner.invoke(main, ["validate", "--db", sqlite_url, "--commit", str(amended)])
    store = SqlRegistry.open(sqlite_url)
    try:
        runs = [entry.run_id for entry in store.entries_of("IMS", "IMS-2026-00042")]
    finally:
        store.close()
    assert len(runs) == 3 and all(runs)  # the debit, its reversal, the amended debit
    assert runs[0] != runs[1] == runs[2]
    shown = runner.invoke(main, ["registry", "show", "--db", sqlite_url, "IMS-2026-00042"])
    assert f"run {runs[0]}" in shown.output and "run -" not in shown.output
    # the time of each entry is India time with its offset, on SQLite too (it kept no zone and
    # printed the UTC wall-clock time as if it were local)
    times = re.findall(r" at (\S+)", shown.output)
    assert len(times) == 3 and all(t.endswith("+05:30") for t in times), shown.output
    history = runner.invoke(main, ["registry", "history", "--db", sqlite_url, "BE-INNSA1-000123"])
    assert "+05:30" in history.output and "+00:00" not in history.output, history.output


@pytest.mark.parametrize(
    "args",
    [
        ("registry", "list"),
        ("registry", "show", "IMS-2026-00042"),
        ("registry", "history", "BE-INNSA1-000123"),
        ("tokens", "list"),
        ("tokens", "revoke", "abc"),
    ],
)
@pytest.mark.parametrize("by_env", [False, True])
def test_reading_a_registry_that_does_not_exist_creates_nothing(
    tmp_path: Path, args: tuple[str, ...], by_env: bool
) -> None:
    """A mistyped --db (or CUSTOMS_DB) is reported, not created empty and listed as nothing."""
    url = f"sqlite:///{tmp_path / 'typo.db'}"
    option = [] if by_env else ["--db", url]
    result = CliRunner().invoke(main, [*args, *option], env={"CUSTOMS_DB": url} if by_env else {})
    assert result.exit_code == 2, result.output
    assert f"customs: no registry database at {url}" in result.stderr
    assert "'customs registry import' creates it" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "typo.db").exists()


def test_import_and_tokens_create_still_create_the_database(tmp_path: Path) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert run("registry", "import", "--db", first, str(REGISTRY_CSV)).exit_code == 0
    assert run("tokens", "create", "--scope", "validate", "--db", second).exit_code == 0
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()
    assert "IMS-2026-00042" in run("registry", "list", "--db", first).output
    assert run("registry", "list", "--db", second).exit_code == 0  # empty, but it exists


@pytest.mark.parametrize(
    "row, problem",
    [
        (
            "authorisation,IMS,IMS-9,AAPFU0939F,2026-01-05,2025-12-31,8471,10,NOS,100.00,,,,,,,,",
            "valid_until: 2025-12-31 is before issued_on 2026-01-05",
        ),
        (
            "authorisation,IMS,IMS-9,AAPFU0939F,2026-01-05,2026-12-31,8471,10,,100.00,,,,,,,,",
            "unit: missing; a quantity limit (10) is counted in a unit",
        ),
        (
            "authorisation,IMS,IMS-9,AAPFU0939F,2026-01-05",
            "fewer fields than the 18 header columns (none for valid_until, hs_codes,",
        ),
    ],
)
def test_csv_rows_that_cannot_be_right_import_nothing(
    sqlite_url: str, tmp_path: Path, row: str, problem: str
) -> None:
    path = tmp_path / "rows.csv"
    good = "registration,SIMS,STL-1,AABCB1234C,2026-02-01,,7208,25000,KGS,1400000.00,,,,,,,,"
    path.write_text("\n".join([HEADER, good, row]) + "\n")
    result = CliRunner().invoke(main, ["registry", "import", "--db", sqlite_url, str(path)])
    assert result.exit_code == 1
    assert f"customs: {path}:3: {problem}" in result.stderr
    assert f"{path}: nothing imported" in result.stderr
    store = SqlRegistry.open(sqlite_url)
    assert store.records() == []  # not even the good row before it
    store.close()


@pytest.mark.parametrize(
    "line, problem",
    [
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "A1", "issued_on": "2026-01-05",'
            ' "valid_until": "2025-12-31", "quantity": 100, "unit": "NOS"}',
            "valid_until: 2025-12-31 is before issued_on 2026-01-05",
        ),
        (
            '{"kind": "authorisation", "scheme": "IMS", "number": "A1", "quantity": 100}',
            "unit: missing; a quantity limit (100) is counted in a unit",
        ),
        ('{"kind": "agency", "number": "P", "bogus": 1}', "bogus: not a known column"),
        ('{"kind": "agency", "number": "P", "bogus": "x"}', "bogus: not a known column"),
        ('{"kind": "agency", "number": "P", "name": 1}', "name: write it as a string"),
    ],
)
def test_jsonl_rows_that_cannot_be_right(
    sqlite_url: str, tmp_path: Path, line: str, problem: str
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"kind": "agency", "number": "PSIA-1"}\n' + line + "\n")
    result = CliRunner().invoke(main, ["registry", "import", "--db", sqlite_url, str(path)])
    assert result.exit_code == 1
    assert f"customs: {path}:2: {problem}" in result.stderr
    store = SqlRegistry.open(sqlite_url)
    assert store.records() == []
    store.close()


def test_an_empty_valid_until_is_left_to_the_rules(sqlite_url: str, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        HEADER
        + "\nregistration,SIMS,STL-1,AABCB1234C,2026-02-01,,7208,25000,KGS,1400000.00,,,,,,,,\n"
    )
    assert run("registry", "import", "--db", sqlite_url, str(path)).exit_code == 0
    assert (
        "to not on record (the scheme's rules date it)"
        in run("registry", "show", "--db", sqlite_url, "STL-1").output
    )


@pytest.mark.parametrize("far", ["9999-12-01", "0001-01-01", "2200-01-01", "1949-12-31"])
def test_a_registry_date_outside_the_message_range_is_refused(
    sqlite_url: str, tmp_path: Path, far: str
) -> None:
    """The schemes take issue dates from the registry: 9999-12-01 overflowed SIMS's validity
    arithmetic (CORE-PLUGIN-001 blamed the plugin)."""
    rows = tmp_path / "far.csv"
    rows.write_text(
        HEADER + f"\nregistration,SIMS,STL-1,AABCB1234C,{far},,7208,25000,KGS,1400000.00,,,,,,,,\n"
    )
    result = run("registry", "import", "--db", sqlite_url, str(rows))
    assert result.exit_code == 1
    assert f"{rows}:2: issued_on" in result.output and "outside the accepted range" in result.output


def test_a_fifo_or_a_device_is_refused_not_read_forever(sqlite_url: str, tmp_path: Path) -> None:
    """A FIFO may never end and /dev/zero never gives a line break: the import hung."""
    import os

    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    result = run("registry", "import", "--db", sqlite_url, str(fifo), str(zero))
    assert result.exit_code == 1
    assert (
        f"{fifo}: FIFO, not a regular file (refused: it could block or never end)" in result.output
    )
    assert f"{zero}: character device, not a regular file" in result.output


def test_a_token_name_on_two_lines_is_refused(sqlite_url: str) -> None:
    """``tokens list`` prints one token a line: a name holding a line break read as another."""
    result = run("tokens", "create", "--db", sqlite_url, "--scope", "validate", "--name", "a\nb")
    assert result.exit_code == 2
    assert "must be printable text on one line" in result.output
    assert (
        run("tokens", "create", "--db", sqlite_url, "--scope", "validate", "--name", "ci").exit_code
        == 0
    )


def test_show_lists_what_was_debited_of_a_licence_not_on_record(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Committed Bills of Entry debit a licence the registry does not hold yet: its entries
    were invisible until its row was imported (and then silently counted)."""
    store = SqlRegistry.open(sqlite_url)  # a registry, without the example rows
    store.close()
    committed = run(
        "validate", "--commit", "--db", sqlite_url, str(MESSAGES / "02-be-laptops-ims.xml")
    )
    assert committed.exit_code == 1, committed.output  # queried: the licence is not on record
    shown = run("registry", "show", "--db", sqlite_url, "IMS-2026-00042")
    assert shown.exit_code == 1
    assert "IMS-2026-00042 is not in the registry" in shown.stderr
    assert "IMS IMS-2026-00042: no registry row (no holder, dates or limits)" in shown.stdout
    assert "debit    BE-INNSA1-000123 (original) item 1: 60 NOS / INR 3000000.00" in shown.stdout
