"""The edifact plugin through the entry-point group, like any third-party plugin."""

from __future__ import annotations

from customs_engine.cli import load_host
from customs_engine.core.engine import Engine

from .interchanges import cusdec_segments, interchange


def test_plugin_is_loaded_and_offers_cusres() -> None:
    host = load_host()
    assert "cusres" in host.output_formats()


def test_engine_detects_and_parses_edifact_with_bom_and_blanks() -> None:
    engine = Engine(load_host())
    data = b"\xef\xbb\xbf \r\n" + interchange(cusdec_segments())
    assert engine.detect(data, "x.txt") == "edifact"
    (parsed,) = engine.parse(data, "x.txt")
    assert parsed.format == "edifact" and parsed.type == "bill_of_entry"


def test_other_formats_are_not_claimed() -> None:
    engine = Engine(load_host())
    assert engine.detect(b"<?xml version='1.0'?><BillOfEntry/>", "x.xml") != "edifact"
    host = load_host()
    assert host.read_format("icegate_xml", b"<x/>", "x", {}).result[0].format == "icegate_xml"


def test_a_cuscar_amendment_filed_on_a_later_day_keeps_the_igms_date() -> None:
    """CUSCAR's one date is the filing time, read as the IGM date: an amendment filed two days
    after the IGM would re-date it, and a Bill of Entry quoting the real date would find no IGM."""
    from customs_engine.adapters.edifact import writer
    from customs_engine.core.models import ImportGeneralManifest
    from customs_engine.testing import rules_of
    from tests.core.helpers import at, boe, engine, igm

    run = engine()
    original = igm(igm_date="2026-03-07", filed_at=at("2026-03-07T18:00"))
    amended = igm(igm_date="2026-03-09", filed_at=at("2026-03-09T10:00"), function="amendment")
    responses = [*run.validate_bytes(writer.write(original), "igm.edi")]
    responses += run.validate_bytes(writer.write(amended), "igm-amendment.edi")
    assert [r.status for r in responses] == ["accepted", "accepted"]
    noted = run.validate_message(
        boe(manifest={"igm_number": "2234567", "igm_date": "2026-03-07", "line": 10})
    )
    assert rules_of(noted, "CORE-BOE-NOTE") == {}
    # an amendment of a manifest the run does not know is read as written
    alone = engine()
    (read,) = alone.parse(writer.write(amended), "igm-amendment.edi")
    assert isinstance(read.message, ImportGeneralManifest)
    assert str(read.message.igm_date) == "2026-03-09"
    assert rules_of(alone.complete(read, alone.assess(read), "x"))["CORE-DOC-002"] == "query"
