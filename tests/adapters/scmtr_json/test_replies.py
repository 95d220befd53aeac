"""ICEGATE's replies: the seven CBIC SFL samples reproduced, and ACKs shaped like CBIC's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter, code_of
from customs_engine.core.response import Response
from customs_engine.testing import make_engine

from .conftest import SCA, SCE, dump, replies


def responses(data: bytes) -> list[Response]:
    return make_engine().validate_bytes(data, "dec.json")


write = replies


def with_house_items(document: dict[str, Any]) -> None:
    """A consolidated master with one house line carrying two goods items."""
    mc = document["master"]["mastrCnsgmtDec"][0]
    mc["MCRef"]["consolidatedIndctr"] = "C"
    house = {
        key: mc[key] for key in ("locCstm", "trnsprtDoc", "trnsprtDocMsr", "trnsprtEqmt", "itnry")
    }
    house["HCRef"] = {
        "subLineNo": 1,
        "blNo": "HBL1",
        "blDt": "20200725",
        "consolidatedIndctr": "H",
        "consolidatorPan": "PAN:AADCC3951G",
        "prevDec": "N",
    }
    item = dict(mc["itemDtls"][0])
    house["itemDtls"] = [item, {k: v for k, v in item.items() if k != "crgoItemSeqNmbr"}]
    mc["houseCargoDec"] = [house]


def set_in(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        node = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


# sample → (the same mutation of a good declaration, ICEGATE's pointer and keyword, exact?)
SFL_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str, bool]] = {
    "F_SACHM22_SCE_ICEGATEID_103_20200122_SFL.json": (
        set_in(["headerField", "reportingEvent"], ""),
        "/headerField/reportingEvent",
        "minLength",
        True,
    ),
    "F_SACHM22_SCE_ICEGATEID_10_20191022_SFL.json": (
        set_in(["master", "mastrCnsgmtDec", 0, "MCRef", "consolidatedIndctr"], "Cffkdsahlfk"),
        "/master/mastrCnsgmtDec/0/MCRef/consolidatedIndctr",
        "maxLength",
        True,
    ),
    "F_SACHM22_SCE_ICEGATEID_7_20191028_SFL.json": (
        set_in(["master", "decRef", "jobNo"], "2"),
        "/master/decRef/jobNo",
        "type",
        True,
    ),
    "F_SACHM22_SCE_ICEGATEID_8_20191030_SFL.json": (
        set_in(["master", "decRef", "jobDt"], "20191028d"),
        "/master/decRef/jobDt",
        "pattern",
        True,
    ),
    "F_SACHM22_SCE_ICEGATEID_12_20191024_SFL.json": (
        with_house_items,
        "/master/mastrCnsgmtDec/0/houseCargoDec/0/itemDtls/1",
        "required",
        True,
    ),
    # samples 9 and 11 illustrate with pointers that are not in the CSN schema
    # (/sequenceOrControlNumber, /phone_number): the same failure at the real place
    "F_SACHM22_SCE_ICEGATEID_9_20191021_SFL.json": (
        set_in(["headerField", "sequenceOrControlNumber"], 0),
        "/headerField/sequenceOrControlNumber",
        "minimum",
        False,
    ),
    "F_SACHM22_SCE_ICEGATEID_11_20191023_SFL.json": (
        set_in(["master", "mastrCnsgmtDec"], {}),
        "/master/mastrCnsgmtDec",
        "type",
        False,
    ),
}


def test_all_seven_sfl_samples_are_covered(sample_paths: dict[str, Path]) -> None:
    assert {n for n in sample_paths if n.endswith("_SFL.json")} == set(SFL_CASES)


@pytest.mark.parametrize("name", sorted(SFL_CASES))
def test_sfl_sample_reproduced(name: str, sample_paths: dict[str, Path], load: Any) -> None:
    mutate, pointer, keyword, exact = SFL_CASES[name]
    theirs = json.loads(sample_paths[name].read_bytes())["errorDetails"]["errorMessage"][0]
    document = load(SCE)
    mutate(document)
    [response] = responses(dump(document))
    assert response.status == "rejected"
    assert any(f.field == pointer and f.rule.startswith("CORE-SYNTAX") for f in response.findings)
    [sfl] = write(SflWriter, [response])
    assert sfl["headerField"] == json.loads(dump(document))["headerField"]
    assert {k: v for k, v in sfl["errorDetails"].items() if k != "errorMessage"} == {
        "status": "Schema validation failure",
        "errorCode": "ERR100",
    }
    ours = [
        e
        for e in sfl["errorDetails"]["errorMessage"]
        if e["instance"]["pointer"] == pointer and e["keyword"] == keyword
    ]
    assert len(ours) == 1, sfl["errorDetails"]["errorMessage"]
    assert set(ours[0]) == set(theirs)
    if exact:  # the same place in the same schema layout: the very same error object
        assert ours[0] == theirs
    else:
        assert ours[0]["keyword"] == theirs["keyword"] and ours[0]["level"] == "error"
        assert ours[0]["message"].split("(")[0] == theirs["message"].split("(")[0]


def test_valid_declarations_get_no_sfl(sample_paths: dict[str, Path]) -> None:
    assert write(SflWriter, responses(sample_paths[SCE].read_bytes())) == []


def test_unreadable_json_still_gets_an_sfl() -> None:
    [sfl] = write(SflWriter, responses(b'{"headerField": {"messageID": "SACHM22", '))
    [entry] = sfl["errorDetails"]["errorMessage"]
    assert entry["domain"] == "syntax" and "ends too early" in entry["message"]


def shape(value: Any) -> Any:
    """Keys all the way down (list entries merged), values dropped."""
    if isinstance(value, dict):
        return {key: shape(v) for key, v in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for entry in value:
            if isinstance(entry, dict):
                merged.update(shape(entry))
        return [merged] if merged else []
    return type(value).__name__


def test_ack_has_the_shape_of_cbic_sce_ack(sample_paths: dict[str, Path]) -> None:
    [ack] = write(AckWriter, responses(sample_paths[SCE].read_bytes()))
    cbic = json.loads(sample_paths[SCE.replace("_DEC", "_ACK")].read_bytes())
    del cbic["digSign"], cbic["master"]["decRef"]["csn_no"], cbic["master"]["decRef"]["csn_dt"]
    del cbic["master"]["mastrCnsgnmtDec"][0]["mcResponse"]
    assert shape(ack) == shape(cbic)
    assert ack["headerField"]["sequenceOrControlNumber"] == "2"
    line = ack["master"]["mastrCnsgnmtDec"][0]
    assert line["MCRef"] == cbic["master"]["mastrCnsgnmtDec"][0]["MCRef"]
    assert line["trnsprteqmt"] == cbic["master"]["mastrCnsgnmtDec"][0]["trnsprteqmt"]


def test_ack_of_the_sca_pads_house_lines_like_cbic(sample_paths: dict[str, Path]) -> None:
    [ack] = write(AckWriter, responses(sample_paths[SCA].read_bytes()))
    cbic = json.loads(sample_paths[SCA.replace("_DEC", "_ACK")].read_bytes())
    ours, theirs = ack["master"]["mastrCnsgnmtDec"][0], cbic["master"]["mastrCnsgnmtDec"][0]
    assert (
        [h.get("HCRef", {}).get("subLineNo") for h in ours["hcargoDec"]]
        == [h.get("HCRef", {}).get("subLineNo") for h in theirs["hcargoDec"]]
        == [None, None, "3"]
    )
    assert ack["master"]["decRef"]["csn_no"] == cbic["master"]["decRef"]["csn_no"] == "1000126"
    assert ours["trnsprteqmt"] == theirs["trnsprteqmt"]


def test_ack_codes_failures_with_the_mig_list(load: Any) -> None:
    document = load(SCE)
    document["master"]["vesselDtls"]["modeOfTrnsprt"] = "9"
    document["master"]["mastrCnsgmtDec"][0]["locCstm"]["crgoMvmt"] = "XX"
    document["master"]["mastrCnsgmtDec"][0]["trnsprtEqmt"][0]["socFlag"] = "Q"
    [response] = responses(dump(document))
    [ack] = write(AckWriter, [response])
    master = ack["master"]
    assert [e["errorCode"] for e in master["vesselDtlsErrorCode"]] == ["014"]
    line = master["mastrCnsgnmtDec"][0]
    assert [e["errorCode"] for e in line["locCstmErrorCode"]] == ["064"]
    assert re.match(
        r"Invalid Cargo Movement Type: line \d+, column \d+: "
        r"/master/mastrCnsgmtDec/0/locCstm/crgoMvmt: ",
        line["locCstmErrorCode"][0]["errorMessage"],
    )
    assert [e["errorCode"] for e in line["trnsprteqmt"][0]["trnsprtEqpmtErrorCode"]] == ["076"]
    assert [e["errorCode"] for e in line["itemDtls"][0]["itemDtlsErrorCode"]] == ["000"]
    assert [e["errorCode"] for e in master["decRef"]["decRefErrorCode"]] == ["000"]


def test_ack_without_an_mig_code_names_our_rule(sample_paths: dict[str, Path]) -> None:
    """An SCA of a CSN the engine does not know: CORE-DOC-002, which the guide has no code
    for, goes to ``decRef`` under our rule ID."""
    [response] = responses(sample_paths[SCA].read_bytes())
    [ack] = write(AckWriter, [response])
    [entry] = ack["master"]["decRef"]["decRefErrorCode"]
    assert entry["errorCode"] == "CORE-DOC-002" and "not known" in entry["errorMessage"]
    assert code_of(response.findings[0]) == "CORE-DOC-002"


def test_a_json_array_gets_an_sfl_not_an_ack() -> None:
    """Not a declaration: nothing an ACK could acknowledge (see test_ack_scope.py)."""
    [response] = responses(b'[{"headerField": {"messageID": "SACHM22"}}]')
    assert code_of(response.findings[0]) == "CORE-SYNTAX-001"
    assert write(AckWriter, [response]) == []
    [sfl] = write(SflWriter, [response])
    assert "JSON array" in sfl["errorDetails"]["errorMessage"][0]["message"]


def test_writers_from_the_command_line(tmp_path: Path, load: Any) -> None:
    from click.testing import CliRunner

    from customs_engine.cli import main

    bad = load(SCE)
    bad["master"]["decRef"]["jobNo"] = Decimal("0")
    (tmp_path / "bad.json").write_bytes(dump(bad))
    (tmp_path / "good.json").write_bytes(dump(load(SCE)))
    for fmt, count in (("scmtr-sfl", 1), ("scmtr-ack", 2)):
        result = CliRunner().invoke(
            main, ["validate", "--format", fmt, "--db", "sqlite://", str(tmp_path)]
        )
        assert result.exit_code == 1, result.output
        docs = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
        assert len(docs) == count
