"""Fixtures for the scheme-plugin tests (builders live in ``builders.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rules_md(shared_dir: Path) -> str:
    return (shared_dir / "RULES.md").read_text(encoding="utf-8")
