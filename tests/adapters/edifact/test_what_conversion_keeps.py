"""What the EDIFACT adapter cannot keep is said, never lost in silence: text that ran on into a
data element the reader passes over (an unescaped ``+`` in free text), a time to the second,
certificate fields CUSDEC has no place for, C1 control characters; and the declarant's reference
(BGM 1004) is the Bill of Entry's message id, whatever the UNH reference."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read as read_edifact
from customs_engine.adapters.icegate_xml import writer as xml_writer
from customs_engine.adapters.icegate_xml.reader import read as read_xml
from customs_engine.core.dates import IST
from customs_engine.testing import bill_of_entry, certificate, item, manifest
from tests.adapters.edifact.interchanges import cusdec_segments, interchange
from tests.conftest import MESSAGES


def findings_of(data: bytes) -> list[str]:
    (parsed,) = read_edifact(data)
    return [f"{f.rule}: {f.message}" for f in parsed.findings]


@pytest.mark.parametrize(
    "ftx",
    [
        "FTX+AAA+++LAPTOPS+CHARGERS AND DOCKING STATIONS",  # the rest of the text, in 3453
        "FTX+AAA+++A:B+LINE THREE",
    ],
)
def test_free_text_run_on_past_an_unescaped_plus_is_a_length_finding(ftx: str) -> None:
    found = findings_of(interchange(cusdec_segments(FTXAAA=ftx)))
    assert any(
        text.startswith("CORE-SYNTAX-005: ")
        and "segment FTX #" in text
        and "data element 3453 has" in text
        and "at most 3 allowed" in text
        for text in found
    ), found


@pytest.mark.parametrize(
    ("key", "segment", "element"),
    [
        ("LOC27", "LOC+27+CN+" + "X" * 26, "3223"),  # LOC C519, not read
        ("NADCB", "NAD+CB+CHA1::ZZZ+" + "S" * 36, "3124"),  # NAD C058, not read
        ("DOC911", "DOC+911:::IMS+IMS-1:" + "Q" * 4, "1373"),  # DOC C503, not read
        ("TDT", "TDT+20+V1+1+++" + "M" * 4, "8101"),
    ],
)
def test_an_element_the_reader_passes_over_is_still_length_checked(
    key: str, segment: str, element: str
) -> None:
    found = findings_of(interchange(cusdec_segments(**{key: segment})))
    assert any(f"data element {element} has" in text for text in found), found


def test_a_language_code_in_3453_is_still_accepted() -> None:
    assert findings_of(interchange(cusdec_segments(FTXAAA="FTX+AAA+++LAPTOPS+EN"))) == []


def test_the_message_id_is_the_unh_reference_unless_bgm_gives_its_long_form() -> None:
    """The guide: a message's id is its UNH reference (0062, at most 14 characters); BGM 1004
    restores an id too long for it. Another declarant's reference is not carried."""
    other = interchange(cusdec_segments(BGM="BGM+929:::H+BE-INNSA1-000123+9"))
    (parsed,) = read_edifact(other)
    assert parsed.message is not None and parsed.message.message_id == "M1"
    long_id = xml_writer.write_all([parsed.message.model_copy(update={"message_id": "B" * 30})])
    (again,) = read_xml(long_id, "x.xml")
    assert again.message is not None
    (back,) = read_edifact(edifact_writer.write(again.message))
    assert back.message is not None and back.message.message_id == "B" * 30


def test_without_a_declarants_reference_the_unh_reference_is_the_message_id() -> None:
    (parsed,) = read_edifact(interchange(cusdec_segments(BGM="BGM+929:::H++9")))
    assert parsed.message is not None and parsed.message.message_id == "M1"


def test_xml_to_edifact_to_xml_is_identical_for_the_examples() -> None:
    for path in sorted(MESSAGES.glob("*.xml")):
        original = [p.message for p in read_xml(path.read_bytes(), path.name)]
        back = [p.message for p in read_edifact(edifact_writer.write_all(original))]  # type: ignore[arg-type]
        assert xml_writer.write_all(back) == xml_writer.write_all(original), path.name  # type: ignore[arg-type]


def refusal(message: object) -> str:
    with pytest.raises(ValueError) as refused:
        edifact_writer.write(message)  # type: ignore[arg-type]
    return str(refused.value)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 8, 9, 0, 10, tzinfo=IST),
        datetime(2026, 3, 8, 9, 0, 0, 250000, tzinfo=IST),
    ],
)
def test_a_time_with_seconds_is_refused_not_cut_to_the_minute(moment: datetime) -> None:
    text = refusal(manifest(filed_at=moment, igm_date=moment.date()))
    assert "filed_at (DTM+137)" in text and "cannot hold" in text and "203" in text
    text = refusal(bill_of_entry(item(), presented_at=moment))
    assert "presented_at (DTM+137)" in text


def test_a_time_to_the_minute_in_another_offset_is_moved_to_india_time() -> None:
    moment = datetime.fromisoformat("2026-03-10T23:45:00-02:00")
    (parsed,) = read_edifact(edifact_writer.write(bill_of_entry(item(), presented_at=moment)))
    assert parsed.message is not None and parsed.message.presented_at == moment


@pytest.mark.parametrize(
    ("cert", "named"),
    [
        (
            certificate("SUPPLIER_DECLARATION", "SD-1", background_usvh=Decimal("0.05")),
            "SUPPLIER_DECLARATION SD-1 gives background_usvh",
        ),
        (
            certificate("DEFENCE_SUPPLY", "D-1", no_explosives=False),
            "DEFENCE_SUPPLY D-1 gives no_explosives",
        ),
        (
            certificate("CONTRACT", "C-1", max_usvh=Decimal("0.2"), no_radioactive=True),
            "CONTRACT C-1 gives max_usvh,",
        ),
    ],
)
def test_certificate_fields_cusdec_has_no_place_for_are_refused(cert: object, named: str) -> None:
    text = refusal(bill_of_entry(item(certificates=[cert])))
    assert named in text and "which CUSDEC does not carry" in text


def test_what_cusdec_carries_of_certificates_comes_back() -> None:
    boe = bill_of_entry(
        item(
            certificates=[
                certificate(
                    "PSIC",
                    "P-1",
                    background_usvh=Decimal("0.05"),
                    max_usvh=Decimal("0.07"),
                    no_radioactive=True,
                    no_explosives=True,
                ),
                certificate("CONTRACT", "C-1", no_radioactive=True, no_explosives=False),
                certificate("SUPPLIER_DECLARATION", "SD-1", agency="AG-1"),
            ]
        )
    )
    (parsed,) = read_edifact(edifact_writer.write(boe))
    assert parsed.findings == [] and parsed.message == boe


def test_a_c1_control_character_is_refused_like_del() -> None:
    for control in ("\x85", "\x9f", "\x7f"):
        text = refusal(bill_of_entry(item(description=f"LAPTOP{control}COMPUTERS")))
        assert f"holds the control character U+{ord(control):04X}" in text


def test_a_refusal_names_which_of_two_messages_sharing_an_id() -> None:
    good = bill_of_entry(item(), message_id="BE-SAME")
    bad = bill_of_entry(item(description="A" * 100), message_id="BE-SAME")
    with pytest.raises(ValueError) as refused:
        edifact_writer.write_all([good, bad])
    assert str(refused.value).startswith("message BE-SAME (message 2 of 2): item ")
