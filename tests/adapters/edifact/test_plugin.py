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
