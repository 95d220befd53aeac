"""What an interchange or message may say only once: a UNH message reference in one
interchange (CORE-SYNTAX-002), an attribute in a header, item or line (CORE-SYNTAX-003)."""

from __future__ import annotations

import pytest

from customs_engine.adapters.edifact import writer as edifact_writer
from customs_engine.adapters.edifact.reader import read
from customs_engine.adapters.edifact.references import message_id, message_reference
from customs_engine.testing import bill_of_entry, manifest

from .interchanges import cuscar_segments, cusdec_segments, interchange


def unh_lines(data: bytes) -> list[int]:
    return [n for n, line in enumerate(data.decode().splitlines(), start=1) if line[:4] == "UNH+"]


def test_a_repeated_unh_reference_is_an_envelope_finding_on_the_second_message() -> None:
    data = interchange(cusdec_segments(), cusdec_segments(), cuscar_segments())
    data = data.replace(b"+M2+", b"+M1+").replace(b"UNT+37+M2", b"UNT+37+M1")
    first, second, third = read(data)
    assert first.findings == [] and third.findings == []
    (finding,) = second.findings
    line = unh_lines(data)[1]
    assert finding.rule == "CORE-SYNTAX-002"
    assert finding.message == (
        f"line {line}, column 1: message M1, segment UNH #1: UNH message reference (0062) "
        "'M1' is already that of message 1 of the file: each message of an interchange "
        "needs its own reference"
    )
    assert second.message is not None  # still read


def test_a_refused_repeat_of_a_message_debits_nothing_and_says_so() -> None:
    """The same CUSDEC twice under one reference: the second is refused, and its answer
    showed the first copy's debit (an integrator booking debits from answers booked it twice)."""
    from customs_engine.core.formats import ParsedMessage
    from customs_engine.testing import make_engine

    data = interchange(cusdec_segments(), cusdec_segments())
    data = data.replace(b"+M2+", b"+M1+").replace(b"UNT+37+M2", b"UNT+37+M1")
    engine = make_engine()
    answers = []
    for parsed in read(data):
        assert isinstance(parsed, ParsedMessage)
        answers.append(engine.complete(parsed, engine.assess(parsed), "dup.edi"))
    first, second = answers
    assert second.status == "rejected"
    assert first.authorisations and all(u.debited_quantity > 0 for u in first.authorisations)
    assert second.authorisations and all(u.debited_quantity == 0 for u in second.authorisations)


def test_references_are_remembered_past_memory_in_the_temporary_database() -> None:
    from customs_engine.core.temporary import FirstSeen

    seen = FirstSeen(in_memory=2)
    assert [seen.first(key, n) for n, key in enumerate("abcd", start=1)] == [None] * 4
    assert seen._db is not None  # c and d went to disk
    assert [seen.first(key, 9) for key in "abcde"] == [1, 2, 3, 4, None]


def test_the_same_reference_in_two_interchanges_is_fine() -> None:
    data = interchange(cusdec_segments()) * 2
    assert [p.findings for p in read(data)] == [[], []]


def test_a_repeated_reference_among_bare_messages_is_found_too() -> None:
    one = interchange(cusdec_segments()).decode()
    body = one[one.index("UNH+") : one.index("UNZ+")]
    (first, second) = read((body * 2).encode())
    assert [f.rule for f in first.findings] == ["EDIFACT-ENV-001"]
    assert [f.rule for f in second.findings] == ["EDIFACT-ENV-001", "CORE-SYNTAX-002"]


def _with(segments: list[str], after: str, *added: str) -> list[str]:
    at = next(k for k, seg in enumerate(segments) if seg.startswith(after))
    return [*segments[: at + 1], *added, *segments[at + 1 :]]


def test_a_header_attribute_given_twice_with_other_values_is_a_repetition() -> None:
    segments = cusdec_segments()
    at = next(k for k, seg in enumerate(segments) if seg.startswith("FTX+ZZZ+++ICAT:"))
    segments.insert(at + 1, "FTX+ZZZ+++ICAT:GOVERNMENT")
    (parsed,) = read(interchange(segments))
    (finding,) = parsed.findings
    assert finding.rule == "CORE-SYNTAX-003"
    # UNH is segment 1 of the message: the second UNIT is at+3
    assert (
        f"segment FTX #{at + 3}: attribute ICAT is given again with another value: "
        f"'GOVERNMENT', after 'COMMERCIAL' at segment FTX #{at + 2}; which one counts is "
        "undefined"
    ) in finding.message
    assert finding.message.startswith(f"line {at + 5}, column 1: ")  # UNA, UNB, UNH before


def test_a_header_attribute_given_twice_alike_is_no_finding() -> None:
    segments = cusdec_segments()
    at = next(k for k, seg in enumerate(segments) if seg.startswith("FTX+ZZZ+++ICAT:"))
    segments.insert(at + 1, segments[at])
    (parsed,) = read(interchange(segments))
    assert parsed.findings == []


def test_an_item_attribute_given_twice_is_a_repetition_of_that_item() -> None:
    segments = _with(cusdec_segments(), "FTX+ZZZ+++PCAT:", "FTX+ZZZ+++PCAT:SERVER")
    (parsed,) = read(interchange(segments))
    (finding,) = parsed.findings
    assert finding.rule == "CORE-SYNTAX-003" and finding.item == 1
    assert "attribute PCAT is given again with another value: 'SERVER'" in finding.message


def test_the_same_attribute_in_two_items_is_fine() -> None:
    segments = cusdec_segments()
    start = next(k for k, seg in enumerate(segments) if seg.startswith("CST+"))
    end = next(k for k, seg in enumerate(segments) if seg.startswith("UNS+S"))
    second = [seg.replace("CST+1+", "CST+2+") for seg in segments[start:end]]
    segments = [*segments[:end], *second, *segments[end:]]
    segments = [seg.replace("CNT+5:1", "CNT+5:2") for seg in segments]
    (parsed,) = read(interchange(segments))
    assert parsed.findings == [], [f.message for f in parsed.findings]


def test_a_line_attribute_given_twice_is_a_repetition_of_that_line() -> None:
    segments = _with(cuscar_segments(), "FTX+ZZZ+++CMOV:", "FTX+ZZZ+++CMOV:TC")
    (parsed,) = read(interchange(segments))
    (finding,) = parsed.findings
    assert finding.rule == "CORE-SYNTAX-003" and finding.item == 10
    assert "attribute CMOV is given again with another value: 'TC'" in finding.message


@pytest.mark.parametrize("message_id", ["BE-1", "BE-INNSA1-000126-LONGER-THAN-14"])
def test_the_writer_gives_messages_with_one_id_their_own_references(message_id: str) -> None:
    """Two messages with one id (an original and its amendment, say) in one interchange: the
    second gets the next ``#<n>`` reference, its whole id in BGM 1004 or RFF+ABE, and both read
    back cleanly with their id."""
    boe = bill_of_entry(message_id=message_id)
    igm = manifest(message_id=message_id, filed_at=None)  # igm_date travels as DTM+137
    messages = [boe, boe, igm, igm, bill_of_entry(message_id=message_reference(message_id, 1))]
    data = edifact_writer.write_all(messages)
    references = [line.split("+")[1] for line in data.decode().splitlines() if line[:4] == "UNH+"]
    assert len(set(references)) == 5
    assert references[1] == message_reference(message_id, 1)
    assert references[1].endswith("#2") and len(references[1]) <= 14
    parsed = read(data)
    assert [p.findings for p in parsed] == [[]] * 5
    assert [p.message for p in parsed] == messages


def test_a_numbered_reference_stands_for_the_declarants_reference_only_when_it_is_its_form() -> (
    None
):
    assert message_id("BE-1#2", "BE-1") == "BE-1"
    assert message_id("BE-1#9", "BE-1") == "BE-1"
    assert message_id("BE-1#2", "BE-2") == "BE-1#2"
    assert message_id("BE-1#1", "BE-1") == "BE-1#1"
    assert message_id("BE-1#x", "BE-1") == "BE-1#x"
