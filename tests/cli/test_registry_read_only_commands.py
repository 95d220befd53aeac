"""The commands that only read the registry (``registry list | show | history``, ``tokens
list``) and ``tokens revoke`` create nothing in a database that holds no registry — an empty
SQLite file, another application's database, an empty PostgreSQL schema: they say so (exit 2),
as for a SQLite file that does not exist. A registry at an older schema revision is migrated as
before; one at a revision this version does not know (a newer customs-engine's) is refused with
that reason. ``registry where`` masks a password like every other message. The commands that
only read leave a registry file byte for byte (its journal mode too); a SQLite file is switched
to WAL only by a command that writes, once it is known to hold a registry."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect, text

from customs_engine.cli import main
from tests.conftest import FIXTURES, MESSAGES, REGISTRY_CSV

BOE = MESSAGES / "02-be-laptops-ims.xml"
READERS = [
    ("registry", "list"),
    ("registry", "show", "IMS-2026-00042"),
    ("registry", "history", "BE-INNSA1-000123"),
    ("tokens", "list"),
    ("tokens", "revoke", "abc"),
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def holds_no_registry(result: Result, url: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"customs: the database at {url} holds no registry (nothing is created: "
        "'customs registry import' creates it)"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_an_empty_sqlite_file_stays_empty(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    before = snapshot(tmp_path)
    url = f"sqlite:///{path}"
    holds_no_registry(run(*args, "--db", url), url)
    assert snapshot(tmp_path) == before  # no schema, no -wal or -shm file


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_another_applications_database_is_left_alone(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = tmp_path / "theirs.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE mine (x INTEGER)")
    connection.execute("INSERT INTO mine VALUES (1)")
    connection.commit()
    connection.close()
    before = snapshot(tmp_path)
    url = f"sqlite:///{path}"
    holds_no_registry(run(*args, "--db", url), url)
    assert snapshot(tmp_path) == before
    tables = sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("mine",)]


@pytest.mark.postgres
@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_an_empty_postgresql_schema_stays_empty(pg_url: str, args: tuple[str, ...]) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE mine (x INTEGER)"))
        holds_no_registry(run(*args, "--db", pg_url), pg_url)
        assert inspect(engine).get_table_names() == ["mine"]
    finally:
        engine.dispose()


def test_import_and_tokens_create_still_create_the_schema_there(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    url = f"sqlite:///{path}"
    assert run("registry", "import", "--db", url, str(REGISTRY_CSV)).exit_code == 0
    assert "IMS-2026-00042" in run("registry", "list", "--db", url).stdout
    assert run("tokens", "list", "--db", url).exit_code == 0


def test_a_registry_at_an_older_revision_is_still_migrated(tmp_path: Path) -> None:
    """Unchanged: the first reader migrates an older schema (it is ours, and known)."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "registry-0001.db", path)
    result = run("registry", "list", "--db", f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert "AUTH-1" in result.stdout


def newer(tmp_path: Path) -> str:
    """A registry whose schema a newer customs-engine wrote (a revision this one lacks)."""
    path = tmp_path / "newer.db"
    url = f"sqlite:///{path}"
    assert run("registry", "import", "--db", url, str(REGISTRY_CSV)).exit_code == 0
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = 'zzzz9999'")
    connection.commit()
    connection.close()
    return url


NEWER = (
    "its schema is at revision zzzz9999, which this version of customs-engine does not know: "
    "the database was written by a newer customs-engine (or by another application), and an "
    "older one cannot migrate it"
)


@pytest.mark.parametrize(
    "args",
    [
        ("registry", "list"),
        ("tokens", "list"),
        ("registry", "import", str(REGISTRY_CSV)),
        ("tokens", "create", "--scope", "validate"),
        ("validate", "--commit", str(MESSAGES / "02-be-laptops-ims.xml")),
        ("validate", str(MESSAGES / "02-be-laptops-ims.xml")),
    ],
    ids=" ".join,
)
def test_a_newer_schema_is_refused_and_never_migrated(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = newer(tmp_path)
    before = snapshot(tmp_path)
    result = run(*args, "--db", url)
    assert result.exit_code == 2, result.output
    assert f"customs: cannot open registry {url}: {NEWER}" in result.stderr
    assert "migrate it" not in result.stderr.replace("cannot migrate it", "")
    assert "Traceback" not in result.output
    after = snapshot(tmp_path)
    assert {name: data for name, (data, _) in after.items() if name == "newer.db"} == {
        name: data for name, (data, _) in before.items() if name == "newer.db"
    }


def test_registry_where_masks_the_password() -> None:
    url = "postgresql://postgres:s3cret@127.0.0.1:5432/x"
    result = run("registry", "where", "--db", url)
    assert result.exit_code == 0
    assert result.stdout.strip() == "postgresql://postgres:***@127.0.0.1:5432/x"
    assert "s3cret" not in result.output


def test_registry_where_prints_a_url_without_password_as_it_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert run("registry", "where", "--db", url).stdout.strip() == url


def test_a_sqlite_uri_filename_is_found(tmp_path: Path) -> None:
    """``sqlite:///file:PATH?mode=ro&uri=true`` names PATH: an existing registry opened so is
    read, not reported as missing."""
    path = tmp_path / "customs.db"
    assert run("registry", "import", "--db", f"sqlite:///{path}", str(REGISTRY_CSV)).exit_code == 0
    url = f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
    result = run("registry", "list", "--db", url)
    assert result.exit_code == 0, result.output
    assert "IMS-2026-00042" in result.stdout
    missing = f"sqlite:///file:{quote(str(tmp_path / 'typo.db'))}?mode=ro&uri=true"
    result = run("registry", "list", "--db", missing)
    assert result.exit_code == 2 and "no registry database at" in result.stderr
    assert not (tmp_path / "typo.db").exists()


def rollback_journal_registry(path: Path) -> str:
    """A registry file in SQLite's rollback-journal mode (as an operator may keep it), with a
    committed Bill of Entry."""
    url = f"sqlite:///{path}"
    assert run("registry", "import", "--db", url, str(REGISTRY_CSV)).exit_code == 0
    committed = run("validate", "--commit", "--no-progress", "--db", url, str(BOE))
    assert committed.exit_code in (0, 1), committed.output
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    return url


@pytest.mark.parametrize(
    "args",
    [
        ("registry", "list"),
        ("registry", "show", "IMS-2026-00042"),
        ("registry", "history", "BE-INNSA1-000123"),
        ("tokens", "list"),
    ],
    ids=" ".join,
)
def test_a_command_that_only_reads_leaves_the_file_byte_for_byte(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """They wrote nothing but switched the file to WAL (its header changed, -wal and -shm files
    came and went)."""
    path = tmp_path / "customs.db"
    url = rollback_journal_registry(path)
    before = snapshot(tmp_path)
    result = run(*args, "--db", url)
    assert result.exit_code == 0, result.output
    assert snapshot(tmp_path) == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_command_that_writes_still_switches_a_registry_to_wal(tmp_path: Path) -> None:
    path = tmp_path / "customs.db"
    url = rollback_journal_registry(path)
    assert run("tokens", "revoke", "nope", "--db", url).exit_code == 1  # opened to write
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_import_into_another_applications_file_leaves_its_journal_mode(
    tmp_path: Path,
) -> None:
    """Its own table named like the registry's: the migration fails (exit 2, every table left
    as it was), and its journal mode is no longer switched to WAL first."""
    path = tmp_path / "theirs.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE registry_record (id INTEGER, foo TEXT)")
    connection.execute("INSERT INTO registry_record VALUES (1, 'keep')")
    connection.commit()
    connection.close()
    before = snapshot(tmp_path)
    result = run("registry", "import", "--db", f"sqlite:///{path}", str(REGISTRY_CSV))
    assert result.exit_code == 2, result.output
    assert "table registry_record already exists" in result.stderr
    assert snapshot(tmp_path) == before
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_new_registry_is_created_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert run("registry", "import", "--db", f"sqlite:///{path}", str(REGISTRY_CSV)).exit_code == 0
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
