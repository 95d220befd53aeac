"""The SFL of a declaration that fails a JSON-level check echoes its header when it can be read:
the reply can be matched to its declaration (sender, sequence number)."""

from __future__ import annotations

from typing import Any

import pytest

from customs_engine.adapters.scmtr_json.replies import SflWriter
from customs_engine.testing import make_engine

from .conftest import SCE, dump, replies


def _faulty(load: Any, fault: str) -> bytes:
    """CBIC's SCE sample, its header first, with one JSON-level fault after it."""
    text = dump(load(SCE)).decode()
    mark = '"mstrBlNo"'
    assert mark in text
    if fault == "duplicate key":
        return text.replace(mark, f'"mstrBlNo": "X", {mark}', 1).encode()
    if fault == "NUL":
        return text.replace(mark, r'"marks": "A\u0000B", ' + mark, 1).encode()
    if fault == "NaN":
        return text.replace(mark, f'"x": NaN, {mark}', 1).encode()
    if fault == "lone surrogate":
        return text.replace(mark, r'"x": "\ud800", ' + mark, 1).encode()
    if fault == "trailing data":
        return text.encode() + b"\n{}"
    if fault == "nesting":
        return text.replace(mark, '"x": ' + "[" * 5000 + "]" * 5000 + ", " + mark, 1).encode()
    raise AssertionError(fault)


@pytest.mark.parametrize(
    "fault", ["duplicate key", "NUL", "NaN", "lone surrogate", "trailing data", "nesting"]
)
def test_sfl_echoes_the_header(load: Any, fault: str) -> None:
    header = load(SCE)["headerField"]
    [response] = make_engine().validate_bytes(_faulty(load, fault), "sce.json")
    assert response.status == "rejected"
    [sfl] = replies(SflWriter, [response])
    assert sfl["headerField"] == header
    assert sfl["errorDetails"]["errorMessage"]


def test_a_header_value_at_fault_is_left_out(load: Any) -> None:
    document = load(SCE)
    document["headerField"]["senderID"] = "A\x00B"
    [response] = make_engine().validate_bytes(dump(document), "sce.json")
    [sfl] = replies(SflWriter, [response])
    assert "senderID" not in sfl["headerField"]
    assert sfl["headerField"]["messageID"] == "SACHM22"
