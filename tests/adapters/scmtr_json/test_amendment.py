"""An SCA amends the CSN it names: later Bills of Entry are noted against the amended manifest."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from customs_engine.core.models import ImportGeneralManifest
from customs_engine.testing import findings_of, make_engine

from .conftest import SCA, dump
from .test_manifest import boe_by_bl, import_line


def sca(load: Any, *, csn: int = 1000007) -> dict[str, Any]:
    """CBIC's SCA sample re-aimed at the Mundra CSN: line 1 deleted, line 2 added, sub-line 1/3
    added under it."""
    document = load(SCA)
    document["headerField"]["receiverID"] = "INMUN1"
    document["master"]["decRef"].update(prtofRptng="INMUN1", csnNmbr=csn, csnDt="20200820")
    template = document["master"]["mastrCnsgmtDec"][0]
    deleted = {
        "MCRef": dict(
            template["MCRef"], lineNo=1, mstrBlNo="AKI0284326", mstrBlDt="20200726", amendment="D"
        ),
        "supRef": template["supRef"],
    }
    added = copy.deepcopy(template)
    added["MCRef"].update(lineNo=2, mstrBlNo="NEWBL001", amendment="S", consolidatedIndctr="C")
    document["master"]["mastrCnsgmtDec"] = [deleted, added]
    return document


def line_1_down_to_400(document: dict[str, Any]) -> dict[str, Any]:
    """Make master line 1 of an SCA an update (U) of its measures to 400 packages; the line."""
    update: dict[str, Any] = document["master"]["mastrCnsgmtDec"][0]
    update["MCRef"]["amendment"] = "U"
    update["trnsprtDocMsr"] = {
        "nmbrOfPkgs": 400,
        "typsOfPkgs": "PKG",
        "marksNoOnPkgs": "NIL",
        "amendment": "U",
    }
    return update


def with_known_csn(load: Any) -> Any:
    """An engine whose run knows the SCE of CSN 1000007 (one line, B/L AKI0284326)."""
    engine = make_engine()
    engine.validate_bytes(dump(import_line(load)), "sce.json")
    return engine


def lines_of_csn(engine: Any) -> list[str | None]:
    """The B/L numbers of CSN 1000007's lines as the run now holds it."""
    current = engine.run.manifest("1000007")
    assert current is not None
    return [line.bl_number for line in current.lines]


def test_sca_changes_what_later_boes_are_noted_against(load: Any) -> None:
    engine = make_engine()
    [sce] = engine.validate_bytes(dump(import_line(load)), "sce.json")
    assert sce.status == "accepted"
    before = engine.validate_message(boe_by_bl("AKI0284326"))
    assert findings_of(before, "CORE-BOE-NOTE-003") == []

    [amended] = engine.validate_bytes(dump(sca(load)), "sca.json")
    assert amended.message.reference == sce.message.reference  # the document: the filed CSN
    assert amended.message.function == "amendment"
    assert [f.rule for f in amended.findings if f.outcome != "info"] == ["CORE-IGM-004"]
    rules = {f.rule for f in amended.findings}
    assert "SCMTR-SCA-001" not in rules and "SCMTR-SCA-002" not in rules
    current = engine.run.manifest("1000007")
    assert isinstance(current, ImportGeneralManifest)
    assert [(ln.line, ln.subline, ln.bl_number) for ln in current.lines] == [
        (2, 0, "NEWBL001"),
        (2, 3, "MBL000O2030079933"),
    ]

    gone = engine.validate_message(boe_by_bl("AKI0284326"))
    assert findings_of(gone, "CORE-BOE-NOTE-003"), gone.findings
    new = engine.validate_message(boe_by_bl("MBL000O2030079933"))
    assert findings_of(new, "CORE-BOE-NOTE-003") == []


def test_sca_update_keeps_what_it_does_not_send(load: Any) -> None:
    engine = with_known_csn(load)
    document = sca(load)
    update = line_1_down_to_400(document)
    document["master"]["mastrCnsgmtDec"] = [update]
    [amended] = engine.validate_bytes(dump(document), "sca.json")
    line = engine.run.manifest("1000007").lines[0]  # type: ignore[union-attr]
    assert (line.packages, line.bl_number, line.consignee_name) == (
        400,
        "AKI0284326",
        "ETS BON BERGER CLOTHING",
    )
    assert line.gross_weight_kg == 26072  # the new measures send no weight: it is kept
    assert any(f.rule == "CORE-IGM-005" for f in amended.findings)  # fewer packages: hold


def test_sca_of_an_unknown_csn_is_answered_not_stored(load: Any) -> None:
    engine = with_known_csn(load)
    [alone] = engine.validate_bytes(dump(sca(load, csn=1234567)), "sca.json")
    assert alone.message.reference == "CSN-INMUN1-1234567-20200820"
    assert alone.message.function == "amendment"
    assert (alone.document.port_code, alone.document.number) == ("INMUN1", "1234567")
    assert str(alone.document.date) == "2020-08-20"
    assert [(f.rule, f.outcome) for f in alone.findings] == [("CORE-DOC-002", "query")]
    assert engine.run.manifest("1234567") is None
    assert engine.run.document("CSN-INMUN1-1234567-20200820") is None
    noted = engine.run.manifest("1000007")
    assert noted is not None and [ln.bl_number for ln in noted.lines] == ["AKI0284326"]


def test_sca_of_a_csn_known_at_another_port_is_an_unknown_amendment(load: Any) -> None:
    engine = with_known_csn(load)  # CSN 1000007 at INMUN1
    document = sca(load)
    document["master"]["decRef"]["prtofRptng"] = "INNSA1"
    [elsewhere] = engine.validate_bytes(dump(document), "sca.json")
    assert elsewhere.document.port_code == "INNSA1"
    assert findings_of(elsewhere, "CORE-DOC-002")
    assert lines_of_csn(engine) == ["AKI0284326"]


def test_sca_of_a_known_csn_is_no_unknown_amendment(load: Any) -> None:
    engine = with_known_csn(load)
    [amended] = engine.validate_bytes(dump(sca(load)), "sca.json")
    assert findings_of(amended, "CORE-DOC-002") == []
    assert findings_of(amended, "CORE-IGM-003")


def _update_of_line_1(load: Any) -> dict[str, Any]:
    """An SCA updating only the measures of master line 1 (B/L AKI0284326)."""
    document = sca(load)
    update = line_1_down_to_400(document)
    document["master"]["mastrCnsgmtDec"] = [update]
    return document


def test_sca_update_of_a_line_the_csn_does_not_have_is_refused(load: Any) -> None:
    """Guide error 306: an earlier SCA deleted line 1; updating it does not bring it back."""
    engine = with_known_csn(load)
    engine.validate_bytes(dump(sca(load)), "sca.json")  # line 1 deleted, line 2 added
    [update] = engine.validate_bytes(dump(_update_of_line_1(load)), "sca-u.json")
    assert update.status == "rejected"
    [refusal] = findings_of(update, "SCMTR-SCA-001")
    assert refusal.outcome == "reject" and "306" in refusal.message
    assert refusal.field == "/master/mastrCnsgmtDec/0/MCRef/amendment"
    assert findings_of(update, "CORE-IGM-003") == []  # it took no effect
    current = engine.run.manifest("1000007")
    assert current is not None
    assert [(ln.line, ln.subline) for ln in current.lines] == [(2, 0), (2, 3)]
    gone = engine.validate_message(boe_by_bl("AKI0284326"))
    assert findings_of(gone, "CORE-BOE-NOTE-003"), gone.findings


def test_sca_addition_of_a_line_the_csn_has_is_refused(load: Any) -> None:
    """Guide error 307: ``S`` of line 1, which the CSN has, does not silently replace it."""
    engine = with_known_csn(load)
    document = sca(load)
    added = document["master"]["mastrCnsgmtDec"][1]
    added["MCRef"]["lineNo"] = 1
    document["master"]["mastrCnsgmtDec"] = [added]
    [again] = engine.validate_bytes(dump(document), "sca-s.json")
    assert again.status == "rejected"
    [refusal] = findings_of(again, "SCMTR-SCA-002")
    assert "307" in refusal.message
    assert lines_of_csn(engine) == ["AKI0284326"]


def test_sca_deletion_of_a_line_the_csn_does_not_have_is_refused(load: Any) -> None:
    """Guide error 306 for ``D``; the valid actions of the same SCA are not filed either."""
    engine = with_known_csn(load)
    document = sca(load)
    document["master"]["mastrCnsgmtDec"][0]["MCRef"]["lineNo"] = 9
    [deletion] = engine.validate_bytes(dump(document), "sca-d.json")
    assert deletion.status == "rejected"
    assert findings_of(deletion, "SCMTR-SCA-001")
    assert lines_of_csn(engine) == ["AKI0284326"]


def test_sca_refusal_is_acknowledged_with_the_guide_code(load: Any) -> None:
    import io
    import json

    from customs_engine.adapters.scmtr_json.replies import AckWriter

    engine = with_known_csn(load)
    engine.validate_bytes(dump(sca(load)), "sca.json")
    [update] = engine.validate_bytes(dump(_update_of_line_1(load)), "sca-u.json")
    out = io.BytesIO()
    AckWriter(out).write(update)
    assert '"306"' in json.dumps(json.loads(out.getvalue()))


def test_sca_may_list_the_houses_of_a_master_it_deletes(load: Any) -> None:
    """Deleting master line 2 takes sub-line 2/3 with it; ``D`` of 2/3 in the same SCA fits."""
    engine = with_known_csn(load)
    engine.validate_bytes(dump(sca(load)), "sca.json")  # line 2 and sub-line 2/3 added
    document = sca(load)
    master = document["master"]["mastrCnsgmtDec"][1]
    master["MCRef"]["amendment"] = "D"
    for house in master.get("houseCargoDec") or []:
        house["HCRef"]["amendment"] = "D"
    document["master"]["mastrCnsgmtDec"] = [master]
    [deletion] = engine.validate_bytes(dump(document), "sca-dd.json")
    assert "SCMTR-SCA-001" not in {f.rule for f in deletion.findings}, deletion.findings
    assert deletion.status != "rejected"
    current = engine.run.manifest("1000007")
    assert current is not None and current.lines == []


@pytest.mark.parametrize(
    ("where", "value", "pointer"),
    [
        ("msgTyp", "D", "/master/decRef/msgTyp"),
        ("msgTyp", "F", "/master/decRef/msgTyp"),
        ("amendment", "D", "/master/decRef/amendment"),
    ],
)
def test_an_sca_that_says_it_deletes_or_is_fresh_is_refused(
    load: Any, where: str, value: str, pointer: str
) -> None:
    """An SCA of message type D (or F), or whose decRef.amendment is D, is not processed as a
    line amendment: which it is, is undefined."""
    engine = with_known_csn(load)
    document = sca(load)
    document["master"]["decRef"][where] = value
    [refused] = engine.validate_bytes(dump(document), "sca.json")
    assert refused.status == "rejected"
    [finding] = [f for f in refused.findings if f.outcome == "reject"]
    assert (finding.rule, finding.field) == ("CORE-SYNTAX-003", pointer)
    assert lines_of_csn(engine) == ["AKI0284326"]
