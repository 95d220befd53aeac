"""Negative and extreme numbers and dates in every input format (XML, EDIFACT, ICES flat file).

Any number of the message replaced by a negative, huge, exponent, non-ASCII or non-finite one,
any date moved to the ends of the calendar or to an extreme time zone: the engine answers (never
raises), and the answer is the same whether the message was checked in this process or travelled
the worker wire of ``-jN`` (zones and values kept exactly). ``CUSTOMS_FUZZ_EXAMPLES`` scales it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.core.batch.inputs import InputFile
from customs_engine.core.batch.runner import stateless
from customs_engine.core.batch.wire import compress, decompress, pack, unpack
from customs_engine.core.engine import Engine
from customs_engine.testing import make_engine
from tests.archives import as_edifact
from tests.conftest import MESSAGES

EXAMPLES_RUN = int(os.environ.get("CUSTOMS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
CONFIG = {"ices_flatfile": {"igm_number": "2345678", "igm_date": "2025-10-18"}}

NUMBERS = [
    "-1",
    "-1000",
    "-0",
    "0",
    "-0.001",
    "0.0000001",
    "1e999",
    "-1e999",
    "1E5",
    "99999999999999999999",
    "2147483648",
    "-2147483649",
    "9" * 40,
    "\u0661\u0662",
    "6\u00b2",
    "NaN",
    "Infinity",
    "-Infinity",
    "1_000",
    ".5",
    "-.5",
    "5.",
    "00000000",
]
YEARS = ["0001", "1000", "1949", "1950", "2199", "2200", "9999"]
ZONES = ["-12:00", "+14:00", "Z", "+05:30", "+05:53", "-00:00"]
#: a free-standing number: a run of digits, perhaps with a decimal part
_NUMBER = re.compile(rb"(?<![\w.:-])\d+(?:\.\d+)?(?![\w.])")
#: dates as each format writes them: ISO (XML), CCYYMMDD[HHMM] (EDIFACT, ICES)
_DATE = re.compile(rb"(?<!\d)(\d{4})(-\d\d-\d\d|\d{4}(?:\d{4})?)(?!\d)")
_ZONE = re.compile(rb"(?<=\d\d:\d\d)([+-]\d\d:\d\d|Z)")


def seeds(samples_dir: Path) -> list[tuple[str, bytes]]:
    icegate = samples_dir / "icegate"
    return [
        ("be.xml", (MESSAGES / "02-be-laptops-ims.xml").read_bytes()),
        ("igm.xml", (MESSAGES / "01-igm-innsa1-2234567.xml").read_bytes()),
        ("be.edi", as_edifact(MESSAGES / "02-be-laptops-ims.xml")),
        ("igm.edi", as_edifact(MESSAGES / "01-igm-innsa1-2234567.xml")),
        ("be.be", (icegate / "synthetic_cachi01_steel_be.be").read_bytes()),
        ("igm.igm", (icegate / "synthetic_sachi01_igm.igm").read_bytes()),
    ]


@st.composite
def extreme(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to three numbers, dates or zones replaced by extreme ones."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["number", "date", "zone"]))
        pattern = {"number": _NUMBER, "date": _DATE, "zone": _ZONE}[kind]
        spots = list(pattern.finditer(data))
        if not spots:
            continue
        spot = spots[draw(st.integers(0, len(spots) - 1))]
        if kind == "number":
            new = draw(st.sampled_from(NUMBERS)).encode()
        elif kind == "date":
            new = draw(st.sampled_from(YEARS)).encode() + spot.group(2)
        else:
            new = draw(st.sampled_from(ZONES)).encode()
        data = data[: spot.start()] + new + data[spot.end() :]
    return data


def answers(engine: Engine, name: str, data: bytes) -> list[str]:
    """The responses for one file, checked in this process."""
    return [
        engine.complete(p, a, name).to_json(indent=None)
        for p, a in stateless(engine, InputFile(name, data))
    ]


def answers_over_the_wire(engine: Engine, name: str, data: bytes) -> list[str]:
    """The same, with the stateless results packed and unpacked as a worker sends them."""
    packed = decompress(
        compress([pack(*pair) for pair in stateless(engine, InputFile(name, data))])
    )
    return [engine.complete(*unpack(item), name).to_json(indent=None) for item in packed]


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    return make_engine(config=CONFIG), make_engine(config=CONFIG)


@FUZZ
@given(data=st.data())
def test_extreme_numbers_and_dates_get_the_same_answer_in_any_process(
    samples_dir: Path, engines: tuple[Engine, Engine], data: st.DataObject
) -> None:
    name, seed = data.draw(st.sampled_from(seeds(samples_dir)))
    mutated = data.draw(extreme(seed))
    here = answers(engines[0], name, mutated)
    assert here, "every file gets at least one response"
    for response in here:
        assert "adapter failed" not in response and "adapter error" not in response, response
    assert answers_over_the_wire(engines[1], name, mutated) == here


@pytest.mark.parametrize("year", ["0001", "9999", "1949", "2200"])
def test_dates_outside_the_range_are_a_finding_in_every_format(
    samples_dir: Path, engines: tuple[Engine, Engine], year: str
) -> None:
    for name, seed in seeds(samples_dir):
        mutated = _DATE.sub(lambda spot: year.encode() + spot.group(2), seed)
        responses = answers(engines[0], name, mutated)
        assert any("outside the accepted range" in r for r in responses), (name, responses)
        # said in words: no pydantic report with its input echo and documentation link
        assert not any("errors.pydantic.dev" in r or "input_value" in r for r in responses)
