"""``registry import`` against what is already stored: ``--replace`` refuses to restate a limit
in a unit that does not convert from the one committed Bills of Entry debited it in (its balance
would add NOS to MTS); and an import that another import beats to the same rows (two runs of one
file at once) compares them again, answering "unchanged", not a duplicate-key error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.loader import Load
from tests.conftest import MESSAGES, REGISTRY_CSV

BOE = MESSAGES / "02-be-laptops-ims.xml"  # debits 60 NOS of IMS-2026-00042 (limit 100 NOS)
HEADER = REGISTRY_CSV.read_text().splitlines()[0]
IMS_ROW = next(line for line in REGISTRY_CSV.read_text().splitlines() if "IMS-2026-00042" in line)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'customs.db'}"
    return str(request.getfixturevalue("pg_url"))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def restated(tmp_path: Path, quantity: str, unit: str) -> Path:
    path = tmp_path / "restated.csv"
    row = IMS_ROW.replace(",100,NOS,", f",{quantity},{unit},")
    assert row != IMS_ROW
    path.write_text(f"{HEADER}\n{row}\n")
    return path


def committed(db: str) -> None:
    assert run("registry", "import", "--db", db, str(REGISTRY_CSV)).exit_code == 0
    result = run("validate", "--commit", "--no-progress", "--db", db, str(BOE))
    assert "debit  IMS IMS-2026-00042 item 1: 60 / INR" in result.stdout, result.output


def test_replace_refuses_a_unit_the_debits_do_not_convert_from(db: str, tmp_path: Path) -> None:
    committed(db)
    path = restated(tmp_path, "1.5", "MTS")
    result = run("registry", "import", "--replace", "--db", db, str(path))
    assert result.exit_code == 1, result.output
    assert (
        f"{path}:2: authorisation IMS IMS-2026-00042 restates its limit as 1.5 MTS, but 60 NOS "
        "are already debited against it by committed Bills of Entry, and NOS does not convert "
        "to MTS; nothing is replaced"
    ) in result.stderr
    assert f"{path}: nothing imported" in result.stderr
    shown = run("registry", "show", "--db", db, "IMS-2026-00042").stdout
    assert "limits:   100 NOS" in shown and "remaining: 40 NOS" in shown


def test_replace_takes_a_unit_the_debits_convert_from(db: str, tmp_path: Path) -> None:
    committed(db)
    path = restated(tmp_path, "120", "PCS")  # a count as NOS is
    result = run("registry", "import", "--replace", "--db", db, str(path))
    assert result.exit_code == 0, result.output
    assert "remaining: 60 PCS" in run("registry", "show", "--db", db, "IMS-2026-00042").stdout


def test_replace_takes_any_unit_when_nothing_is_debited(db: str, tmp_path: Path) -> None:
    assert run("registry", "import", "--db", db, str(REGISTRY_CSV)).exit_code == 0
    path = restated(tmp_path, "1.5", "MTS")
    assert run("registry", "import", "--replace", "--db", db, str(path)).exit_code == 0


class Beaten(Load):
    """An import that another import of the same file beats to the write: that one stores the
    rows after this one compared them with the stored rows, before it writes."""

    def __init__(self, store: Any, path: str, **options: Any):
        super().__init__(store, **options)
        self.path = path
        self.beaten = False

    def _compare_with_stored(self, *args: Any) -> None:
        super()._compare_with_stored(*args)
        if not self.beaten:
            self.beaten = True
            [other] = Load(self.store, replace=self.replace).run([self.path])
            assert other.imported == 7, other


@pytest.mark.parametrize("replace", [False, True])
def test_an_import_beaten_to_the_same_rows_finds_them_unchanged(db: str, replace: bool) -> None:
    store = SqlRegistry.open(db)
    try:
        [outcome] = Beaten(store, str(REGISTRY_CSV), replace=replace).run([str(REGISTRY_CSV)])
        assert not outcome.problems
        assert (outcome.imported, outcome.unchanged) == (0, 7)
        assert len(store.records()) == 7
    finally:
        store.close()


def test_an_import_beaten_by_different_rows_reports_the_conflict(db: str, tmp_path: Path) -> None:
    mine = restated(tmp_path, "150", "NOS")
    store = SqlRegistry.open(db)
    try:
        [outcome] = Beaten(store, str(REGISTRY_CSV)).run([str(mine)])
        assert outcome.failed and outcome.imported == 0
        assert "differs from the stored row" in outcome.problems[0]
        assert "quantity 100 → 150" in outcome.problems[0]
    finally:
        store.close()
