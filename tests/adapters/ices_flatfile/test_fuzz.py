"""Hostile input: mutated flat files never make the adapter raise.

Default ``CUSTOMS_FUZZ_EXAMPLES=300`` examples per test; a full run is done on demand:
``CUSTOMS_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/adapters/ices_flatfile/test_fuzz.py``
The fuzz calls :func:`reader.parse`, the adapter without its last-resort guard, so a bug
shows up as an exception instead of a polite "reader failed" finding.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.adapters.ices_flatfile.ack import AckWriter
from customs_engine.adapters.ices_flatfile.plugin import detect
from customs_engine.adapters.ices_flatfile.reader import parse
from customs_engine.core.engine import Engine
from customs_engine.testing import make_engine

from .flat_files import flat_file, igm, steel_be

EXAMPLES = int(os.environ.get("CUSTOMS_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CONFIG = {
    "ices_flatfile": {
        "igm_number": "2345678",
        "igm_date": "2025-10-18",
        "certificate_types": {"380000": "PSIC", "704000": "CONTRACT"},
        "licence_schemes": {"IM": "IMS"},
    }
}
GS = b"\x1d"
BAD_VALUES = [
    b"",
    b"20251399",
    b"31022025",
    b"abc",
    b"1.2.3",
    b"-1",
    b"9" * 30,
    b"X" * 5000,
    b"0.0000001",
    b"\x00",
    b"\xc3\xa9",
    b"STL1/99999999",
    b"<TABLE>ITEMS",
    b"HREC",
    b"TREC",
    b"<END-cargo>",
    b"F",
    b"A",
    b" ",
    b"\r",
    GS,
]


def _built() -> list[bytes]:
    amend = steel_be()
    for rows in amend.values():
        for row in rows:
            row.update(
                message_type="A", job_no=None, job_date=None, be_number="1", be_date="20260311"
            )
    return [
        flat_file("cachi01", steel_be()),
        flat_file("sachi01", igm(), newline="\n"),
        flat_file("cachi01", steel_be(), trailing_gs=True, table_names={"ITEMS": "items"}),
        flat_file("cachi01", amend, message_id="CACHI01_A"),
    ]


def _mutations() -> st.SearchStrategy:
    index = st.integers(min_value=0, max_value=1 << 20)
    return st.lists(
        st.one_of(
            st.tuples(st.just("flip"), index, st.integers(0, 255)),
            st.tuples(st.just("truncate"), index),
            st.tuples(st.just("drop_gs"), index),
            st.tuples(st.just("double_gs"), index),
            st.tuples(st.just("insert_gs"), index),
            st.tuples(st.just("swap_lines"), index, index),
            st.tuples(st.just("drop_line"), index),
            st.tuples(st.just("dup_line"), index),
            st.tuples(st.just("field"), index, index, st.sampled_from(BAD_VALUES)),
        ),
        min_size=1,
        max_size=6,
    )


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    for op, *args in ops:
        if op in ("flip", "truncate", "insert_gs"):
            at = args[0] % (len(data) + 1)
            if op == "flip":
                data = data[:at] + bytes([args[1]]) + data[at + 1 :]
            elif op == "truncate":
                data = data[:at]
            else:
                data = data[:at] + GS + data[at:]
            continue
        if op in ("drop_gs", "double_gs"):
            spots = [i for i, b in enumerate(data) if b == 0x1D]
            if spots:
                at = spots[args[0] % len(spots)]
                data = data[:at] + (GS + GS if op == "double_gs" else b"") + data[at + 1 :]
            continue
        lines = data.split(b"\n")
        a = args[0] % len(lines)
        if op == "swap_lines":
            b = args[1] % len(lines)
            lines[a], lines[b] = lines[b], lines[a]
        elif op == "drop_line":
            del lines[a]
        elif op == "dup_line":
            lines.insert(a, lines[a])
        else:  # replace one field of one line
            fields = lines[a].split(GS)
            fields[args[1] % len(fields)] = args[2]
            lines[a] = GS.join(fields)
        data = b"\n".join(lines)
    return data


def _check(data: bytes) -> None:
    detect(data[:4096], "fuzz")
    parsed = parse(data, CONFIG)
    assert parsed, "at least one ParsedMessage"
    for message in parsed:
        assert message.message is not None or message.findings
        if message.message is not None:
            message.message.model_dump_json()


@pytest.fixture(scope="module")
def seeds(samples_dir: Path) -> list[bytes]:
    icegate = samples_dir / "icegate"
    files = sorted(icegate.glob("*.be")) + sorted(icegate.glob("*.igm"))
    assert len(files) == 3
    return [f.read_bytes() for f in files] + _built()


def test_seeds_parse_cleanly(seeds: list[bytes]) -> None:
    for data in seeds:
        parsed = parse(data, CONFIG)
        assert [m.type for m in parsed] != ["unknown"]


@FUZZ
@given(data=st.data())
def test_mutated_files_never_raise(seeds: list[bytes], data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(seeds))
    _check(mutate(seed, data.draw(_mutations())))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine(config=CONFIG)


@settings(FUZZ, max_examples=max(EXAMPLES // 10, 20))
@given(data=st.data())
def test_mutated_files_through_the_engine_and_the_ack(
    seeds: list[bytes], engine: Engine, data: st.DataObject
) -> None:
    """The whole path: every mutated file gets responses, and the ack writer takes them."""
    seed = data.draw(st.sampled_from(seeds))
    mutated = mutate(seed, data.draw(_mutations()))
    stream = io.BytesIO()
    writer = AckWriter(stream)
    responses = engine.validate_bytes(mutated, "fuzz")
    assert responses
    for response in responses:
        writer.write(response)
    writer.close()
    lines = stream.getvalue().split(b"\r\n")
    assert lines[0].startswith(b"HREC") and lines[-2].startswith(b"TREC")
    assert len(lines) - 3 >= len(responses)


@FUZZ
@given(
    noise=st.binary(max_size=2000),
    prefix=st.sampled_from(
        [
            b"",
            b"HREC\x1dZZ\x1dA\x1dZZ\x1dB\x1dICES1_5\x1dT\x1d\x1dCACHI01\x1d1\x1d20250101\x1d0000\n",
            b"HREC\x1d\x1d\x1d\x1d\x1d\x1d\x1d\x1dSACHI01\x1d9\n<vesinfo>\n",
        ]
    ),
)
def test_noise_after_a_header_never_raises(noise: bytes, prefix: bytes) -> None:
    _check(prefix + noise)
