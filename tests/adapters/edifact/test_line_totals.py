"""A manifest line's own totals (packages, their kind, gross weight) survive conversion to
CUSCAR beside its goods items: written as line attributes where the goods items do not imply
them, so XML → EDIFACT → XML keeps the line as it was."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.cli import main
from customs_engine.core.models import GoodsItem, ImportGeneralManifest
from customs_engine.testing import manifest, manifest_line

from .interchanges import cuscar_segments, interchange

GOODS = [
    GoodsItem(packages=2, package_kind="CTN", gross_weight_kg=Decimal("0.25"), description="A"),
    GoodsItem(packages=3, package_kind="BOX", gross_weight_kg=Decimal("0.25"), description="B"),
]


def back(igm: ImportGeneralManifest) -> tuple[ImportGeneralManifest, str]:
    data = edifact_writer.write(igm)
    (parsed,) = read_edifact(data)
    assert parsed.findings == [], [f.message for f in parsed.findings]
    assert isinstance(parsed.message, ImportGeneralManifest)
    return parsed.message, data.decode()


@pytest.mark.parametrize(
    ("fields", "written"),
    [
        ({"package_kind": "CTN"}, "FTX+ZZZ+++LKND:CTN'"),
        ({"packages": 9}, "FTX+ZZZ+++LPKG:9'"),
        ({"gross_weight_kg": Decimal("2.250")}, "FTX+ZZZ+++LGWT:2.250'"),
        (
            {"packages": 7, "package_kind": "PLT", "gross_weight_kg": Decimal("12")},
            "FTX+ZZZ+++LPKG:7'\nFTX+ZZZ+++LKND:PLT'\nFTX+ZZZ+++LGWT:12'",
        ),
    ],
)
def test_a_line_total_of_its_own_comes_back(fields: dict[str, object], written: str) -> None:
    line = manifest_line(goods_items=GOODS, **fields)
    igm = manifest(line, filed_at=None)  # igm_date travels as DTM+137
    again, text = back(igm)
    assert again == igm
    assert written in text


def test_totals_the_goods_items_imply_are_not_written_again() -> None:
    same = [GOODS[0], GOODS[0].model_copy(update={"description": "C"})]
    igm = manifest(
        manifest_line(goods_items=same, packages=None, package_kind=None, gross_weight_kg=None),
        filed_at=None,
    )
    assert igm.lines[0].package_kind == "CTN" and igm.lines[0].packages == 4
    again, text = back(igm)
    assert again == igm
    assert "LKND" not in text and "LPKG" not in text and "LGWT" not in text


def test_a_line_without_goods_items_keeps_its_totals_in_its_gid() -> None:
    igm = manifest(manifest_line(), filed_at=None)
    again, text = back(igm)
    assert again == igm and "GID+1+10:PKG'" in text and "LKND" not in text


def test_the_audit_repro_converts_xml_to_edifact_and_back(tmp_path: Path) -> None:
    line = manifest_line(goods_items=GOODS, packages=None, package_kind="CTN", description="PARTS")
    igm = manifest(line, message_id="IGM-PKGKIND", filed_at=None)
    source, edi, xml = tmp_path / "igm.xml", tmp_path / "igm.edi", tmp_path / "back.xml"
    source.write_bytes(xml_writer.write(igm))
    runner = CliRunner()
    result = runner.invoke(main, ["convert", str(source), "--to", "edifact", "-o", str(edi)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["convert", str(edi), "--to", "xml", "-o", str(xml)])
    assert result.exit_code == 0, result.output
    (parsed,) = read_xml(xml.read_bytes(), str(xml))
    assert parsed.message == igm
    assert parsed.message.lines[0].package_kind == "CTN"


@pytest.mark.parametrize(
    ("attribute", "problem"),
    [
        ("LPKG:MANY", "LPKG number of packages must be a whole number"),
        ("LGWT:-1", "LGWT gross weight must be above zero"),
        ("LGWT:0", "LGWT gross weight must be above zero"),
    ],
)
def test_a_bad_line_total_is_a_value_finding(attribute: str, problem: str) -> None:
    segments = cuscar_segments()
    at = next(k for k, seg in enumerate(segments) if seg.startswith("GID"))
    segments.insert(at + 1, f"FTX+ZZZ+++{attribute}")
    (parsed,) = read_edifact(interchange(segments))
    assert any(f.rule == "CORE-SYNTAX-005" and problem in f.message for f in parsed.findings), [
        f.message for f in parsed.findings
    ]
