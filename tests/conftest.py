"""Shared fixtures: where the shared samples live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
