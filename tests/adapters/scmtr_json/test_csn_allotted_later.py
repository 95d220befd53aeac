"""An SCE is filed before ICEGATE allots its CSN (only the ACK carries it). An SCA quoting that
CSN finds the declaration filed without it — same port and voyage, the master B/Ls it updates or
deletes — when exactly one fits; the amended manifest then carries the CSN. It was answered as
an amendment of an unknown IGM (CORE-DOC-002) and never applied."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry
from customs_engine.testing import findings_of, make_engine

from .conftest import dump
from .test_amendment import line_1_down_to_400, sca
from .test_manifest import boe_by_bl, import_line
from .test_resent import answer

SCE_ID = "SCE-INMUN1-2-20200819-SOMESENDER"


def fresh_sce(load: Any, *, job: int = 2) -> dict[str, Any]:
    """CBIC's SCE sample as filed: no CSN yet (voyage INMUN120201796, line 1 B/L AKI0284326)."""
    document = import_line(load, csn=None)
    document["master"]["decRef"]["jobNo"] = job
    return document


def update_of_line_1(load: Any) -> dict[str, Any]:
    """An SCA quoting CSN 1000007 of 20 Aug 2020 for that voyage: line 1 down to 400 packages,
    line 2 and sub-line 2/3 added."""
    document = sca(load)
    document["master"]["voyageDtls"]["cnvnceRefNmbr"] = "INMUN120201796"
    document["master"]["vesselDtls"]["trnsprtMeansId"] = "9618587"
    line_1_down_to_400(document)
    return document


def test_an_sca_applies_to_the_sce_filed_before_its_csn(load: Any) -> None:
    engine = make_engine()
    [sce] = engine.validate_bytes(dump(fresh_sce(load)), "sce.json")
    assert sce.status == "accepted" and sce.message.reference == SCE_ID
    assert engine.run.manifest("1000007") is None

    [amended] = engine.validate_bytes(dump(update_of_line_1(load)), "sca.json")
    assert findings_of(amended, "CORE-DOC-002") == []
    assert amended.message.reference == SCE_ID  # the document: the declaration filed
    assert amended.message.function == "amendment"
    assert findings_of(amended, "CORE-IGM-003") and findings_of(amended, "CORE-IGM-005")
    current = engine.run.manifest("1000007")
    assert current is not None and current.message_id == SCE_ID
    assert current.igm_date == date(2020, 8, 20)
    assert [(ln.line, ln.subline, ln.packages) for ln in current.lines][:2] == [
        (1, 0, 400),
        (2, 0, 1450),
    ]
    # Bills of Entry quoting the CSN are noted against it, and a later SCA applies by number
    noted = engine.validate_message(boe_by_bl("MBL000O2030079933"))
    assert findings_of(noted, "CORE-BOE-NOTE-003") == [], noted.findings
    later = sca(load)  # deletes line 1
    later["master"]["mastrCnsgmtDec"] = later["master"]["mastrCnsgmtDec"][:1]
    [deleted] = engine.validate_bytes(dump(later), "sca-2.json")
    assert findings_of(deleted, "CORE-DOC-002") == [] and findings_of(deleted, "CORE-IGM-004")
    current = engine.run.manifest("1000007")
    assert current is not None and [ln.line for ln in current.lines] == [2, 2]


def test_the_same_sca_again_is_replayed(load: Any) -> None:
    engine = make_engine()
    engine.validate_bytes(dump(fresh_sce(load)), "sce.json")
    body = dump(update_of_line_1(load))
    [filed] = engine.validate_bytes(body, "sca.json")
    assert findings_of(filed, "CORE-DOC-002") == []
    [again] = engine.validate_bytes(body, "sca-again.json")
    assert answer(again) == answer(filed)
    assert findings_of(again, "SCMTR-SCA-002") == []  # not refused: line 2 is its own
    current = engine.run.manifest("1000007")
    assert current is not None and len(current.lines) == 3


def _no_voyage(document: dict[str, Any]) -> None:
    del document["master"]["voyageDtls"]


def _other_voyage(document: dict[str, Any]) -> None:
    document["master"]["voyageDtls"]["cnvnceRefNmbr"] = "INMUN120201797"


def _other_bl(document: dict[str, Any]) -> None:
    document["master"]["mastrCnsgmtDec"][0]["MCRef"]["mstrBlNo"] = "OTHERBL"


def _other_vessel(document: dict[str, Any]) -> None:
    document["master"]["vesselDtls"]["trnsprtMeansId"] = "9241205"


def _dated_before_filing(document: dict[str, Any]) -> None:
    document["master"]["decRef"]["csnDt"] = "20200818"


def _only_additions(document: dict[str, Any]) -> None:
    document["master"]["mastrCnsgmtDec"] = document["master"]["mastrCnsgmtDec"][1:]


@pytest.mark.parametrize(
    "change",
    [_no_voyage, _other_voyage, _other_bl, _other_vessel, _dated_before_filing, _only_additions],
)
def test_an_sca_that_does_not_identify_the_declaration_stays_unknown(
    load: Any, change: Any
) -> None:
    engine = make_engine()
    engine.validate_bytes(dump(fresh_sce(load)), "sce.json")
    document = update_of_line_1(load)
    change(document)
    [alone] = engine.validate_bytes(dump(document), "sca.json")
    assert [(f.rule, f.outcome) for f in alone.findings] == [("CORE-DOC-002", "query")]
    assert engine.run.manifest("1000007") is None
    [filed] = engine.run.unnumbered_manifests("INMUN1")
    assert filed.message_id == SCE_ID and filed.lines[0].packages == 482


def test_two_declarations_that_fit_leave_the_csn_unknown(load: Any) -> None:
    engine = make_engine()
    engine.validate_bytes(dump(fresh_sce(load, job=2)), "sce-2.json")
    engine.validate_bytes(dump(fresh_sce(load, job=3)), "sce-3.json")
    [alone] = engine.validate_bytes(dump(update_of_line_1(load)), "sca.json")
    assert [f.rule for f in alone.findings] == ["CORE-DOC-002"]
    assert engine.run.manifest("1000007") is None
    assert len(engine.run.unnumbered_manifests("INMUN1")) == 2


def test_a_manifest_of_the_port_with_that_number_already_leaves_it_unknown(load: Any) -> None:
    """CSN 1000007 of 1 September is the port's already: the SCA's 1000007 of 20 August is not
    taken by the declaration filed without a CSN."""
    engine = make_engine()
    numbered = import_line(load)
    numbered["master"]["decRef"].update(jobNo=9, csnDt="20200901")
    engine.validate_bytes(dump(numbered), "sce-numbered.json")
    engine.validate_bytes(dump(fresh_sce(load)), "sce.json")
    [alone] = engine.validate_bytes(dump(update_of_line_1(load)), "sca.json")
    assert [f.rule for f in alone.findings] == ["CORE-DOC-002"]
    [filed] = engine.run.unnumbered_manifests("INMUN1")
    assert filed.lines[0].packages == 482


def test_a_committed_sce_takes_its_csn_from_an_sca_of_a_later_run(
    load: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'customs.db'}"
    sce, sca_file = tmp_path / "sce.json", tmp_path / "sca.json"
    sce.write_bytes(dump(fresh_sce(load)))
    sca_file.write_bytes(dump(update_of_line_1(load)))
    for path in (sce, sca_file):
        result = CliRunner().invoke(
            main, ["validate", "--db", url, "--commit", "--format", "jsonl", str(path)]
        )
        assert result.exit_code != 2, result.output
    [line] = [ln for ln in result.stdout.splitlines() if ln.strip()]
    response = json.loads(line)
    assert response["message"]["reference"] == SCE_ID
    assert "CORE-DOC-002" not in {f["rule"] for f in response["findings"]}
    store = SqlRegistry.open(url)
    try:
        [stored] = store.find_manifests("1000007")
        assert stored.message_id == SCE_ID and stored.lines[0].packages == 400
        assert list(store.find_unnumbered_manifests("INMUN1")) == []
    finally:
        store.close()
