"""Text the EDIFACT writer spreads over components and segments comes back as it was, or the
writer refuses it: free text (FTX, lines of 70 cut at spaces and read back joined by one
space), a line's own description (LDSC, cut anywhere and joined as is), names (NAD C080, 35)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.cli import main
from customs_engine.core.models import BillOfEntry, GoodsItem, Importer, ImportGeneralManifest
from customs_engine.testing import bill_of_entry, item, manifest, manifest_line

NO_CUT = "has no space to cut at"


def back(message: BillOfEntry | ImportGeneralManifest) -> BillOfEntry | ImportGeneralManifest:
    (parsed,) = read_edifact(edifact_writer.write(message))
    assert parsed.findings == [], [f.message for f in parsed.findings]
    assert parsed.message is not None
    return parsed.message


def description(text: str, message_id: str = "BE-TEXT") -> BillOfEntry:
    return bill_of_entry(item(description=text), message_id=message_id)


@pytest.mark.parametrize(
    "text",
    [
        "A" * 70 + " B",  # the cut space at the very end of a line
        "A" * 70 + "  B",  # two spaces: the second line starts with one
        "A" * 69 + " " + "B" * 70 + " C",
        "A" * 60 + " " + "B" * 9 + " ",  # a trailing space: the cut goes one space earlier
        "A" * 70 + " " * 2,
        " LEAD AND TRAIL ",
        "X" + " " * 80 + "Y",  # a run of spaces longer than a line
        " ".join(f"WORD{n:03d}" for n in range(56)),  # two FTX segments
        "A" * 70 + " " + "B" * 70 + " " + "C" * 70 + " " + "D" * 70 + " " + "E" * 70 + " F",
    ],
)
def test_free_text_cut_at_spaces_comes_back_as_it_was(text: str) -> None:
    boe = description(text)
    assert back(boe) == boe


@pytest.mark.parametrize(
    ("text", "run"),
    [
        ("A" * 71, 71),
        ("A" * 100, 100),  # the audit's repro: it came back with a space at character 70
        ("WORDS BEFORE " + "B" * 80 + " AND AFTER", 80),
        ("A" * 70 + " ", 71),  # the only space would leave an empty line
    ],
)
def test_free_text_that_cannot_be_cut_at_a_space_is_refused_not_altered(
    text: str, run: int
) -> None:
    with pytest.raises(ValueError) as refused:
        edifact_writer.write(description(text, "BE-NOCUT"))
    message = str(refused.value)
    assert message.startswith("message BE-NOCUT: item 1: description (FTX+AAA+++")
    assert NO_CUT in message and f"({run} characters)" in message
    assert "4440 an..70" in message
    assert "data element 4440" not in message  # said once, not twice


def test_a_goods_item_description_of_a_manifest_is_refused_alike() -> None:
    goods = [GoodsItem(packages=1, package_kind="PKG", description="G" * 90)]
    igm = manifest(manifest_line(goods_items=goods), message_id="IGM-NOCUT")
    with pytest.raises(ValueError, match=rf"message IGM-NOCUT: line 1: description .*{NO_CUT}"):
        edifact_writer.write(igm)


def test_convert_refuses_and_writes_nothing(tmp_path: Path) -> None:
    source, target = tmp_path / "be.xml", tmp_path / "be.edi"
    source.write_bytes(xml_writer.write(description("A" * 100, "BE-CLI")))
    result = CliRunner().invoke(
        main, ["convert", str(source), "--to", "edifact", "-o", str(target)]
    )
    assert result.exit_code == 1
    assert "message BE-CLI: item 1: description" in result.output and NO_CUT in result.output
    assert not target.exists() or target.read_bytes() == b""


WORD = st.text(st.sampled_from(list("ABC xyz.:+'?")), min_size=0, max_size=160)


@given(WORD.filter(lambda text: text.strip()))
@settings(max_examples=300, deadline=None)
def test_any_free_text_comes_back_whole_or_is_refused(text: str) -> None:
    boe = description(text)
    try:
        data = edifact_writer.write(boe)
    except ValueError as exc:
        assert NO_CUT in str(exc)
        return
    (parsed,) = read_edifact(data)
    assert parsed.findings == [] and parsed.message == boe


@given(st.lists(st.text(st.sampled_from(list("ABCxyz.:'")), min_size=1, max_size=70), min_size=1))
@settings(max_examples=100, deadline=None)
def test_words_of_a_line_at_most_joined_by_single_spaces_are_never_refused(
    words: list[str],
) -> None:
    text = " ".join(words)[:500].rstrip(" ") or "X"
    boe = description(text)
    assert back(boe) == boe


@pytest.mark.parametrize(
    "text",
    ["M" * 69 + " " + "N" * 10, "M" * 70 + " N", "M" * 71 + " ", " " + "M" * 200 + "  "],
)
def test_a_line_description_of_its_own_comes_back_as_it_was(text: str) -> None:
    goods = [
        GoodsItem(packages=1, package_kind="PKG", description="ONE"),
        GoodsItem(packages=2, package_kind="PKG", description="TWO"),
    ]
    igm = manifest(manifest_line(goods_items=goods, description=text), filed_at=None)
    assert back(igm) == igm


@pytest.mark.parametrize("name", ["N" * 34 + "  M", "N" * 35 + " M", " N" * 60, "N" * 175])
def test_a_name_spread_over_components_comes_back_as_it_was(name: str) -> None:
    boe = bill_of_entry(importer=Importer(iec="AAPFU0939F", name=name))
    assert back(boe) == boe
