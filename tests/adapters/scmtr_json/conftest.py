"""Fixtures for the SCMTR JSON tests: CBIC's samples and schemas, read in place from ../shared."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter
from customs_engine.core.response import Response

SCE = "F_SACHM22_SCE_SOMESENDER_2_190820201705_DEC.json"
SCD = "F_SACHM22_SCD_SOMEUSER_1_190820201640_DEC.json"
SCX = "F_SACHM22_SCX_TESTUSER_2_10092020_DEC.json"
SCA = "F_SACHM22_SCA_SOMETESTUSER_6055_20200701_DEC.json"
SCC = "SCC_Sample_file1001__1_.json"


@pytest.fixture(scope="session")
def scmtr_dir(samples_dir: Path) -> Path:
    return samples_dir / "icegate" / "scmtr"


@pytest.fixture(scope="session")
def sample_paths(scmtr_dir: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((scmtr_dir / "samples").glob("*.json"))}


@pytest.fixture(scope="session")
def declarations(sample_paths: dict[str, Path]) -> dict[str, Path]:
    """Every declaration sample (DEC files and the SCC sample), by file name."""
    return {
        name: p for name, p in sample_paths.items() if name.endswith("_DEC.json") or name == SCC
    }


@pytest.fixture
def load(sample_paths: dict[str, Path]) -> Callable[[str], dict[str, Any]]:
    """A fresh, mutable copy of a sample as the adapter decodes it (Decimal for fractions)."""
    cache: dict[str, Any] = {}

    def loader(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = json.loads(sample_paths[name].read_bytes(), parse_float=Decimal)
        return copy.deepcopy(cache[name])

    return loader


def dump(document: Any) -> bytes:
    """JSON bytes of a (mutated) sample; Decimals written as the numbers they are."""
    return json.dumps(document, default=_number, indent=2).encode()


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def replies(writer: type[SflWriter] | type[AckWriter], found: list[Response]) -> list[Any]:
    """What a reply writer writes for these responses, one JSON document a line."""
    stream = io.BytesIO()
    out = writer(stream)
    for response in found:
        out.write(response)
    out.close()
    return [json.loads(line) for line in stream.getvalue().splitlines()]
