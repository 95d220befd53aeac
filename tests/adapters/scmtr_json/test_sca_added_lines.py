"""A line an SCA adds (``S``) is a new line of the CSN: it carries what a line of the declaration
must (the SCE layout's mandatory objects and fields). A bare line — a B/L number with no
packages, no measures, no equipment — was accepted and filed as part of the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from customs_engine.adapters.scmtr_json.reader import parse
from customs_engine.adapters.scmtr_json.replies import SflWriter
from customs_engine.testing import findings_of

from .conftest import SCA, dump, replies
from .test_amendment import lines_of_csn, sca, with_known_csn


def _bare_master(load: Any) -> dict[str, Any]:
    """The SCA adding master line 2 with nothing but its reference and its link to the CSN."""
    document = sca(load)
    added = document["master"]["mastrCnsgmtDec"][1]
    document["master"]["mastrCnsgmtDec"][1] = {"MCRef": added["MCRef"], "supRef": added["supRef"]}
    return document


def test_a_bare_master_line_added_by_an_sca_is_refused_and_not_filed(load: Any) -> None:
    engine = with_known_csn(load)
    [refused] = engine.validate_bytes(dump(_bare_master(load)), "sca.json")
    assert refused.status == "rejected"
    [finding] = [f for f in refused.findings if f.outcome == "reject"]
    assert (finding.rule, finding.field) == ("CORE-SYNTAX-003", "/master/mastrCnsgmtDec/1")
    assert "line 2 is added (S)" in finding.message
    assert '["trnsprtDocMsr","trnsprtEqmt"]' in finding.message
    assert lines_of_csn(engine) == ["AKI0284326"]  # nothing of it is filed (line 1 kept too)


def test_a_bare_house_line_added_by_an_sca_is_refused(load: Any) -> None:
    engine = with_known_csn(load)
    document = sca(load)
    house = document["master"]["mastrCnsgmtDec"][1]["houseCargoDec"][0]
    document["master"]["mastrCnsgmtDec"][1]["houseCargoDec"][0] = {"HCRef": house["HCRef"]}
    [refused] = engine.validate_bytes(dump(document), "sca.json")
    assert refused.status == "rejected"
    [finding] = [f for f in refused.findings if f.outcome == "reject"]
    assert finding.rule == "CORE-SYNTAX-003"
    assert finding.field == "/master/mastrCnsgmtDec/1/houseCargoDec/0"
    assert "line 2 sub-line 3 is added (S)" in finding.message
    assert '["trnsprtDocMsr"]' in finding.message
    assert lines_of_csn(engine) == ["AKI0284326"]


def test_an_added_line_needs_its_packages_not_only_its_measures_object(load: Any) -> None:
    """An update may leave the packages out (they are kept); a new line has none to keep."""
    document = sca(load)
    added = document["master"]["mastrCnsgmtDec"][1]
    added["houseCargoDec"] = []
    added["trnsprtDocMsr"] = {"marksNoOnPkgs": "NIL", "amendment": "S"}
    added["trnsprtEqmt"][0]["totalNmbrOfPkgs"] = 0
    parsed = parse(dump(document))
    assert parsed.message is None and parsed.type == "unknown"
    found = {(f.rule, f.field) for f in parsed.findings}
    assert found == {
        ("CORE-SYNTAX-003", "/master/mastrCnsgmtDec/1/trnsprtDocMsr"),
        ("CORE-SYNTAX-005", "/master/mastrCnsgmtDec/1/trnsprtEqmt/0/totalNmbrOfPkgs"),
    }
    for finding in parsed.findings:
        assert "line 2 is added (S)" in finding.message


def test_the_sfl_names_what_the_added_line_lacks(load: Any) -> None:
    engine = with_known_csn(load)
    [refused] = engine.validate_bytes(dump(_bare_master(load)), "sca.json")
    [sfl] = replies(SflWriter, [refused])
    [entry] = sfl["errorDetails"]["errorMessage"]
    assert entry["instance"]["pointer"] == "/master/mastrCnsgmtDec/1"
    assert entry["schema"]["pointer"] == "/properties/master/properties/mastrCnsgmtDec/items"
    assert (entry["keyword"], entry["missing"]) == ("required", ["trnsprtDocMsr", "trnsprtEqmt"])


def test_whole_lines_added_and_updates_that_send_little_are_accepted(
    load: Any, sample_paths: dict[str, Path]
) -> None:
    """CBIC's sample adds a whole house line; an update of line 1 sends only its measures."""
    assert parse(sample_paths[SCA].read_bytes()).findings == []
    engine = with_known_csn(load)
    document = sca(load)
    update = document["master"]["mastrCnsgmtDec"][0]
    update["MCRef"]["amendment"] = "U"
    update["trnsprtDocMsr"] = {"marksNoOnPkgs": "NIL", "amendment": "U"}
    [amended] = engine.validate_bytes(dump(document), "sca.json")
    assert amended.status != "rejected", amended.findings
    assert findings_of(amended, "CORE-SYNTAX-003") == findings_of(amended, "CORE-SYNTAX-005") == []
    assert lines_of_csn(engine) == ["AKI0284326", "NEWBL001", "MBL000O2030079933"]
