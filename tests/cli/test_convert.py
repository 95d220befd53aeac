"""``customs convert`` says what reading found: findings on stderr, exit 1 on a reject (output
only with --force), exit 2 when nothing could be converted."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from customs_engine.cli import main
from tests.adapters.edifact.interchanges import cusdec_segments, interchange


def convert(tmp_path: Path, data: bytes, *extra: str):  # type: ignore[no-untyped-def]
    source, out = tmp_path / "in.edi", tmp_path / "out.xml"
    source.write_bytes(data)
    result = CliRunner().invoke(
        main, ["convert", str(source), "--to", "xml", "-o", str(out), *extra]
    )
    return result, out


def test_a_clean_message_converts_silently(tmp_path: Path) -> None:
    result, out = convert(tmp_path, interchange(cusdec_segments()))
    assert result.exit_code == 0 and result.stderr == ""
    assert out.read_bytes().startswith(b"<?xml")


def test_reject_findings_are_printed_and_nothing_is_written(tmp_path: Path) -> None:
    data = interchange(cusdec_segments()).replace(b"UNT+37+M1", b"UNT+36+M1")
    result, out = convert(tmp_path, data)
    assert result.exit_code == 1
    assert "reject CORE-SYNTAX-002" in result.stderr and "UNT says 36 segments" in result.stderr
    assert not out.exists()


def test_force_writes_what_could_be_read_and_still_exits_1(tmp_path: Path) -> None:
    data = interchange(cusdec_segments(DTM132="DTM+132:2026031:102"))
    result, out = convert(tmp_path, data, "--force")
    assert result.exit_code == 1 and "CORE-SYNTAX-005" in result.stderr
    assert b"<BillOfEntry" in out.read_bytes()


def test_nothing_convertible_exits_2(tmp_path: Path) -> None:
    result, out = convert(tmp_path, b"UNA:+.? 'UNB+UNOC:3+A+B+260101:1200+1'UNZ+0+1'", "--force")
    assert result.exit_code == 2 and "nothing could be converted" in result.stderr
    assert not out.exists()


def test_rules_of_an_unknown_scheme_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["rules", "--scheme", "no-such-scheme"])
    assert result.exit_code == 2
    assert "no-such-scheme" in result.stderr and "ims" in result.stderr and "core" in result.stderr
