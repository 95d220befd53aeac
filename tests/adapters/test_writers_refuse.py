"""The wire-format writers refuse a message they cannot hold — a value the XSD refuses, a value
too long for its EDIFACT element, a control character — with a ``ValueError`` naming the message,
the field and the limit; they never write it cut or invalid. Valid messages are written as ever."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.core.dates import IST
from customs_engine.core.models import Importer
from customs_engine.testing import bill_of_entry, item, manifest


def _edifact_back(data: bytes) -> list:
    parsed = read_edifact(data)
    assert all(p.findings == [] for p in parsed), [p.findings for p in parsed]
    return [p.message for p in parsed]


# -- XML --------------------------------------------------------------------------------------


def test_xml_a_valid_message_is_written_and_reads_back() -> None:
    boe = bill_of_entry()
    (parsed,) = read_xml(xml_writer.write(boe), "boe.xml")
    assert parsed.findings == [] and parsed.message == boe


@pytest.mark.parametrize(
    ("fields", "element", "value"),
    [
        ({"consigned_from": "USA"}, "ConsignedFrom", "USA"),
        ({"port_of_loading": "NEW YORK"}, "PortOfLoading", "NEW YORK"),
    ],
)
def test_xml_a_value_the_schema_refuses_is_refused_with_its_line(
    fields: dict[str, str], element: str, value: str
) -> None:
    # the model refuses these shapes too: put them in unvalidated, as a buggy plugin might
    boe = bill_of_entry(message_id="BE-BAD").model_copy(update=fields)
    with pytest.raises(ValueError) as refused:
        xml_writer.write(boe)
    text = str(refused.value)
    assert "message BE-BAD: line " in text and f"'{element}'" in text and f"'{value}'" in text


def test_xml_a_description_over_the_schema_length_is_refused() -> None:
    boe = bill_of_entry()
    boe.items[0] = boe.items[0].model_copy(update={"description": "X" * 700})
    with pytest.raises(ValueError, match="Description"):
        xml_writer.write(boe)


def test_xml_a_control_character_is_refused_naming_the_element() -> None:
    boe = bill_of_entry(item(description="PART\x01ONE"), message_id="BE-CTL")
    with pytest.raises(ValueError, match=r"message BE-CTL: <Description> .*cannot carry"):
        xml_writer.write(boe)


def test_xml_only_the_messages_that_fail_are_named() -> None:
    good, bad = bill_of_entry(message_id="BE-GOOD"), bill_of_entry(message_id="BE-BAD", mode="SEA")
    bad = bad.model_copy(update={"consigned_from": "USA"})
    with pytest.raises(ValueError) as refused:
        xml_writer.write_all([good, bad, manifest()])
    assert "BE-BAD" in str(refused.value) and "BE-GOOD" not in str(refused.value)


# -- EDIFACT ----------------------------------------------------------------------------------


def _named(name: str) -> Importer:
    return Importer(iec="AAPFU0939F", name=name)


def test_edifact_a_name_that_fills_the_five_components_is_written_whole() -> None:
    boe = bill_of_entry(importer=_named("N" * 175))
    assert _edifact_back(edifact_writer.write(boe)) == [boe]


def test_edifact_a_name_beyond_the_five_components_is_refused_not_cut() -> None:
    boe = bill_of_entry(importer=_named("N" * 200), message_id="BE-NAME")
    with pytest.raises(ValueError) as refused:
        edifact_writer.write(boe)
    text = str(refused.value)
    assert "message BE-NAME: importer" in text and "200 characters" in text and "175" in text


def test_edifact_a_long_description_is_spread_over_segments_not_refused() -> None:
    words = " ".join(f"WORD{n:04d}" for n in range(55))  # 494 characters: two FTX segments
    boe = bill_of_entry(item(description=words))
    assert _edifact_back(edifact_writer.write(boe)) == [boe]


def test_edifact_a_message_id_too_long_for_bgm_is_refused() -> None:
    boe = bill_of_entry(message_id="BE-" + "X" * 57)
    with pytest.raises(ValueError, match=r"message id.*1004 has 60 characters, at most 35"):
        edifact_writer.write(boe)


def test_edifact_an_item_number_too_long_for_cst_is_refused() -> None:
    boe = bill_of_entry(item(number=1_000_000))
    with pytest.raises(ValueError, match=r"item 1000000: .*1496 has 7 characters, at most 6"):
        edifact_writer.write(boe)


def test_edifact_a_control_character_is_refused() -> None:
    boe = bill_of_entry(item(description="LINE ONE\nLINE TWO"), message_id="BE-NL")
    with pytest.raises(ValueError, match=r"message BE-NL: item 1: description .*U\+000A"):
        edifact_writer.write(boe)


def test_edifact_a_valid_manifest_is_written_and_reads_back_cleanly() -> None:
    filed = datetime(2026, 3, 8, 9, 0, tzinfo=IST)  # the IGM date is its filing date
    [back] = _edifact_back(edifact_writer.write(manifest(filed_at=filed)))
    assert back.igm_date == date(2026, 3, 8)


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"filed_at": datetime(2026, 3, 7, 18, 0, tzinfo=IST)}, "filed on 2026-03-07"),
        ({"igm_number": None}, "without an IGM number"),
        ({"igm_date": None}, "has no IGM date, which CUSCAR cannot say"),
    ],
)
def test_edifact_refuses_an_igm_date_it_would_read_back_changed(
    fields: dict[str, object], said: str
) -> None:
    """CUSCAR carries one manifest date, the filing time (DTM+137), read back as the IGM date
    of a numbered manifest: another IGM date would come back changed, and the Bills of Entry
    quoting it would no longer be noted, so the message is refused, naming the date."""
    refused = rf"message IGM-TEST-0001: .*{said}"
    with pytest.raises(ValueError, match=refused):
        edifact_writer.write(manifest(**fields))  # type: ignore[arg-type]


def test_edifact_reads_the_igm_date_as_the_filing_time_s_india_date() -> None:
    filed = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # 05:00 on the 8th in India
    [back] = _edifact_back(edifact_writer.write(manifest(filed_at=filed)))
    assert back.igm_date == date(2026, 3, 8)


def test_edifact_a_second_psic_with_its_own_readings_is_refused_not_dropped() -> None:
    """CUSDEC carries one set of radiation levels and declarations per item: a second PSIC's
    would be dropped, and a radioactive reading (a reject) would read back as a hold."""
    first = {"type": "PSIC", "number": "P1", "background_usvh": "0.08", "max_usvh": "0.08"}
    second = {"type": "PSIC", "number": "P2", "background_usvh": "0.08", "max_usvh": "0.30"}
    boe = bill_of_entry(item("72044900", certificates=[first, second]), message_id="BE-PSIC2")
    with pytest.raises(
        ValueError,
        match=r"message BE-PSIC2: item 1: PSIC P2 gives max_usvh, which CUSDEC "
        r"carries for one PSIC of an item only \(the first\)",
    ):
        edifact_writer.write(boe)
    same = {**second, "number": "P3", "max_usvh": "0.08"}  # says what the first says: nothing lost
    edifact_writer.write(bill_of_entry(item("72044900", certificates=[first, same])))
    bare = {"type": "PSIC", "number": "P2"}  # a second PSIC without readings is carried whole
    written = edifact_writer.write(bill_of_entry(item("72044900", certificates=[first, bare])))
    (parsed,) = read_edifact(written, "x.edi")
    assert [c.number for c in parsed.message.items[0].certificates] == ["P1", "P2"]
