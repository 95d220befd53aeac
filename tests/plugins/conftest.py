"""Fixtures for the scheme-plugin tests (messages and registry rows come from the public kit,
``customs_engine.testing``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def rules_md(shared_dir: Path) -> str:
    return (shared_dir / "RULES.md").read_text(encoding="utf-8")
