"""The SQLite registry file itself: deleted or replaced during a run, opened by many processes at
once, or with a side file SQLite cannot write (issue 18 items 8 and 22)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.registry import store as store_module
from tests.conftest import MESSAGES, REGISTRY_CSV


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_registry_file_deleted_mid_run_stops_it_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = tmp_path / "customs.db"
    db = f"sqlite:///{path}"
    assert (
        CliRunner().invoke(main, ["registry", "import", "--db", db, str(REGISTRY_CSV)]).exit_code
        == 0
    )
    real_write = store_module._write

    def write_then_lose(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_write(*args, **kwargs)
        for side in ("", "-wal", "-shm"):
            if Path(f"{path}{side}").exists():
                os.unlink(f"{path}{side}")
        if how == "replaced":
            shutil.copy(tmp_path / "copy.db", path)

    shutil.copy(path, tmp_path / "copy.db")
    monkeypatch.setattr(store_module, "_write", write_then_lose)
    result = CliRunner().invoke(
        main,
        [
            "validate",
            "--db",
            db,
            "--commit",
            "--format",
            "jsonl",
            "--no-progress",
            str(MESSAGES / "01-igm-innsa1-2234567.xml"),
            str(MESSAGES / "02-be-laptops-ims.xml"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "deleted or replaced during the run" in result.stderr
    assert "stopped at" in result.stderr and "02-be-laptops-ims.xml" in result.stderr
    assert len(result.stdout.splitlines()) == 1  # the IGM's response; nothing claimed the BoE


def test_concurrent_first_opens_of_a_fresh_file_all_succeed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = (
        "import sys; from customs_engine.core.registry import SqlRegistry; "
        "SqlRegistry.open(sys.argv[1]).close()"
    )

    def first_open(_: int) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-c", code, db], capture_output=True, timeout=120)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(first_open, range(12)))
    failures = [r.stderr.decode()[-300:] for r in results if r.returncode != 0]
    assert failures == []


def test_an_unwritable_shm_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "customs.db"
    db = f"sqlite:///{path}"
    assert (
        CliRunner().invoke(main, ["registry", "import", "--db", db, str(REGISTRY_CSV)]).exit_code
        == 0
    )
    shm = Path(f"{path}-shm")
    shm.touch()
    if subprocess.run(["chattr", "+i", str(shm)], capture_output=True).returncode != 0:
        shm.chmod(0o444)
        if os.access(shm, os.W_OK):
            pytest.skip("cannot make a file unwritable here (root without chattr)")
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "customs_engine.cli",
                "validate",
                "--db",
                db,
                "--no-progress",
                str(MESSAGES / "02-be-laptops-ims.xml"),
            ],
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stderr.decode()
        assert f"{shm} is not writable".encode() in result.stderr
    finally:
        subprocess.run(["chattr", "-i", str(shm)], capture_output=True)
