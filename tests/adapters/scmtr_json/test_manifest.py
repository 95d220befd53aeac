"""SCE → Import General Manifest, and Bills of Entry noted against it."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from customs_engine.adapters.scmtr_json.plugin import detect
from customs_engine.adapters.scmtr_json.reader import parse
from customs_engine.core.dates import IST
from customs_engine.core.models import ImportGeneralManifest
from customs_engine.testing import (
    DEFAULT_IEC,
    bill_of_entry,
    findings_of,
    item,
    make_engine,
    manifest_reference,
)

from .conftest import SCA, SCD, SCE, SCX, dump


def test_detected_by_content_not_by_name(sample_paths: dict[str, Path]) -> None:
    head = sample_paths[SCE].read_bytes()[:4096]
    assert detect(head, "whatever.txt")
    assert not detect(b'{"headerField": {"messageID": "CACHI01"}}', SCE)
    # JSON keys have no order: a declaration writing its master before its header, whose
    # messageID then lies past the first 4 KiB, was refused as "format not recognised"
    document = json.loads(sample_paths[SCE].read_bytes())
    master_first = json.dumps({"master": document["master"], **document}, indent=4).encode()
    assert master_first.index(b'"messageID"') > 4096
    assert detect(master_first[:4096], "")
    assert isinstance(parse(master_first).message, ImportGeneralManifest)
    # nor one that starts with its signature: a real certificate is several KiB
    signed = {"startSignature": "S" * 100, "startCertificate": "C" * 5000, "signerVersion": "1"}
    rest = {key: value for key, value in document.items() if key != "digSign"}
    signature_first = json.dumps({"digSign": signed, **rest}).encode()
    assert signature_first.index(b'"decRef"') > 4096
    assert detect(signature_first[:4096], "")
    assert not detect(b'{"digSign": "x", "other": 1}', "")
    # the file named ..._SCD_... declares SCE inside: it is read as an arrival manifest
    parsed = parse(sample_paths[SCD].read_bytes())
    assert parsed.type == "manifest" and parsed.findings == []
    assert parsed.echo is not None and parsed.echo["event"] == "SCE"
    assert isinstance(parsed.message, ImportGeneralManifest)


def test_a_declaration_in_utf16_or_utf32_is_refused_for_its_encoding(
    sample_paths: dict[str, Path],
) -> None:
    """It was "format not recognised (expected … SCMTR JSON)": the encoding is the fault."""
    text = sample_paths[SCE].read_bytes().decode("utf-8-sig")
    for codec, name in (("utf-16", "UTF-16"), ("utf-32", "UTF-32"), ("utf-16-be", None)):
        data = text.encode(codec)
        if name is None:  # no byte-order mark: not recognised at all
            assert not detect(data[:4096], "")
            continue
        assert detect(data[:4096], "")
        parsed = parse(data)
        assert parsed.message is None
        [finding] = parsed.findings
        assert finding.rule == "CORE-SYNTAX-001"
        assert f"the file is {name} text" in finding.message and "UTF-8" in finding.message


def test_sce_sample_maps_onto_the_manifest(sample_paths: dict[str, Path]) -> None:
    parsed = parse(sample_paths[SCE].read_bytes())
    igm = parsed.message
    assert isinstance(igm, ImportGeneralManifest) and parsed.findings == []
    assert igm.message_id == "SCE-INMUN1-2-20200819-SOMESENDER"
    assert (igm.port_code, igm.igm_number, igm.igm_date) == ("INMUN1", None, None)
    assert igm.function == "original" and igm.conveyance == "VESSEL"
    assert igm.filed_at == datetime(2020, 8, 19, 17, 5, tzinfo=IST)
    assert (igm.voyage, igm.vessel_name, igm.carrier) == (
        "INMUN120201796",
        "IMO 9618587",
        "AADCC3951G",
    )
    [line] = igm.lines
    assert (line.line, line.subline, line.bl_number, line.bl_date) == (
        1,
        0,
        "AKI0284326",
        date(2020, 7, 26),
    )
    assert (line.consignee_name, line.consignee_iec) == ("ETS BON BERGER CLOTHING", None)
    assert (line.packages, line.package_kind, line.gross_weight_kg) == (
        482,
        "PKG",
        Decimal("26072.0"),
    )
    assert line.description is not None and line.description.startswith("FREIGHT PREPAID")
    assert line.cargo_movement == "TC"  # transit (TR, FT) to Matadi: leaves for another port
    [goods] = line.goods_items
    assert (
        goods.hs_code,
        goods.description,
        goods.packages,
        goods.package_kind,
        goods.gross_weight_kg,
    ) == ("630900", "CLOTHES", 482, "PKG", Decimal("26072.0"))


def import_line(load: Any, *, csn: int | None = 1000007) -> dict[str, Any]:
    """The SCE sample made an import for local clearance at Mundra, to an IEC holder."""
    document = load(SCE)
    if csn is not None:
        document["master"]["decRef"].update(csnNmbr=csn, csnDt="20200820")
    mc = document["master"]["mastrCnsgmtDec"][0]
    mc["locCstm"].update(
        firstPrtOfEntry="INMUN1",
        destPrt="INMUN1",
        nxtPrtOfUnlading="INMUN1",
        typOfCrgo="IM",
        crgoMvmt="LC",
    )
    mc["trnsprtDoc"].update(cnsgnesCd=DEFAULT_IEC, typOfCd="IEC", cnsgneCntryCd="IN")
    mc["trnsprtDocMsr"].update(grossWeight=Decimal("26.072"), unitOfWeight="MTS")
    return document


def test_houses_csn_tonnes_and_movements(load: Any) -> None:
    document = import_line(load)
    mc = document["master"]["mastrCnsgmtDec"][0]
    mc["MCRef"]["consolidatedIndctr"] = "C"
    house = {key: mc[key] for key in ("locCstm", "trnsprtDoc", "trnsprtDocMsr")}
    house["HCRef"] = {
        "subLineNo": 2,
        "blNo": "HBL-1".replace("-", ""),
        "blDt": "20200725",
        "consolidatedIndctr": "H",
        "consolidatorPan": "PAN:AADCC3951G",
        "prevDec": "N",
    }
    house["locCstm"] = dict(mc["locCstm"], crgoMvmt="DT")
    mc["houseCargoDec"] = [house]
    parsed = parse(dump(document))
    igm = parsed.message
    assert isinstance(igm, ImportGeneralManifest), parsed.findings
    assert (igm.igm_number, igm.igm_date) == ("1000007", date(2020, 8, 20))
    assert igm.message_id == "CSN-INMUN1-1000007-20200820"
    master, sub = igm.lines
    assert (master.line, master.subline, master.cargo_movement) == (1, 0, "LC")
    assert master.consignee_iec == DEFAULT_IEC and master.gross_weight_kg == Decimal("26072")
    assert (sub.line, sub.subline, sub.bl_number, sub.cargo_movement) == (1, 2, "HBL1", "TI")


def boe_by_bl(bl_number: str) -> Any:
    return bill_of_entry(
        item(),
        port_code="INMUN1",
        presented_at="2020-08-21T10:00:00",
        manifest=manifest_reference(
            igm_number="1000007", igm_date=None, line=None, subline=None, bl_number=bl_number
        ),
    )


def test_boe_noted_by_bl_against_an_sce_local_clearance_line(load: Any) -> None:
    engine = make_engine()
    [sce] = engine.validate_bytes(dump(import_line(load)), "sce.json")
    assert sce.status == "accepted" and sce.document.number == "1000007"
    noted = engine.validate_message(boe_by_bl("AKI0284326"))
    for rule in (
        "CORE-BOE-NOTE-001",
        "CORE-BOE-NOTE-002",
        "CORE-BOE-NOTE-003",
        "CORE-BOE-NOTE-004",
    ):
        assert findings_of(noted, rule) == [], noted.findings
    unknown = engine.validate_message(boe_by_bl("NOSUCHBL"))
    [finding] = findings_of(unknown, "CORE-BOE-NOTE-003")
    assert "B/L NOSUCHBL" in finding.message


def test_scx_scd_and_sca_are_answered_not_stored(sample_paths: dict[str, Path], load: Any) -> None:
    engine = make_engine()
    scd = load(SCE)
    scd["headerField"]["reportingEvent"] = scd["master"]["decRef"]["rptngEvent"] = "SCD"
    [domestic] = engine.validate_bytes(dump(scd), "scd.json")
    assert domestic.status == "accepted" and domestic.message.type == "manifest"
    assert domestic.document.number is None
    [amendment] = engine.validate_bytes(sample_paths[SCA].read_bytes(), "sca.json")
    assert amendment.status == "query"  # CORE-DOC-002: its CSN is not known
    assert amendment.message.reference == "CSN-INBOM1-1000126-20200721"
    [exit_] = engine.validate_bytes(sample_paths[SCX].read_bytes(), "scx.json")
    assert exit_.status == "rejected"  # CBIC's own SCX sample breaks CBIC's schema
    assert engine.run.manifest("1000126") is None
