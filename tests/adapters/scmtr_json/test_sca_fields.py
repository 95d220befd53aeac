"""An SCA update replaces only what it sends: the fields of an object it leaves out, the goods
items it does not name and their HS codes are kept; goods items are amended one by one."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from customs_engine.core.models import ManifestLine
from customs_engine.testing import findings_of

from .conftest import dump
from .test_amendment import sca, with_known_csn
from .test_manifest import DEFAULT_IEC


def update_of_line_1(load: Any, **objects: Any) -> dict[str, Any]:
    """An SCA updating master line 1 (B/L AKI0284326) with these objects only."""
    document = sca(load)
    update = document["master"]["mastrCnsgmtDec"][0]
    update["MCRef"]["amendment"] = "U"
    update.update(objects)
    document["master"]["mastrCnsgmtDec"] = [update]
    return document


def line_1(engine: Any) -> ManifestLine:
    current = engine.run.manifest("1000007")
    assert current is not None
    found = current.find_line(1)
    assert found is not None
    return found


def item(seq: int, action: str, **fields: Any) -> dict[str, Any]:
    return {"crgoItemSeqNmbr": seq, "unoCd": "ZZZZZ", "imdgCd": "ZZZ", "amendment": action} | {
        key: value for key, value in fields.items()
    }


def test_measures_without_packages_or_weight_keep_them(load: Any) -> None:
    engine = with_known_csn(load)
    marks = {"marksNoOnPkgs": "NEW MARKS", "amendment": "U"}
    [amended] = engine.validate_bytes(dump(update_of_line_1(load, trnsprtDocMsr=marks)), "m.json")
    assert amended.status != "rejected", amended.findings
    line = line_1(engine)
    assert (line.packages, line.package_kind, line.gross_weight_kg) == (
        482,
        "PKG",
        Decimal("26072.000"),
    )
    assert [(g.hs_code, g.description) for g in line.goods_items] == [("630900", "CLOTHES")]


def test_lowering_packages_after_an_update_that_left_them_out_is_still_held(load: Any) -> None:
    """CORE-IGM-005 cannot be bypassed in two steps (a first SCA wiping the packages)."""
    engine = with_known_csn(load)
    marks = {"marksNoOnPkgs": "NEW MARKS", "amendment": "U"}
    engine.validate_bytes(dump(update_of_line_1(load, trnsprtDocMsr=marks)), "m.json")
    lower = {
        "nmbrOfPkgs": 10,
        "typsOfPkgs": "PKG",
        "marksNoOnPkgs": "NEW MARKS",
        "grossWeight": 100,
        "unitOfWeight": "KGS",
        "amendment": "U",
    }
    [lowered] = engine.validate_bytes(dump(update_of_line_1(load, trnsprtDocMsr=lower)), "l.json")
    assert findings_of(lowered, "CORE-IGM-005"), lowered.findings
    line = line_1(engine)
    assert (line.packages, line.gross_weight_kg) == (10, Decimal(100))
    assert [g.hs_code for g in line.goods_items] == ["630900"]  # the one item's HS code kept


def test_transport_document_without_consignee_code_keeps_the_iec(load: Any) -> None:
    engine = with_known_csn(load)
    doc = copy.deepcopy(load("F_SACHM22_SCE_SOMESENDER_2_190820201705_DEC.json"))["master"][
        "mastrCnsgmtDec"
    ][0]["trnsprtDoc"]
    doc.update(cnsgnesName="NEW NAME", amendment="U")
    doc.pop("cnsgnesCd", None)
    doc.pop("typOfCd", None)
    engine.validate_bytes(dump(update_of_line_1(load, trnsprtDoc=doc)), "d.json")
    line = line_1(engine)
    assert (line.consignee_name, line.consignee_iec) == ("NEW NAME", DEFAULT_IEC)


def _two_items(load: Any) -> Any:
    """CSN 1000007 with line 1's goods items 1 (HS 630900) and 2 (HS 620342), added by an SCA."""
    engine = with_known_csn(load)
    add = item(2, "S", hsCd="620342", crgoItemDesc="TROUSERS", nmbrOfPkgs=2, typOfPkgs="PKG")
    [added] = engine.validate_bytes(dump(update_of_line_1(load, itemDtls=[add])), "a.json")
    assert added.status != "rejected", added.findings
    return engine


def test_an_added_goods_item_keeps_the_others(load: Any) -> None:
    engine = _two_items(load)
    line = line_1(engine)
    assert [(g.hs_code, g.description, g.packages) for g in line.goods_items] == [
        ("630900", "CLOTHES", 482),
        ("620342", "TROUSERS", 2),
    ]
    assert line.packages == 482  # the B/L's own total: the SCA sent no measures


def test_a_deleted_goods_item_is_the_one_removed(load: Any) -> None:
    engine = _two_items(load)
    deletion = update_of_line_1(load, itemDtls=[item(2, "D", hsCd="620342")])
    engine.validate_bytes(dump(deletion), "d.json")
    assert [g.hs_code for g in line_1(engine).goods_items] == ["630900"]


def test_a_goods_item_update_changes_only_what_it_sends(load: Any) -> None:
    engine = _two_items(load)
    update = item(1, "U", hsCd="630910")
    [changed] = engine.validate_bytes(dump(update_of_line_1(load, itemDtls=[update])), "u.json")
    assert "SCMTR-SCA-003" not in {f.rule for f in changed.findings}
    assert [(g.hs_code, g.description, g.packages) for g in line_1(engine).goods_items] == [
        ("630910", "CLOTHES", 482),
        ("620342", "TROUSERS", 2),
    ]


def test_a_goods_item_action_that_does_not_fit_refuses_the_sca(load: Any) -> None:
    engine = with_known_csn(load)
    [unknown] = engine.validate_bytes(
        dump(update_of_line_1(load, itemDtls=[item(5, "D", hsCd="620342")])), "d.json"
    )
    assert unknown.status == "rejected"
    [refusal] = findings_of(unknown, "SCMTR-SCA-003")
    assert refusal.field == "/master/mastrCnsgmtDec/0/itemDtls/0/amendment"
    again = item(1, "S", hsCd="620342", crgoItemDesc="X", nmbrOfPkgs=1, typOfPkgs="PKG")
    [twice] = engine.validate_bytes(dump(update_of_line_1(load, itemDtls=[again])), "s.json")
    assert findings_of(twice, "SCMTR-SCA-003")
    assert [g.hs_code for g in line_1(engine).goods_items] == ["630900"]
