"""Detection, registration through entry points, and ``customs convert`` from flat files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.adapters.ices_flatfile.plugin import detect
from customs_engine.cli import main
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.testing import make_engine

from .flat_files import GS, flat_file, igm, steel_be


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (flat_file("cachi01", steel_be()), "ices_flatfile"),
        (flat_file("cachi01", steel_be(), message_id="CACHI01_A"), "ices_flatfile"),
        (b"\xef\xbb\xbf" + flat_file("sachi01", igm()), "ices_flatfile"),
        (flat_file("cachi01", steel_be(), message_id="COCHE01"), None),
        (f"HREC{GS}ZZ".encode(), None),
        (b"<?xml version='1.0'?><x/>", None),
        (b"UNA:+.? 'UNB+UNOC:3", None),
    ],
)
def test_detection_by_hrec_message_id(head: bytes, expected: str | None) -> None:
    assert detect(head[:4096], "f") is (expected is not None)


@pytest.mark.parametrize(("codec", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
@pytest.mark.parametrize("dialect", ["cachi01", "sachi01"])
def test_a_flat_file_in_utf16_or_utf32_is_refused_for_its_encoding(
    dialect: str, codec: str, name: str
) -> None:
    """It was "format not recognised (expected … an ICES 1.5 flat file …)": the encoding is the
    fault, and the response says so, as it does for an SCMTR declaration."""
    tables = steel_be() if dialect == "cachi01" else igm()
    data = flat_file(dialect, tables).decode("ascii").encode(codec)
    assert detect(data[:4096], "f")
    [response] = make_engine().validate_bytes(data, "f")
    assert (response.message.format, response.message.type) == ("ices_flatfile", "unknown")
    assert [(f.rule, f.message) for f in response.findings] == [
        (
            "CORE-SYNTAX-001",
            f"line 1, column 1: the file is {name} text: an ICES 1.5 flat file is ASCII text; "
            "save it as ASCII",
        )
    ]


def test_adapter_is_loaded_through_entry_points() -> None:
    engine = make_engine()
    assert "ices_flatfile" in engine.host.versions()
    assert "ICES-VAL-001" in engine.host.rules
    [parsed] = engine.parse(flat_file("sachi01", igm()), "x.igm")
    assert parsed.format == "ices_flatfile" and parsed.type == "manifest"


CONFIG = '[ices_flatfile]\nigm_number = "0012345"\nigm_date = 2026-03-05\n'


def _convert(tmp_path: Path, data: bytes, target: str) -> bytes:
    source = tmp_path / "in.flat"
    source.write_bytes(data)
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    out = tmp_path / f"out.{target}"
    result = CliRunner().invoke(
        main, ["convert", str(source), "--to", target, "-o", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize(
    ("dialect", "tables", "kind"),
    [("cachi01", steel_be, BillOfEntry), ("sachi01", igm, ImportGeneralManifest)],
)
def test_convert_flat_file_to_xml_round_trips(tmp_path: Path, dialect, tables, kind) -> None:  # type: ignore[no-untyped-def]
    data = flat_file(dialect, tables())
    config = {"ices_flatfile": {"igm_number": "0012345", "igm_date": "2026-03-05"}}
    [original] = make_engine(config=config).parse(data, "in")
    xml = _convert(tmp_path, data, "xml")
    etree.fromstring(xml)
    [back] = read_xml(xml, "out.xml")
    assert back.findings == [] and isinstance(back.message, kind)
    assert back.message.model_dump() == original.message.model_dump()


def test_convert_flat_file_to_edifact(tmp_path: Path) -> None:
    engine = make_engine()
    [parsed] = engine.parse(flat_file("cachi01", steel_be()), "in")
    edifact = _convert(tmp_path, flat_file("cachi01", steel_be()), "edifact")
    [back] = engine.parse(edifact, "out.edi")
    assert back.message is not None
    assert back.message.model_dump() == parsed.message.model_dump()


def test_convert_refuses_an_unreadable_flat_file(tmp_path: Path) -> None:
    tables = steel_be()
    del tables["BE"]
    source = tmp_path / "bad.be"
    source.write_bytes(flat_file("cachi01", tables))
    result = CliRunner().invoke(main, ["convert", str(source), "--to", "xml"])
    assert result.exit_code == 2 and "no <TABLE>BE record" in result.output  # nothing converted
