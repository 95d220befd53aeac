"""A manifest line with several goods items (CUSCAR GID groups) keeps every one of them."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read
from customs_engine.adapters.icegate_xml import reader as xml_reader
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.core.models import GoodsItem, ImportGeneralManifest, ManifestLine

from .interchanges import cuscar_segments, interchange

TWO_GIDS = [
    *cuscar_segments(),
    "CST++84713010:122",
    "GID+2+5:CT",
    "FTX+AAA+++SECOND GOODS:ITEM",
    "MEA+AAE+G+KGM:99.5",
]


def manifest(data: bytes) -> ImportGeneralManifest:
    (parsed,) = read(data, "t.edi")
    assert parsed.findings == [], [f.message for f in parsed.findings]
    assert isinstance(parsed.message, ImportGeneralManifest)
    return parsed.message


def test_every_gid_of_a_line_is_a_goods_item_and_the_line_carries_the_totals() -> None:
    (line,) = manifest(interchange(TWO_GIDS)).lines
    assert line.goods_items == [
        GoodsItem(
            packages=120,
            package_kind="PKG",
            gross_weight_kg=Decimal("4200.5"),
            description="LAPTOP COMPUTERS",
            hs_code="84713010",
        ),
        GoodsItem(
            packages=5,
            package_kind="CT",
            gross_weight_kg=Decimal("99.5"),
            description="SECOND GOODS ITEM",
        ),
    ]
    assert (line.packages, line.gross_weight_kg) == (125, Decimal("4300.0"))
    assert line.package_kind is None and line.description is None  # not shared by both
    assert line.cargo_movement == "LC"


def test_ftx_text_lines_are_kept_apart() -> None:
    segs = [
        seg if not seg.startswith("FTX+AAA") else "FTX+AAA+++IRON COIL:SHEET METAL"
        for seg in cuscar_segments()
    ]
    (line,) = manifest(interchange(segs)).lines
    assert line.description == "IRON COIL SHEET METAL"


def test_a_line_given_by_its_totals_is_its_one_goods_item() -> None:
    line = ManifestLine(line=1, packages=3, package_kind="PKG", description="X")
    assert line.goods_items == [GoodsItem(packages=3, package_kind="PKG", description="X")]
    assert ManifestLine(line=2).goods_items == []


def test_goods_items_survive_edifact_and_xml_round_trips() -> None:
    original = manifest(interchange(TWO_GIDS))
    again = manifest(edifact_writer.write(original))
    assert again.lines == original.lines
    xml = xml_writer.write(original)
    assert xml_reader.schema().validate(etree.fromstring(xml)), xml_reader.schema().error_log
    (parsed,) = xml_reader.read(xml, "t.xml")
    assert parsed.findings == []
    assert parsed.message is not None and parsed.message.lines == original.lines


def test_a_long_description_is_cut_at_spaces_and_read_back_whole() -> None:
    text = " ".join(["WORD"] * 40)  # 199 characters: three 70-character lines
    line = ManifestLine(line=1, description=text)
    segs = edifact_writer.goods_segments(line)
    ftx = [seg for seg in segs if seg.tag == "FTX"]
    assert all(len(part) <= 70 for seg in ftx for part in seg.elements[3])
    igm = ImportGeneralManifest(
        message_id="IGM-1", port_code="INNSA1", conveyance="VESSEL", lines=[line]
    )
    assert manifest(edifact_writer.write(igm)).lines[0].description == text
