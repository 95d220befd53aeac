"""The ACK pads ``hcargoDec`` with ``{}`` up to each house line's sub-line number, as ICEGATE
does, but writes the padding as a stream: memory does not grow with the sub-line numbers."""

from __future__ import annotations

import copy
import io
import json
import tracemalloc
from typing import Any

from customs_engine.adapters.scmtr_json.replies import AckWriter
from customs_engine.testing import make_engine

from .conftest import dump
from .test_manifest import import_line

MASTERS = 40


def far_houses(load: Any) -> dict[str, Any]:
    """An SCE of :data:`MASTERS` consolidated master lines, each with one house at sub-line
    9999 (the guide's highest)."""
    document = import_line(load)
    template = document["master"]["mastrCnsgmtDec"][0]
    template["MCRef"]["consolidatedIndctr"] = "C"
    house = {key: template[key] for key in ("locCstm", "trnsprtDoc", "trnsprtDocMsr")}
    house["HCRef"] = {
        "subLineNo": 9999,
        "blNo": "HBL1",
        "blDt": "20200725",
        "consolidatedIndctr": "H",
        "consolidatorPan": "PAN:AADCC3951G",
        "prevDec": "N",
    }
    template["houseCargoDec"] = [house]
    lines = []
    for number in range(1, MASTERS + 1):
        line = copy.deepcopy(template)
        line["MCRef"].update(lineNo=number, mstrBlNo=f"MBL{number}")
        line["houseCargoDec"][0]["HCRef"]["blNo"] = f"HBL{number}"
        lines.append(line)
    document["master"]["mastrCnsgmtDec"] = lines
    document["master"]["voyageDtls"]["totalNmbrOfLines"] = MASTERS
    return document


def test_padding_is_written_not_built(load: Any) -> None:
    [response] = make_engine().validate_bytes(dump(far_houses(load)), "far.json")
    assert response.status == "accepted", response.findings
    out = io.BytesIO()
    tracemalloc.start()
    try:
        AckWriter(out).write(response)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the output itself is held by the BytesIO; built as lists of dicts, the padding of 40
    # lines alone took some 25 MB
    assert peak - len(out.getvalue()) < 2_000_000, peak
    [ack] = [json.loads(line) for line in out.getvalue().splitlines()]
    lines = ack["master"]["mastrCnsgnmtDec"]
    assert [line["MCRef"]["lineNo"] for line in lines] == [str(n) for n in range(1, MASTERS + 1)]
    for line in lines:
        houses = line["hcargoDec"]
        assert len(houses) == 9999 and houses[:-1] == [{}] * 9998
        assert houses[-1]["HCRef"]["subLineNo"] == "9999"
