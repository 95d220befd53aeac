"""A registry write that fails (a full disk, a read-only database) stops ``registry import`` and
``tokens create | revoke`` with one line on stderr naming the database (password masked) and the
database's reason, exit code 2, and nothing half-written: never a traceback with SQL in it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, event

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry, database
from tests.conftest import MESSAGES, REGISTRY_CSV

BOE = MESSAGES / "02-be-laptops-ims.xml"

ROWS = len(REGISTRY_CSV.read_text().splitlines()) - 1
HEADER = "kind,scheme,number,iec,issued_on,quantity,unit,value_inr"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def big_csv(tmp_path: Path, rows: int = 3000) -> Path:
    path = tmp_path / "big.csv"
    lines = [
        f"authorisation,IMS,IMS-BIG-{n:05d},AAPFU0939F,2026-01-05,{n + 1},NOS,{n}00.00"
        for n in range(rows)
    ]
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def one_line_failure(result: Result, needle: str) -> str:
    """The command's only stderr line, which must hold ``needle``; no traceback, no SQL."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0], lines[0]
    for leak in ("Traceback", "[SQL:", "INSERT INTO", "sqlalche.me", "OperationalError"):
        assert leak not in result.output
    return lines[0]


def numbers(url: str) -> list[str]:
    store = SqlRegistry.open(url)
    try:
        return [record.number for record in store.records()]
    finally:
        store.close()


def read_only_url(path: Path) -> str:
    return f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "customs.db"
    assert run("registry", "import", "--db", f"sqlite:///{path}", str(REGISTRY_CSV)).exit_code == 0
    return path


@pytest.fixture
def full_disk(registry: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The registry's disk is full: SQLite may not grow the file by a single page (SQLite's
    own SQLITE_FULL, "database or disk is full", as on a full file system)."""
    connection = sqlite3.connect(registry)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.close()
    create = database.create

    def full(url: str, **options: Any) -> Engine:
        engine = create(url, **options)

        @event.listens_for(engine, "connect")
        def _limit(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        return engine

    monkeypatch.setattr(database, "create", full)
    yield f"sqlite:///{registry}"


def test_an_import_on_a_full_disk_is_one_line_and_imports_nothing(
    full_disk: str, tmp_path: Path
) -> None:
    before = numbers(full_disk)
    result = run("registry", "import", "--db", full_disk, str(big_csv(tmp_path)))
    line = one_line_failure(result, "database or disk is full")
    assert line == (
        f"customs: cannot import into the registry {full_disk}: database or disk is full; "
        "nothing imported"
    )
    assert result.stdout == ""
    assert numbers(full_disk) == before and len(before) == ROWS  # not half-written


def test_a_replacing_import_on_a_full_disk_replaces_nothing(full_disk: str, tmp_path: Path) -> None:
    """``--replace`` deletes the rows it replaces in the same transaction as it inserts."""
    changed = tmp_path / "changed.csv"
    changed.write_text(
        f"{HEADER}\nauthorisation,IMS,IMS-2026-00042,AAPFU0939F,2026-01-05,150,NOS,7500000.00\n"
    )
    bigger = big_csv(tmp_path)
    result = run("registry", "import", "--replace", "--db", full_disk, str(changed), str(bigger))
    one_line_failure(result, "database or disk is full; nothing imported")
    store = SqlRegistry.open(full_disk)
    try:
        record = store.snapshot().licence("IMS", "IMS-2026-00042")
    finally:
        store.close()
    assert record is not None and record.quantity == 100  # the stored row is still there


def test_an_import_into_a_read_only_database(registry: Path) -> None:
    url = read_only_url(registry)
    extra = registry.with_name("agency.csv")
    extra.write_text("kind,number,name,country\nagency,PSIA-NEW,New agency,AE\n")
    result = run("registry", "import", "--db", url, str(extra))
    assert one_line_failure(result, "attempt to write a readonly database") == (
        f"customs: cannot import into the registry {url}: attempt to write a readonly "
        "database; nothing imported"
    )
    assert "PSIA-NEW" not in numbers(f"sqlite:///{registry}")


def test_tokens_create_in_a_read_only_database(registry: Path) -> None:
    url = read_only_url(registry)
    result = run("tokens", "create", "--scope", "validate", "--db", url)
    assert one_line_failure(result, "attempt to write a readonly database") == (
        f"customs: cannot create a token in the registry {url}: attempt to write a readonly "
        "database; none created"
    )
    assert result.stdout == ""  # no token printed that was never stored
    listed = run("tokens", "list", "--db", f"sqlite:///{registry}")
    assert listed.exit_code == 0 and listed.stdout == ""


def test_tokens_revoke_in_a_read_only_database(registry: Path) -> None:
    writable = f"sqlite:///{registry}"
    created = run("tokens", "create", "--scope", "commit", "--db", writable)
    assert created.exit_code == 0
    token_id = run("tokens", "list", "--db", writable).stdout.split()[0]
    result = run("tokens", "revoke", token_id, "--db", read_only_url(registry))
    one_line_failure(result, "attempt to write a readonly database; nothing revoked")
    assert "active" in run("tokens", "list", "--db", writable).stdout


def test_a_full_temporary_directory_is_one_line_too(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import stages its rows in a temporary SQLite file first."""
    import tempfile

    def no_room(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_room)
    result = run("registry", "import", "--db", f"sqlite:///{registry}", str(REGISTRY_CSV))
    one_line_failure(
        result, "cannot stage the import in a temporary directory: No space left on device"
    )


@pytest.mark.postgres
def test_a_read_only_postgresql_session_names_the_database_without_its_password(
    pg_url: str, tmp_path: Path
) -> None:
    assert run("registry", "import", "--db", pg_url, str(REGISTRY_CSV)).exit_code == 0
    base, _, options = pg_url.partition("?options=")
    secret = base.replace("postgres@", "postgres:s3cret@", 1)  # trust auth: not checked
    read_only = f"{secret}?options={options}{quote(' -cdefault_transaction_read_only=on')}"
    extra = tmp_path / "agency.csv"
    extra.write_text("kind,number,name,country\nagency,PSIA-NEW,New agency,AE\n")
    result = run("registry", "import", "--db", read_only, str(extra))
    line = one_line_failure(result, "read-only transaction")
    assert "s3cret" not in result.output and "postgres:***@" in line
    assert line.startswith("customs: cannot import into the registry postgresql")
    assert line.endswith("; nothing imported")
    assert "PSIA-NEW" not in numbers(pg_url)


@pytest.mark.postgres
def test_a_commit_refused_by_a_read_only_postgresql_session_says_so(pg_url: str) -> None:
    """The database's own words, not the driver's exception class; and not "run again once the
    database is back", which a read-only role never is."""
    assert run("registry", "import", "--db", pg_url, str(REGISTRY_CSV)).exit_code == 0
    base, _, options = pg_url.partition("?options=")
    read_only = f"{base}?options={options}{quote(' -cdefault_transaction_read_only=on')}"
    result = run("validate", "--commit", "--no-progress", "--db", read_only, str(BOE))
    assert result.exit_code == 2, result.output
    assert "registry database failed: cannot execute" in result.stderr
    assert "in a read-only transaction" in result.stderr
    assert "Run again with a database (a role, a file) that may be written to" in result.stderr
    for leak in ("psycopg", "ReadOnlySqlTransaction", "once the database is back", "Traceback"):
        assert leak not in result.output


def test_an_import_stopped_by_sigterm_leaves_no_staging_copy_and_imports_nothing(
    tmp_path: Path,
) -> None:
    """SIGTERM killed the import without unwinding: its staging copy (several times the file)
    stayed in the temp folder."""
    import os
    import signal
    import subprocess
    import sys
    import time

    rows = tmp_path / "big.csv"
    with rows.open("w") as handle:
        handle.write(
            "kind,scheme,number,iec,issued_on,valid_until,hs_codes,quantity,unit,value_inr\n"
        )
        for n in range(150_000):
            handle.write(f"authorisation,IMS,IMS-{n},AAPFU0939F,2026-01-05,,8471,1,NOS,1.00\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    url = f"sqlite:///{tmp_path / 'r.db'}"
    importing = subprocess.Popen(
        [sys.executable, "-m", "customs_engine.cli", "registry", "import", "--db", url, str(rows)],
        env={**os.environ, "TMPDIR": str(temp)},
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not any(temp.iterdir()):  # staging has begun
        assert time.monotonic() < deadline and importing.poll() is None
        time.sleep(0.01)
    importing.send_signal(signal.SIGTERM)
    _, err = importing.communicate(timeout=60)
    assert importing.returncode == 130, err
    assert b"stopped: the file in hand imported nothing" in err
    assert list(temp.iterdir()) == []
    store = SqlRegistry.open(url)
    try:
        assert store.records() == []
    finally:
        store.close()


def test_a_stop_landing_as_the_staging_folder_is_made_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM that landed after ``mkdtemp`` made the staging folder and before the folder's
    clean-up was registered left it behind for good (a flaky failure of the test above)."""
    import gc
    import os
    import signal
    import tempfile

    from customs_engine.core.registry.loader import Load

    made = tempfile.mkdtemp

    def made_then_stopped(*args: Any, **kwargs: Any) -> str:
        folder = made(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # lands here, at the worst moment
        return folder

    def stopped(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(tempfile, "mkdtemp", made_then_stopped)
    previous = signal.signal(signal.SIGTERM, stopped)
    store = SqlRegistry.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        with pytest.raises(KeyboardInterrupt):
            Load(store).run([str(REGISTRY_CSV)])
    finally:
        signal.signal(signal.SIGTERM, previous)
        store.close()
    gc.collect()  # the interrupted frames, as the process's exit releases them
    assert list(temp.iterdir()) == []
