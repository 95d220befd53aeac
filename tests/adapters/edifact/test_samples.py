"""The real public samples in ../shared/samples/edifact/ (read in place)."""

from __future__ import annotations

from pathlib import Path

from customs_engine.adapters.edifact.plugin import detect
from customs_engine.adapters.edifact.reader import read

ENVELOPE_WORDS = ("UNB", "UNZ", "UNT", "UNE", "UNG", "UNH message", "not closed", "outside")


def sample(samples_dir: Path, name: str) -> bytes:
    return (samples_dir / "edifact" / name).read_bytes()


def envelope_findings(parsed) -> list[str]:
    return [
        f.message
        for p in parsed
        for f in p.findings
        if any(word in f.message.split(": ", 1)[1] for word in ENVELOPE_WORDS)
        and "not covered by our message implementation guide" not in f.message
    ]


def test_samples_are_detected_as_edifact(samples_dir: Path) -> None:
    for path in sorted((samples_dir / "edifact").glob("*.edi")):
        assert detect(path.read_bytes()[:4096], path.name)


def test_well_formed_samples_have_no_envelope_findings(samples_dir: Path) -> None:
    expected = {
        "smooks_cusdec_d96b_ncts_cd001a.edi": ["19"],
        "smooks_cuscar_d99a_scprbl.edi": ["163477", "163478"],
        "edifabric_cuscar_d03b_cbp_ace.edi": ["CUSCAR54"],  # BOM, CRLF, UNG/UNE group
    }
    for name, references in expected.items():
        parsed = read(sample(samples_dir, name))
        assert [p.reference for p in parsed] == references, name
        assert envelope_findings(parsed) == [], name


def test_foreign_versions_are_answered_not_mapped(samples_dir: Path) -> None:
    for name in ("smooks_cuscar_d99a_scprbl.edi", "edifabric_cuscar_d03b_cbp_ace.edi"):
        for parsed in read(sample(samples_dir, name)):
            assert parsed.type == "unknown"
            assert "not covered by our message implementation guide" in parsed.findings[0].message
            assert "segment UNH #1" in parsed.findings[0].message


def test_ncts_cusdec_fits_the_d96b_tree_but_not_our_mig_data(samples_dir: Path) -> None:
    (parsed,) = read(sample(samples_dir, "smooks_cusdec_d96b_ncts_cd001a.edi"))
    problems = [f.message for f in parsed.findings]
    assert not any("branching order" in m or "mandatory UNS" in m for m in problems)
    assert any("BGM document code (1001) must be 929" in m for m in problems)
    assert parsed.message is None


def test_wrong_unt_count_sample_gets_a_finding_and_is_still_mapped(samples_dir: Path) -> None:
    (parsed,) = read(sample(samples_dir, "chrishumphreys_cuscar_d95b_lot10.edi"))
    assert parsed.type == "manifest" and parsed.message is not None
    assert parsed.message.port_code == "GBPME" and parsed.message.voyage == "TRANS1234"
    assert [f.message for f in parsed.findings] == [
        "line 31, column 1: message MREF123456, segment UNT #30: UNT says 313 segments in "
        "the message, but there are 30",
        # longer than the D.95B directory allows, in data elements the reader passes over
        "line 7, column 1: message MREF123456, segment TDT #6: data element 8213 has 14 "
        "characters, at most 9 allowed",
        "line 23, column 1: message MREF123456, segment NAD #22: data element 3124 has 38 "
        "characters, at most 35 allowed",
        "line 24, column 1: message MREF123456, segment NAD #23: data element 3124 has 36 "
        "characters, at most 35 allowed",
        "line 25, column 1: message MREF123456, segment NAD #24: data element 3124 has 57 "
        "characters, at most 35 allowed",
    ]
