"""``validate`` without ``--commit`` changes nothing in the registry database, byte for byte: no
schema in an empty file or PostgreSQL schema, no switch to WAL, and a read-only registry works
(issue 18 item 11)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.conftest import MESSAGES, REGISTRY_CSV

BOE = MESSAGES / "02-be-laptops-ims.xml"


def customs(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "customs_engine.cli", *args], capture_output=True, timeout=120
    )


BOE = MESSAGES / "02-be-laptops-ims.xml"


def validate(db: str) -> subprocess.CompletedProcess[bytes]:
    result = customs("validate", "--db", db, "--no-progress", "--format", "jsonl", str(BOE))
    assert b"Traceback" not in result.stderr
    return result


BOE = MESSAGES / "02-be-laptops-ims.xml"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


BOE = MESSAGES / "02-be-laptops-ims.xml"


def rollback_journal_registry(path: Path) -> None:
    assert (
        customs("registry", "import", "--db", f"sqlite:///{path}", str(REGISTRY_CSV)).returncode
        == 0
    )
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()


BOE = MESSAGES / "02-be-laptops-ims.xml"


def test_an_empty_file_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "customs.db"
    path.touch()
    before = snapshot(tmp_path)
    result = validate(f"sqlite:///{path}")
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"holds no registry yet" in result.stderr
    assert snapshot(tmp_path) == before


BOE = MESSAGES / "02-be-laptops-ims.xml"


def test_a_registry_file_is_read_and_left_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "customs.db"
    rollback_journal_registry(path)
    before = snapshot(tmp_path)
    result = validate(f"sqlite:///{path}")
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b'"remaining_quantity":"40"' in result.stdout.replace(b" ", b"")  # it was read
    assert snapshot(tmp_path) == before
    journal = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "delete"  # not switched to WAL


BOE = MESSAGES / "02-be-laptops-ims.xml"


def test_a_read_only_registry_works(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "customs.db"
    rollback_journal_registry(path)
    before = snapshot(folder)
    path.chmod(0o444)
    immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    folder.chmod(0o555)
    try:
        if os.access(path, os.W_OK) and not immutable:
            pytest.skip("cannot make the registry read-only here")
        result = validate(f"sqlite:///{path}")
        assert result.returncode in (0, 1), result.stderr.decode()
        assert b'"remaining_quantity":"40"' in result.stdout.replace(b" ", b"")
    finally:
        folder.chmod(0o755)
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    assert snapshot(folder) == before


@pytest.mark.postgres
def test_an_empty_postgresql_schema_stays_empty(pg_url: str) -> None:
    result = validate(pg_url)
    assert result.returncode in (0, 1), result.stderr.decode()
    assert b"holds no registry yet" in result.stderr
    engine = create_engine(pg_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
