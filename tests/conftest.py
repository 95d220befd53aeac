"""Shared by every test folder: where things are (so no test counts ``parents[N]``), the
``customs`` command as a subprocess, archive fixtures, SQLite and PostgreSQL registry URLs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

#: the checkout: src/, tests/, examples/, docs/
PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"
#: the example messages (ICEGATE XML) and the example registry rows
MESSAGES = EXAMPLES / "messages"
REGISTRY_CSV = EXAMPLES / "registry" / "registry.csv"
#: files the tests read that are not tests (an old registry database, …)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: ``shared/`` beside the checkout (CI, worktrees): SPEC, rules and CBIC's samples, read in place
SHARED = next(
    (
        candidate
        for candidate in (PROJECT.parent / "shared", PROJECT.parent.parent / "shared")
        if (candidate / "SPEC.md").is_file()
    ),
    PROJECT.parent / "shared",
)
SAMPLES = SHARED / "samples"
PG_URL = os.environ.get("CUSTOMS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _private_user_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The default registry lives in the user data directory: every test gets its own, so
    no test reads or writes the real one (``XDG_DATA_HOME`` is what platformdirs reads on
    Linux; subprocesses inherit it)."""
    path = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    return path


def find_shared_dir() -> Path:
    """``shared/`` beside the checkout — read in place, never copied; skips when it is missing."""
    if not (SHARED / "SPEC.md").is_file():
        pytest.skip("../shared/ (SPEC and samples) is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return find_shared_dir()


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "samples"


def customs(
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``customs ARGS`` in a subprocess (signals, exit codes, real stdout/stderr), run in
    ``cwd`` (the checkout by default, wherever pytest was started)."""
    return subprocess.run(
        [sys.executable, "-m", "customs_engine.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=cwd or PROJECT,
        timeout=120,
    )


@pytest.fixture
def mixed_zip(tmp_path: Path) -> Path:
    from tests.archives import mixed_members, write_zip

    return write_zip(tmp_path / "mixed.zip", mixed_members())


@pytest.fixture
def mixed_tar(tmp_path: Path) -> Path:
    from tests.archives import mixed_members, write_tar

    return write_tar(tmp_path / "mixed.tar.gz", list(reversed(mixed_members())))


class FakeDistributions:
    """Plugin distributions made on the fly: a module plus a ``*.dist-info`` with entry points.

    Putting the folder on ``sys.path`` (in-process) or ``PYTHONPATH`` (subprocess) makes
    ``importlib.metadata`` see a real ``customs_engine`` entry point, exactly as an installed
    third-party plugin would be seen.
    """

    def __init__(self, root: Path):
        self.root = root

    def add(
        self,
        dist: str,
        module: str,
        source: str,
        *,
        entry_name: str | None = None,
        version: str = "9.9.9",
    ) -> None:
        (self.root / f"{module}.py").write_text(source)
        # named as installers name it (``customs_engine_paper-0.1.0``): importlib.metadata reads
        # the name up to the first dash, and takes two distributions of one name for one
        info = self.root / f"{re.sub(r'[-_.]+', '_', dist)}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(
            f"[customs_engine]\n{entry_name or module} = {module}\n"
        )

    @property
    def env(self) -> dict[str, str]:
        import os

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(self.root), env.get("PYTHONPATH", "")])
        )
        env.pop("CUSTOMS_ENGINE_BLOCK_PLUGINS", None)
        return env


@pytest.fixture
def fake_dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDistributions:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return FakeDistributions(root)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'customs.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped afterwards); skips, saying why, without a server."""
    admin = create_engine(PG_URL)
    schema = f"customs_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {str(exc).splitlines()[0]}")
    try:
        yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
