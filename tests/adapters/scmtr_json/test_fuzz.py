"""Mutated CBIC samples never make the adapter or its reply writers raise.

The normal suite runs a few hundred examples; the full run (5,000 examples per test, marked
``slow``) is
``CUSTOMS_SLOW=1 .venv/bin/python -m pytest -m slow tests/adapters/scmtr_json/test_fuzz.py``.
"""

from __future__ import annotations

import io
import json
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.adapters.scmtr_json.reader import parse
from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter
from customs_engine.core.engine import Engine
from customs_engine.core.formats import ParsedMessage
from customs_engine.testing import make_engine
from tests.conftest import SAMPLES

from .conftest import dump

SCMTR_SAMPLES = SAMPLES / "icegate" / "scmtr" / "samples"
SEEDS = (
    [p.read_bytes() for p in sorted(SCMTR_SAMPLES.glob("*_DEC.json"))]
    if SCMTR_SAMPLES.is_dir()
    else []
)
SLOW = bool(os.environ.get("CUSTOMS_SLOW"))

pytestmark = pytest.mark.skipif(not SEEDS, reason="../shared SCMTR samples not beside checkout")

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(Decimal)
    | st.text(max_size=40)
    | st.sampled_from(["", "SCE", "SCA", "C", "H", "S", "20200231", "T25:00", "INNSA1", "LC"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += paths(value, (*at, index))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    if draw(st.booleans()):  # bytes: flip, cut, insert
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(data) - 1))
            kind = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
            if kind == "flip":
                data[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                del data[at : at + draw(st.integers(1, 30))]
            elif kind == "insert":
                data[at:at] = draw(
                    st.sampled_from(
                        [b"{", b"}", b"[", b",", b'"', b":", b"0", b"\xff", b"null", b'"x":1,']
                    )
                )
            else:
                del data[at:]
                break
        return bytes(data)
    document = json.loads(seed, parse_float=Decimal)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(paths(document)))
        kind = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if not where:
            document = draw(JSON_VALUES) if kind == "replace" else document
            continue
        parent = document
        for part in where[:-1]:
            parent = parent[part]
        last = where[-1]
        if kind == "replace":
            parent[last] = draw(JSON_VALUES)
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, list):
            parent.insert(
                last, json.loads(json.dumps(parent[last], default=str), parse_float=Decimal)
            )
    return dump(document)


ENGINE: Engine | None = None


def check_one(data: bytes) -> None:
    global ENGINE
    parsed = parse(data)  # no last-resort guard: a bug raises here
    assert isinstance(parsed, ParsedMessage)
    assert (parsed.message is None) == bool(parsed.findings) or parsed.type == "manifest"
    for finding in parsed.findings:
        assert finding.rule.startswith("CORE-SYNTAX-") and finding.message
        assert finding.field is None or finding.field.startswith("/")
    ENGINE = ENGINE or make_engine(only=["core", "scmtr_json"])
    response = ENGINE.complete(parsed, ENGINE.assess(parsed), "fuzz.json")
    for writer in (SflWriter, AckWriter):
        stream = io.BytesIO()
        out = writer(stream)
        out.write(response)
        out.close()
        for line in stream.getvalue().splitlines():
            json.loads(line)


FAST = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FULL = settings(
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(mutated())
def test_mutated_samples_are_answered(data: bytes) -> None:
    check_one(data)


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="5,000 examples: set CUSTOMS_SLOW=1")
@FULL
@given(mutated())
def test_mutated_samples_are_answered_5000(data: bytes) -> None:
    check_one(data)
