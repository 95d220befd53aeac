"""``customs convert`` from SCMTR JSON to the other wire formats, read back by their adapters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from customs_engine.core.models import ImportGeneralManifest
from customs_engine.testing import make_engine

from .conftest import SCD, SCE, dump
from .test_manifest import import_line

CONVERTIBLE = [SCE, SCD]  # the CBIC declaration samples that are arrival manifests


def same(back: ImportGeneralManifest | None, original: ImportGeneralManifest, target: str) -> None:
    """Equal, but for what CUSCAR does not carry: for a line with goods items, the B/L's own
    goods text (FTX+AAA belongs to each GID). The IGM date comes back as it was: the guide
    takes it from the filing time's date (DTM+137), and the writer refuses any other."""
    assert back is not None
    if target == "edifact":
        for theirs, ours in zip(back.lines, original.lines, strict=True):
            assert (
                theirs.description
                == "; ".join(g.description for g in ours.goods_items if g.description)
                or ours.description
            )
            theirs.description = ours.description
    assert back == original


def awaiting_xsd(back: Any, target: str) -> None:
    """The shipped XSD still requires IGMNumber/IGMDate, ExpectedArrival and LastPortOfCall,
    which an SCE does not carry (SPEC §5 makes them optional): until it follows, the XML the
    writer makes for an SCE fails it there, and only there."""
    problems = [f.message for f in back.findings if f.rule.startswith("CORE-SYNTAX")]
    if target == "xml" and problems:
        assert all(
            "schema: Element" in p and ("Expected is ( {urn:customs-engine:icegate:v1}" in p)
            for p in problems
        ), problems
        pytest.xfail(f"XSD requires what an SCE lacks: {problems[0]}")


def convert(data: bytes, target: str) -> tuple[ImportGeneralManifest, list[Any]]:
    engine = make_engine()
    [parsed] = engine.parse(data, "dec.json")
    assert parsed.findings == [] and isinstance(parsed.message, ImportGeneralManifest)
    rendered = engine.host.write_messages([parsed.message], target)
    assert rendered is not None
    [back] = engine.parse(rendered, f"converted.{target}")
    return parsed.message, [back]


@pytest.mark.parametrize("target", ["edifact", "xml"])
@pytest.mark.parametrize("name", CONVERTIBLE)
def test_cbic_samples_convert_without_a_syntax_finding(
    name: str, target: str, sample_paths: dict[str, Path]
) -> None:
    original, [back] = convert(sample_paths[name].read_bytes(), target)
    awaiting_xsd(back, target)
    assert [f for f in back.findings if f.rule.startswith("CORE-SYNTAX")] == []
    same(back.message, original, target)


def test_an_import_sce_with_its_csn_converts_losslessly_to_xml(load: Any) -> None:
    original, [back] = convert(dump(import_line(load)), "xml")
    awaiting_xsd(back, "xml")
    assert [f for f in back.findings if f.rule.startswith("CORE-SYNTAX")] == []
    same(back.message, original, "xml")


def test_an_import_sce_quoting_its_csn_is_not_written_as_cuscar(load: Any) -> None:
    """The CSN's date is the IGM date, and CUSCAR would read the filing date back in its place:
    refused (``convert`` says so and exits 1) rather than re-dated."""
    engine = make_engine()
    [parsed] = engine.parse(dump(import_line(load)), "dec.json")
    assert isinstance(parsed.message, ImportGeneralManifest)
    assert parsed.message.igm_date is not None
    with pytest.raises(ValueError, match=r"the IGM date .* cannot be written"):
        engine.host.write_messages([parsed.message], "edifact")
