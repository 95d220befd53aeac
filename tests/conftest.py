"""Shared fixtures: where the shared samples live; SQLite and PostgreSQL registry URLs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parents[1]
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
    """``shared/`` beside the checkout (CI, worktrees) — read in place, never copied."""
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if (candidate / "SPEC.md").is_file():
            return candidate
    pytest.skip("../shared/ (SPEC and samples) is not beside this checkout")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return find_shared_dir()


@pytest.fixture(scope="session")
def samples_dir(shared_dir: Path) -> Path:
    return shared_dir / "samples"


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
        info = self.root / f"{dist}-{version}.dist-info"
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
