"""Fixtures for the ICES flat-file tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from customs_engine.testing import make_engine


@pytest.fixture(scope="session")
def icegate_dir(samples_dir: Path) -> Path:
    return samples_dir / "icegate"


@pytest.fixture(scope="session")
def engine_factory():
    return make_engine
