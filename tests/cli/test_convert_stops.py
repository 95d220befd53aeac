"""``customs convert`` stops where the converted file would say less than its source: a finding of
the reading above info (a query that a value was left out) stops it like a reject, and so does a
time to the second that EDIFACT cannot hold; its messages say what was (not) written, and an
archive is not taken for a message file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from click.testing import CliRunner, Result

from customs_engine.adapters.icegate_xml.reader import NAMESPACE
from customs_engine.cli import main
from tests.adapters.ices_flatfile.flat_files import flat_file, steel_be
from tests.conftest import MESSAGES

IGM_XML = MESSAGES / "01-igm-innsa1-2234567.xml"
BE_XML = MESSAGES / "02-be-laptops-ims.xml"


def convert(source: Path, target: str, out: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        main, ["convert", str(source), "--to", target, "-o", str(out), *extra]
    )


def freight_left_out(tmp_path: Path) -> Path:
    """A CACHI01 Bill of Entry whose freight, in a currency without a rate, is left out of its
    items' values (ICES-VAL-001, a query of the reading)."""
    tables = steel_be()
    tables["INVOICE"][0].update(terms="FOB", freight_value="500.00", freight_currency="XYZ")
    source = tmp_path / "be.be"
    source.write_bytes(flat_file("cachi01", tables))
    return source


def test_a_query_of_the_reading_stops_the_conversion(tmp_path: Path) -> None:
    source, out = freight_left_out(tmp_path), tmp_path / "out.xml"
    result = convert(source, "xml", out)
    assert result.exit_code == 1, result.stderr
    assert "query ICES-VAL-001" in result.stderr
    assert "not converted: query findings of the reading above" in result.stderr
    assert not out.exists()


def test_force_writes_it_and_says_so(tmp_path: Path) -> None:
    source, out = freight_left_out(tmp_path), tmp_path / "out.xml"
    result = convert(source, "xml", out, "--force")
    assert result.exit_code == 1, result.stderr
    assert out.exists()
    assert f"--force: written to {out}: " in result.stderr and "(1 of 1 message)" in result.stderr


def test_an_info_finding_of_the_reading_does_not_stop_it(tmp_path: Path) -> None:
    source = tmp_path / "be.be"
    source.write_bytes(flat_file("cachi01", steel_be()))
    result = convert(source, "xml", tmp_path / "out.xml")
    assert result.exit_code == 0, result.stderr


def test_a_time_to_the_second_is_not_converted_to_edifact(tmp_path: Path) -> None:
    source, out = tmp_path / "igm.xml", tmp_path / "out.edi"
    text = IGM_XML.read_text(encoding="utf-8")
    assert "T09:00:00+05:30" in text
    source.write_text(text.replace("T09:00:00+05:30", "T09:00:10+05:30", 1), encoding="utf-8")
    result = convert(source, "edifact", out)
    assert result.exit_code == 1, result.stderr
    assert "has seconds, which DTM format 203" in result.stderr
    assert "not converted: edifact cannot hold the message(s) above" in result.stderr
    assert not out.exists()


def test_an_archive_is_not_converted(tmp_path: Path) -> None:
    archive = tmp_path / "messages.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("be.xml", BE_XML.read_bytes())
    archive.write_bytes(buffer.getvalue())
    result = convert(archive, "edifact", tmp_path / "out.edi")
    assert result.exit_code == 2
    assert "convert takes one message file; use validate for archives" in result.stderr
    result = CliRunner().invoke(main, ["convert", "-", "--to", "edifact"], input=buffer.getvalue())
    assert result.exit_code == 2 and "zip archive" in result.stderr


def test_o_naming_the_input_speaks_of_the_converted_message(tmp_path: Path) -> None:
    source = tmp_path / "be.xml"
    source.write_bytes(BE_XML.read_bytes())
    result = convert(source, "edifact", source)
    assert result.exit_code == 2
    assert "write the converted message elsewhere" in result.stderr
    assert "responses" not in result.stderr


def test_force_names_the_messages_written_and_which_of_two_with_one_id(tmp_path: Path) -> None:
    body = BE_XML.read_text(encoding="utf-8").split("?>", 1)[1]
    start = body.index("<Description>") + len("<Description>")
    bad = body[:start] + "A" * 100 + body[start:]
    source, out = tmp_path / "two.xml", tmp_path / "out.edi"
    source.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Messages xmlns="{NAMESPACE}">{body}{bad}'
        "</Messages>\n",
        encoding="utf-8",
    )
    result = convert(source, "edifact", out, "--force")
    assert result.exit_code == 1, result.stderr
    assert "message BE-INNSA1-000123 (message 2 of 2): item 1: description" in result.stderr
    assert "edifact cannot hold the message(s) above: not written" in result.stderr
    assert "written to " in result.stderr
    assert "BE-INNSA1-000123 (message 1 of 2) (1 of 2 messages)" in result.stderr
