"""``customs convert`` refuses what the target format cannot hold — naming the message, the field
and why on stderr, writing nothing (``--force`` writes the other messages), exit 1 — and refuses
an ``-o`` that names its own input (exit 2). Valid files convert as before, silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from customs_engine.adapters.icegate_xml.reader import NAMESPACE
from customs_engine.cli import main
from tests.adapters.edifact.interchanges import cusdec_segments, interchange
from tests.conftest import MESSAGES

BE_XML = MESSAGES / "02-be-laptops-ims.xml"


def convert(source: Path, target: str, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main, ["convert", str(source), "--to", target, "-o", str(out), *extra]
    )


def test_edifact_values_the_xsd_refuses_are_refused_when_read(tmp_path: Path) -> None:
    """The canonical model holds the XSD's shapes: such a value never gets as far as a writer."""
    source, out = tmp_path / "in.edi", tmp_path / "out.xml"
    source.write_bytes(interchange(cusdec_segments(LOC35="LOC+35+USA", LOC9="LOC+9+NEW YORK")))
    result = convert(source, "xml", out)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    for field in ("consigned_from", "port_of_loading"):
        (line,) = [line for line in lines if f": {field}: " in line]
        assert "message M1: reject CORE-SYNTAX-005: line " in line and "segment LOC #" in line
    assert "nothing could be converted" in result.stderr
    assert not out.exists()


def test_a_control_character_is_a_refusal_not_a_plugin_failure(tmp_path: Path) -> None:
    source, out = tmp_path / "in.edi", tmp_path / "out.xml"
    source.write_bytes(interchange(cusdec_segments(FTXAAA="FTX+AAA+++LAP\x01TOPS")))
    result = convert(source, "xml", out)
    assert result.exit_code == 1, result.stderr
    assert "failed writing" not in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_an_xml_value_too_long_for_edifact_is_refused_not_cut(tmp_path: Path) -> None:
    source, out = tmp_path / "in.xml", tmp_path / "out.edi"
    source.write_text(
        BE_XML.read_text().replace("<Name>", "<Name>" + "N" * 190, 1), encoding="utf-8"
    )
    result = convert(source, "edifact", out)
    assert result.exit_code == 1, result.stderr
    assert "importer (NAD+IM" in result.stderr and "at most 175 fit" in result.stderr
    assert not out.exists()


def test_an_xml_newline_is_refused_by_the_edifact_writer(tmp_path: Path) -> None:
    source, out = tmp_path / "in.xml", tmp_path / "out.edi"
    text = BE_XML.read_text()
    start = text.index("<Description>") + len("<Description>")
    source.write_text(text[:start] + "TWO&#10;LINES " + text[start:], encoding="utf-8")
    result = convert(source, "edifact", out)
    assert result.exit_code == 1, result.stderr
    assert "description" in result.stderr and "U+000A" in result.stderr
    assert not out.exists()


def test_force_writes_the_messages_that_can_be_written(tmp_path: Path) -> None:
    source, out = tmp_path / "in.xml", tmp_path / "out.edi"
    good = BE_XML.read_text().split("?>", 1)[1]
    bad = good.replace('messageId="', 'messageId="M2-', 1).replace("<Name>", "<Name>" + "N" * 190)
    source.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Messages xmlns="{NAMESPACE}">{good}{bad}'
        "</Messages>\n",
        encoding="utf-8",
    )
    result = convert(source, "edifact", out)
    assert result.exit_code == 1 and "--force writes the others" in result.stderr
    assert not out.exists()
    result = convert(source, "edifact", out, "--force")
    assert result.exit_code == 1 and "message M2-" in result.stderr
    written = out.read_bytes()
    assert written.count(b"UNH+") == 1 and b"M2-" not in written


@pytest.mark.parametrize("example", sorted(MESSAGES.glob("*.xml")), ids=lambda p: p.name)
def test_valid_examples_convert_silently_both_ways(example: Path, tmp_path: Path) -> None:
    edi, xml = tmp_path / "m.edi", tmp_path / "m.xml"
    result = convert(example, "edifact", edi)
    assert (result.exit_code, result.stderr) == (0, "")
    result = convert(edi, "xml", xml)
    assert (result.exit_code, result.stderr) == (0, "")


@pytest.mark.parametrize("spelling", ["same", "relative"])
def test_output_onto_the_input_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(BE_XML.read_bytes())
    monkeypatch.chdir(tmp_path)
    out = source if spelling == "same" else Path("./in.xml")
    result = convert(source, "edifact", out)
    assert result.exit_code == 2 and "would overwrite the input" in result.stderr
    assert source.read_bytes() == BE_XML.read_bytes()


def test_output_elsewhere_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out.edi"
    assert convert(BE_XML, "edifact", out).exit_code == 0 and out.read_bytes().startswith(b"UNA")
