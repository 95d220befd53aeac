"""Hostile input: random and mutated interchanges never make the adapter raise.

The default run uses a modest number of examples; a full run is
``CUSTOMS_FUZZ_EXAMPLES=10000 .venv/bin/python -m pytest tests/adapters/edifact/test_fuzz.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs_engine.adapters.edifact.plugin import read
from customs_engine.adapters.edifact.writer import write

from .interchanges import cuscar_segments, cusdec_segments, interchange
from .strategies import bills_of_entry, manifests

EXAMPLES = int(os.environ.get("CUSTOMS_FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SERVICE = st.sampled_from(
    [
        b"'",
        b"+",
        b":",
        b"?",
        b"\n",
        b"\r\n",
        b"UNA:+.? '",
        b"UNH+",
        b"UNT+",
        b"UNZ+",
        b"UNG+",
        b"UNE+",
        b"\xef\xbb\xbf",
        b"\xff",
        b"0",
        b"A",
    ]
)


def seeds(samples_dir: Path) -> list[bytes]:
    files = [p.read_bytes() for p in sorted((samples_dir / "edifact").glob("*.edi"))]
    return [
        *files,
        interchange(cusdec_segments(), cuscar_segments()),
        interchange(cusdec_segments(), una=False),
    ]


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                ["flip", "delete", "insert", "duplicate", "swap", "drop", "count", "date"]
            )
        )
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == "insert":
            data[at:at] = draw(SERVICE)
        elif kind in ("duplicate", "swap", "drop"):
            segs = bytes(data).split(b"'")
            i = draw(st.integers(0, len(segs) - 1))
            j = draw(st.integers(0, len(segs) - 1))
            if kind == "duplicate":
                segs.insert(j, segs[i])
            elif kind == "swap":
                segs[i], segs[j] = segs[j], segs[i]
            elif len(segs) > 1:
                del segs[i]
            data = bytearray(b"'".join(segs))
        elif kind == "count":
            data = bytearray(
                re.sub(
                    rb"(UN[TZE]\+)\d+",
                    lambda m: m.group(1) + str(draw(st.integers(0, 99))).encode(),
                    bytes(data),
                    count=1,
                )
            )
        else:
            data = bytearray(
                re.sub(
                    rb"(DTM\+\d+:)\d+",
                    lambda m: (
                        m.group(1)
                        + draw(
                            st.sampled_from([b"20261301", b"2026", b"", b"20260230", b"abcdefgh"])
                        )
                    ),
                    bytes(data),
                    count=1,
                )
            )
    return bytes(data)


def assert_answers(data: bytes) -> None:
    parsed = read(data, "fuzz.edi", {})
    assert parsed, "at least one ParsedMessage"
    for message in parsed:
        assert message.message is not None or message.findings
        for finding in message.findings:
            # the catch-all in reader.read must never be what answered
            assert "EDIFACT adapter error" not in finding.message, finding.message


@given(
    st.binary(max_size=300)
    | st.text(st.sampled_from(list("UNABHTZGE+:'?\n 0129")), max_size=300).map(str.encode)
)
@FUZZ
def test_random_input_always_gets_an_answer(data: bytes) -> None:
    assert_answers(data)


@given(st.data())
@FUZZ
def test_mutated_interchanges_always_get_an_answer(samples_dir: Path, data: st.DataObject) -> None:
    base = data.draw(
        st.sampled_from(seeds(samples_dir)) | (bills_of_entry() | manifests()).map(write)
    )
    assert_answers(data.draw(mutated(base)))


@given(st.text(st.sampled_from(list(":+.,? '*|\\~\n\rAU0")), min_size=6, max_size=6), st.data())
@FUZZ
def test_any_una_service_string_gets_an_answer(service: str, data: st.DataObject) -> None:
    """Even service strings that reuse one character for two jobs (UNA:::::: etc.)."""
    base = interchange(cusdec_segments()).decode().replace("UNA:+.? '", "UNA" + service, 1)
    assert_answers(data.draw(mutated(base.encode())) if data.draw(st.booleans()) else base.encode())
