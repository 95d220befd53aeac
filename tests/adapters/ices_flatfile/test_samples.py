"""The shared ICEGATE samples, read in place: the synthetic BE noted against the synthetic IGM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customs_engine.adapters.ices_flatfile import sachi01
from customs_engine.adapters.ices_flatfile.reader import parse
from customs_engine.adapters.ices_flatfile.records import Envelope, read_envelopes
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.testing import make_engine

IGM_CONFIG = {"ices_flatfile": {"igm_number": "2345678", "igm_date": "2025-10-18"}}


def test_synthetic_be_and_igm_validate_together(icegate_dir: Path) -> None:
    engine = make_engine(config=IGM_CONFIG)
    igm_parsed = engine.parse((icegate_dir / "synthetic_sachi01_igm.igm").read_bytes(), "igm")
    be_parsed = engine.parse((icegate_dir / "synthetic_cachi01_steel_be.be").read_bytes(), "be")
    igm, be = igm_parsed[0].message, be_parsed[0].message
    assert isinstance(igm, ImportGeneralManifest) and isinstance(be, BillOfEntry)
    assert igm_parsed[0].findings == [] and be_parsed[0].findings == []

    assert be.manifest is not None
    assert (be.manifest.igm_number, be.manifest.igm_date) == (igm.igm_number, igm.igm_date)
    assert be.manifest.igm_number == "2345678" and be.manifest.igm_date == date(2025, 10, 18)
    assert be.manifest.line is None
    line = igm.find_by_bl(be.manifest.bl_number or "")
    assert line is not None and (line.line, line.subline) == (1, 0)
    assert be.manifest.bl_number == igm.lines[0].bl_number == "EXLN25PUS0417"
    assert be.importer.gstin == "27ZZZCK4321Q1ZI"
    assert be.port_code == igm.port_code == "INNSA1"
    for item in be.items:
        sims = item.licences_for("SIMS")
        assert [(lic.number, lic.expires_on) for lic in sims] == [
            ("STL2025091500417", date(2025, 11, 29))
        ]
    # The IGM line carries what the BE's IGMS record declares.
    assert line.packages == 10 and line.package_kind == "PKG"
    assert line.gross_weight_kg == Decimal("25620.000")

    responses = [
        engine.complete(p, engine.assess(p), name)
        for p, name in ((igm_parsed[0], "igm"), (be_parsed[0], "be"))
    ]
    noting = [f for r in responses for f in r.findings if f.rule.startswith("CORE-BOE-NOTE-")]
    syntax = [f for r in responses for f in r.findings if f.rule.startswith("CORE-SYNTAX-")]
    assert noting == [] and syntax == []


def test_synthetic_be_is_noted_by_bl_against_the_fresh_igm_without_config(
    icegate_dir: Path,
) -> None:
    """No config names the IGM number: the BoE's IGM number is unknown, the fresh SACHI01
    manifest of its port carries its B/L, so it is noted there (CORE-BOE-NOTE-006)."""
    engine = make_engine()
    responses = []
    for name in ("synthetic_sachi01_igm.igm", "synthetic_cachi01_steel_be.be"):
        (parsed,) = engine.parse((icegate_dir / name).read_bytes(), name)
        responses.append(engine.complete(parsed, engine.assess(parsed), name))
    noting = {f.rule: f.outcome for f in responses[1].findings if "NOTE" in f.rule}
    assert noting == {"CORE-BOE-NOTE-006": "info"}


def test_synthetic_be_values_wait_for_the_registry_rate(icegate_dir: Path) -> None:
    """USD is a standard currency declared without a rate: INR value left to the core."""
    [parsed] = parse((icegate_dir / "synthetic_cachi01_steel_be.be").read_bytes(), {})
    be = parsed.message
    assert isinstance(be, BillOfEntry)
    assert [
        (i.foreign_value.amount, i.foreign_value.currency, i.foreign_value.rate, i.value_inr)
        for i in be.items
        if i.foreign_value
    ] == [(Decimal("9030.00"), "USD", None, None), (Decimal("7590.00"), "USD", None, None)]
    assert sum(i.foreign_value.amount for i in be.items if i.foreign_value) == Decimal("16620.00")
    assert be.presented_at.isoformat() == "2025-10-20T10:15:00+05:30"
    assert (be.type, be.mode, be.prior, be.consigned_from, be.port_of_loading) == (
        "HOME_CONSUMPTION",
        "SEA",
        False,
        "KR",
        "KRPUS",
    )


def test_fresh_igm_without_config_has_no_igm_number(icegate_dir: Path) -> None:
    [parsed] = parse((icegate_dir / "synthetic_sachi01_igm.igm").read_bytes(), {})
    assert isinstance(parsed.message, ImportGeneralManifest)
    assert parsed.message.igm_number is None and parsed.message.igm_date is None
    assert parsed.findings == []


def test_real_redacted_igm_excerpt_has_three_lines_and_four_containers(icegate_dir: Path) -> None:
    data = (icegate_dir / "ices_sachi01_sea_igm_redacted_excerpt.igm").read_bytes()
    [parsed] = parse(data, {})
    igm = parsed.message
    assert isinstance(igm, ImportGeneralManifest) and parsed.findings == []
    assert [(ln.line, ln.subline, ln.cargo_movement) for ln in igm.lines] == [
        (1, 0, "TC"),
        (3, 0, "LC"),
        (4, 0, "LC"),
    ]
    assert igm.message_id == "SACHI01-INCCU1-22021W"
    [envelope] = read_envelopes(data)
    assert isinstance(envelope, Envelope)
    containers = sachi01.containers(envelope)
    assert [(c.line, c.number) for c in containers] == [
        (1, "MLCU2894978"),
        (3, "DRYU9441329"),
        (3, "DRYU9582219"),
        (4, "DFSU1443012"),
    ]


SIGNATURE_BLOCK = (
    "<START-SIGNATURE>\n" + "QUJDRA==" * 43 + "\n</START-SIGNATURE>\n"
    "<START-CERTIFICATE>\nMIIDdzCCAl+gAwIBAgIE\nbWFkZSB1cCBmb3IgdGVzdHM=\n</START-CERTIFICATE>\n"
    "<SIGNER-VERSION>1.0</SIGNER-VERSION>\n"
)


def signed(data: bytes) -> bytes:
    """A file built like a real filed one: LF line ends, the signature block after TREC."""
    return data.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n" + SIGNATURE_BLOCK.encode()


def test_a_signed_ices_file_is_read_like_the_unsigned_one(icegate_dir: Path) -> None:
    for name in ("synthetic_sachi01_igm.igm", "synthetic_cachi01_steel_be.be"):
        data = (icegate_dir / name).read_bytes()
        [plain] = parse(data, IGM_CONFIG)
        [parsed] = parse(signed(data), IGM_CONFIG)
        assert parsed.message == plain.message
        assert [(f.rule, f.outcome) for f in parsed.findings] == [
            *[(f.rule, f.outcome) for f in plain.findings],
            ("ICES-SIG-001", "info"),
        ]
        assert "signer version 1.0" in parsed.findings[-1].message
        assert "not verified" in parsed.findings[-1].message


def test_a_one_line_signature_block_is_accepted_too(icegate_dir: Path) -> None:
    data = (icegate_dir / "synthetic_sachi01_igm.igm").read_bytes().rstrip() + (
        b"\n<START-SIGNATURE>QUJD</START-SIGNATURE>\n<START-CERTIFICATE>TUlJ"
        b"</START-CERTIFICATE>\n<SIGNER-VERSION>V009SB\n"
    )
    [parsed] = parse(data, IGM_CONFIG)
    assert [f.rule for f in parsed.findings] == ["ICES-SIG-001"]
    assert "V009SB" in parsed.findings[0].message


def test_an_incomplete_signature_block_is_a_syntax_finding(icegate_dir: Path) -> None:
    data = (icegate_dir / "synthetic_sachi01_igm.igm").read_bytes().rstrip() + (
        b"\n<START-SIGNATURE>QUJD</START-SIGNATURE>\n"
    )
    [parsed] = parse(data, IGM_CONFIG)
    assert parsed.message is not None
    (finding,) = parsed.findings
    assert finding.outcome == "reject" and "signature block" in finding.message
    assert "middle of the message" not in finding.message


_SIG, _CERT, _VERSION = (
    "<START-SIGNATURE>QUJD</START-SIGNATURE>",
    "<START-CERTIFICATE>TUlJ</START-CERTIFICATE>",
    "<SIGNER-VERSION>V1.0.3</SIGNER-VERSION>",
)


@pytest.mark.parametrize(
    "block",
    [
        f"\n{_CERT}\n{_SIG}\n{_VERSION}\n",  # the certificate first
        f"{_SIG}\n{_CERT}\n{_VERSION}\n",  # on the TREC line: the signer found no line break
        f"\n{_SIG.lower()}\n{_CERT.lower()}\n{_VERSION.lower()}\n",  # any case, as table markers
        f"\n\n{_SIG}  \n\n{_CERT}\t\n{_VERSION}\n\n",  # blank lines, trailing white space
    ],
    ids=["certificate-first", "on-the-trec-line", "lower-case", "spaced"],
)
def test_a_signature_block_in_another_shape_is_still_the_signature(
    icegate_dir: Path, block: str
) -> None:
    data = (icegate_dir / "synthetic_sachi01_igm.igm").read_bytes()
    [plain] = parse(data, IGM_CONFIG)
    [parsed] = parse(data.rstrip() + block.encode(), IGM_CONFIG)
    assert parsed.message == plain.message
    assert [f.rule for f in parsed.findings] == ["ICES-SIG-001"]
    assert "v1.0.3" in parsed.findings[0].message.lower()


@pytest.mark.parametrize(
    ("block", "said"),
    [
        ("\n<START-CMS-SIGNATURE>QUJD</START-CMS-SIGNATURE>\n", "it holds '<START-CMS-SIGNATURE>'"),
        (f"\n{_SIG}\n{_CERT}\n", "no <SIGNER-VERSION>"),
        (f"\n{_SIG}\n{_SIG}\n{_CERT}\n{_VERSION}\n", "<START-SIGNATURE> twice"),
    ],
)
def test_a_block_after_trec_that_is_not_the_signature_is_said_once_at_its_line(
    icegate_dir: Path, block: str, said: str
) -> None:
    """One finding naming what is wrong with the block, never "TREC in the middle of the
    message" or records "outside any table section" for a block of another shape."""
    data = (icegate_dir / "synthetic_sachi01_igm.igm").read_bytes().rstrip()
    lines = data.count(b"\n") + 1
    [parsed] = parse(data + block.encode(), IGM_CONFIG)
    assert parsed.message is not None
    (finding,) = parsed.findings
    assert finding.outcome == "reject" and "signature block after TREC is not ICEGATE's" in (
        finding.message
    )
    assert said in finding.message and finding.message.startswith(f"line {lines + 1}:")


def test_an_unsigned_file_gets_no_signature_finding(icegate_dir: Path) -> None:
    [parsed] = parse((icegate_dir / "synthetic_sachi01_igm.igm").read_bytes(), IGM_CONFIG)
    assert "ICES-SIG-001" not in [f.rule for f in parsed.findings]
