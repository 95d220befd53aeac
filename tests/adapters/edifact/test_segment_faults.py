"""Faults the reader names at the segment that carries them: values the model refuses, control
characters in data, and segments or composites with more parts than their directory layout."""

from __future__ import annotations

import pytest

from customs_engine.adapters.edifact.cusdec import CusdecReader
from customs_engine.adapters.edifact.reader import ingest, read
from customs_engine.adapters.edifact.tokenizer import decode
from customs_engine.core.formats import field_path
from tests.adapters.edifact.interchanges import cuscar_segments, cusdec_segments, interchange


def findings(data: bytes) -> list[tuple[str, str]]:
    (parsed,) = read(data)
    return [(f.rule, f.message) for f in parsed.findings]


def line_of(body: list[str], prefix: str) -> int:
    """The line of the first segment starting with ``prefix`` (UNA, UNB and UNH come first)."""
    return 4 + next(k for k, seg in enumerate(body) if seg.startswith(prefix))


def test_the_valid_messages_read_clean() -> None:
    assert findings(interchange(cusdec_segments())) == []
    assert findings(interchange(cuscar_segments())) == []


# -- values the model refuses are named where they are read -------------------------------------


@pytest.mark.parametrize(
    ("overrides", "segment", "text"),
    [
        ({"MEA": "MEA+AAE++NOS:0.0000001"}, "MEA+AAE++", "at most 6 decimal places"),
        ({"MOA40": "MOA+40:10.1234567:INR"}, "MOA+40", "at most 6 decimal places"),
        ({"CUX": "CUX+2:USD+3:INR+83.1234567"}, "CUX", "at most 6 decimal places"),
        ({"DTM137": "DTM+137:190001011130:203"}, "DTM+137", "outside the accepted range"),
        ({"DTM132": "DTM+132:22000101:102"}, "DTM+132", "outside the accepted range"),
        ({"DTM182": "DTM+182:99991231:102"}, "DTM+182", "outside the accepted range"),
    ],
)
def test_a_value_the_model_refuses_is_named_at_its_segment(
    overrides: dict[str, str], segment: str, text: str
) -> None:
    body = cusdec_segments(**overrides)
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-005"
    tag = segment[:3]
    assert message.startswith(f"line {line_of(body, segment)}, column 1: message M1, segment {tag}")
    assert text in message and "UNH" not in message


def test_six_decimals_and_dates_in_range_stay_quiet() -> None:
    body = cusdec_segments(MEA="MEA+AAE++NOS:0.000001", MOA40="MOA+40:10.1234560000:INR")
    assert findings(interchange(body)) == []
    body = cusdec_segments(DTM137="DTM+137:195001010000:203", DTM132="DTM+132:21991231:102")
    assert findings(interchange(body)) == []


def test_a_huge_quantity_is_one_finding_at_its_mea() -> None:
    body = cusdec_segments(MEA="MEA+AAE++NOS:" + "9" * 100_000)
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-005"
    assert "segment MEA" in message and "data element 6314 has 100000 digits" in message


def test_a_manifest_value_is_named_at_its_segment() -> None:
    body = cuscar_segments()
    body[-1] = "MEA+AAE+G+KGM:4200.1234567"
    body[1] = "DTM+137:190003080900:203"
    found = findings(interchange(body))
    assert [rule for rule, _ in found] == ["CORE-SYNTAX-005"] * 2
    assert "segment DTM #3: DTM+137 value '190003080900'" in found[0][1]  # once, not per field
    assert "segment MEA" in found[1][1] and "at most 6 decimal places" in found[1][1]


def test_what_the_model_still_refuses_maps_to_the_segment_that_gave_it() -> None:
    text = decode(interchange(cusdec_segments()))
    _, envelope = ingest(text)
    (raw,) = envelope.messages
    reader = CusdecReader(raw)
    assert reader.read() is not None
    tags = [seg.tag for seg in raw.segments]
    dtm137 = next(
        k for k, seg in enumerate(raw.segments) if seg.tag == "DTM" and seg.elements[0][0] == "137"
    )
    assert reader._place(("presented_at",)) == (dtm137, None)
    first_cst = tags.index("CST")
    assert reader._place(("items", 0, "quantity")) == (tags.index("MEA", first_cst), 1)
    assert reader._place(("items", 0, "licences", 0, "expires_on")) == (tags.index("DOC"), 1)
    assert reader._place(("items", 0, "no_such_field")) == (first_cst, 1)
    assert reader._place(("no_such_field",)) == (tags.index("BGM"), None)


#: (segment overrides, the field, the segment that carries it): values only the model refuses
REFUSED = [
    ({"LOC27": "LOC+27+CHN"}, "items[0].country_of_origin", "LOC+27"),
    (
        {"MOA38": "MOA+38:1:US", "CUX": "CUX+2:US+3:INR+83"},
        "items[0].foreign_value.currency",
        "MOA+38",
    ),
    ({"MEA": "MEA+AAE++nos:60"}, "items[0].unit", "MEA+AAE++"),
    ({"FTXAAA": "FTX+AAA+++ "}, "items[0].description", "FTX+AAA"),
    ({"DOC911": "DOC+911:::IMS"}, "items[0].licences[0].number", "DOC+911"),
    ({"DOC911": "DOC+911+IMS-1"}, "items[0].licences[0].scheme", "DOC+911"),
    ({"DOCPSIC": "DOC+ZZZ:::PSIC"}, "items[0].certificates[0].number", "DOC+ZZZ"),
    ({"NADAM": "NAD+AM+ "}, "items[0].certificates[0].agency", "NAD+AM"),
    ({"LOC9": "LOC+9+AE"}, "port_of_loading", "LOC+9"),
    ({"LOC35": "LOC+35+USA"}, "consigned_from", "LOC+35"),
    ({"RFFBM": "RFF+BM: "}, "manifest.bl_number", "RFF+BM"),
    ({"RFFVA": "RFF+VA: "}, "importer.gstin", "RFF+VA"),
]


@pytest.mark.parametrize(("overrides", "field", "segment"), REFUSED, ids=lambda c: str(c))
def test_a_value_only_the_model_refuses_is_named_at_its_segment_with_its_item(
    overrides: dict[str, str], field: str, segment: str
) -> None:
    body = cusdec_segments(**overrides)
    (parsed,) = read(interchange(body))
    [finding] = parsed.findings
    assert finding.rule == "CORE-SYNTAX-005" and finding.field == field
    assert finding.item == (1 if field.startswith("items[") else None)
    assert finding.message.startswith(
        f"line {line_of(body, segment)}, column 1: message M1, segment {segment[:3]} "
        f"#{line_of(body, segment) - 2}: {field}: "
    )


def test_the_nth_licence_of_the_nth_item_is_named_at_its_own_doc() -> None:
    body = cusdec_segments(CNT="CNT+5:2")
    second = body.index("UNS+S")
    body[second:second] = [
        "CST+2+84713010:122",
        "MEA+AAE++NOS:5",
        "MOA+40:250000.00:INR",
        "DOC+911:::IMS+IMS-2",
        "DOC+911:::IMS+ ",
    ]
    (parsed,) = read(interchange(body))
    [finding] = parsed.findings
    assert finding.field == "items[1].licences[1].number" and finding.item == 2
    line = 4 + body.index("DOC+911:::IMS+ ")
    assert finding.message.startswith(
        f"line {line}, column 1: message M1, segment DOC #{line - 2}:"
    )


def test_a_manifest_value_only_the_model_refuses_is_named_at_its_segment_with_its_line() -> None:
    body = cuscar_segments()
    body[body.index("LOC+125+SGSIN")] = "LOC+125+AE"
    body[body.index("RFF+BM:MAEU123456::0")] = "RFF+BM: ::0"
    body[body.index("GID+1+120:PKG")] = "GID+1+120: "
    body[body.index("FTX+ZZZ+++CMOV:LC")] = "FTX+ZZZ+++LKND: "
    (parsed,) = read(interchange(body))
    placed = [(f.field, f.item, f.message.split(": ")[0:2]) for f in parsed.findings]
    at = [
        ("last_port_of_call", None, "LOC+125"),
        ("lines[0].bl_number", 10, "RFF+BM"),
        ("lines[0].package_kind", 10, "FTX+ZZZ+++LKND"),
        ("lines[0].goods_items[0].package_kind", 10, "GID"),
    ]
    assert placed == [
        (
            field,
            item,
            [
                f"line {line_of(body, segment)}, column 1",
                f"message M1, segment {segment[:3]} #{line_of(body, segment) - 2}",
            ],
        )
        for field, item, segment in at
    ]


# -- one fault, one finding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "segment", "text"),
    [
        ({"CST": "CST+1+8471301:122"}, "CST", "CST commodity code must be 8 digits, got '8471301'"),
        ({"CST": "CST+1+:122"}, "CST", "CST commodity code must be 8 digits, got ''"),
        (
            {"DOCPSIC": "DOC+ZZZ:::PSI+PSIC-9", "FTXPNOR": "", "MEABGR": ""},
            "DOC+ZZZ",
            "certificate type 'PSI' is not one of",
        ),
        ({"RFFAFB": "RFF+AFB:2234567:1234567:0"}, "RFF+AFB", "data element 1156 has 7 characters"),
        ({"RFFBM": "RFF+BM:" + "B" * 36}, "RFF+BM", "data element 1154 has 36 characters"),
        ({"LOC22": "LOC+22+" + "P" * 26}, "LOC+22", "data element 3225 has 26 characters"),
        ({"DOC911": "DOC+911:::IMS+" + "L" * 36}, "DOC+911", "data element 1004 has 36"),
        ({"NADIM": "NAD+IM+" + "I" * 36 + "::ZZZ++ACME"}, "NAD+IM", "data element 3039 has 36"),
    ],
)
def test_a_value_the_reader_has_reported_is_not_reported_again_by_the_model(
    overrides: dict[str, str], segment: str, text: str
) -> None:
    body = cusdec_segments(**overrides)
    (parsed,) = read(interchange(body))
    [finding] = parsed.findings
    assert finding.rule == "CORE-SYNTAX-005" and text in finding.message
    assert finding.message.startswith(f"line {line_of(body, segment)}, column 1: ")
    assert parsed.message is None or "data element" in text


def test_a_value_the_reader_has_reported_leaves_the_other_faults_to_the_model() -> None:
    body = cusdec_segments(CST="CST+1+8471301:122", LOC27="LOC+27+CHN")
    (parsed,) = read(interchange(body))
    assert [(f.field, f.item) for f in parsed.findings] == [
        (None, 1),
        ("items[0].country_of_origin", 1),
    ]


def test_a_manifest_value_the_reader_has_reported_is_not_reported_again() -> None:
    body = cuscar_segments()
    body[body.index("RFF+BM:MAEU123456::0")] = "RFF+BM:" + "B" * 36 + "::0"
    (parsed,) = read(interchange(body))
    [finding] = parsed.findings
    assert "data element 1154 has 36 characters" in finding.message


def test_field_paths_are_spelled_like_the_response() -> None:
    assert field_path(("items", 0, "quantity")) == "items[0].quantity"
    assert field_path(("items", 2, "licences", 1)) == "items[2].licences[1]"
    assert field_path(("presented_at",)) == "presented_at"


# -- control characters ----------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x7f", "\t", "\x1b", "\n"])
def test_a_control_character_in_data_is_refused_at_its_place(char: str) -> None:
    body = cusdec_segments(FTXAAA=f"FTX+AAA+++LAP{char}TOPS")
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-005"
    column = len("FTX+AAA+++LAP") + 1
    assert message.startswith(f"line {line_of(body, 'FTX+AAA')}, column {column}: message M1, ")
    assert f"segment FTX #{line_of(body, 'FTX+AAA') - 2}" in message
    assert f"U+{ord(char):04X}" in message


def test_line_breaks_and_blanks_between_segments_stay_quiet() -> None:
    text = interchange(cusdec_segments()).decode()
    assert findings(text.replace("\n", "\r\n").encode()) == []
    assert findings(text.replace("'\n", "'").encode()) == []
    assert findings(text.replace("'\n", "' \r\n\n").encode()) == []


def test_control_characters_as_service_characters_stay_quiet() -> None:
    """Syntax level B separates with IS1, IS3 and IS4 (ISO 9735): they are not data."""
    text = interchange(cusdec_segments()).decode().replace("UNA:+.? '\n", "UNA\x1f\x1d.? \x1c")
    text = text.replace("'\n", "\x1c").replace("+", "\x1d").replace(":", "\x1f")
    assert findings(text.encode()) == []


def test_a_control_character_in_a_large_file_is_found_too() -> None:
    body = cusdec_segments(FTXAAA="FTX+AAA+++LAP\x00TOPS")
    data = interchange(*[body] * 400)  # each message with its own reference
    parsed = read(data)
    assert len(parsed) == 400
    assert all(
        [f.rule for f in p.findings] == ["CORE-SYNTAX-005"] and "U+0000" in p.findings[0].message
        for p in parsed
    )


# -- more data elements or components than the directory layout --------------------------------


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"CST": "CST+1+84713010:122+A+B+C+D+E+F+G"}, "CST has 9 data elements, at most 6"),
        ({"CST": "CST+1+84713010:122" + "+A" * 50_000}, "CST has 50002 data elements"),
        ({"LOC27": "LOC+27+CN:A:B:C:D:E:F:G:H"}, "composite C517 (LOC element 2) has 9"),
        ({"MEA": "MEA+AAE++NOS:60:1:2:3:4"}, "composite C174 (MEA element 3) has 6"),
        ({"BGM": "BGM+929:::H+BE-1+9+AB+X+Y+Z"}, "BGM has 7 data elements, at most 4"),
        ({"BGM": "BGM+929:::H+BE-1+9:1"}, "data element 1225 (BGM element 3) is simple"),
        ({"FTXAAA": "FTX+AAA+++A:B:C:D:E:F"}, "composite C108 (FTX element 4) has 6"),
    ],
)
def test_more_parts_than_the_layout_are_refused(overrides: dict[str, str], text: str) -> None:
    body = cusdec_segments(**overrides)
    found = findings(interchange(body))
    assert [rule for rule, _ in found] == ["CORE-SYNTAX-003"]
    tag = next(iter(overrides.values()))[:3]
    assert f"segment {tag}" in found[0][1] and text in found[0][1]
    assert "UNTDID D.96B segment directory" in found[0][1]


def test_the_layout_is_the_directory_of_the_message() -> None:
    # C106 (document identification) is a composite in D.96B, 1004 a simple element in D.95B
    assert findings(interchange(cusdec_segments(BGM="BGM+929:::H+BE-1:1:2+9"))) == []
    body = cuscar_segments()
    body[0] = "BGM+85+2234567:1+9"
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-003"
    assert "data element 1004 (BGM element 2) is simple" in message and "D.95B" in message


def test_every_part_the_layout_has_stays_quiet() -> None:
    body = cusdec_segments(
        CST="CST+1+84713010:122:5+A:1:2+B+C+D",
        LOC27="LOC+27+CN:162:5:CHINA+X:1:2:Y+Z:1:2:W+1",
    )
    assert findings(interchange(body)) == []
    # trailing empty data elements carry nothing (ISO 9735 truncation): let through
    assert findings(interchange(cusdec_segments(LOC27="LOC+27+CN+++++"))) == []


# -- a mandatory value where the guide does not read it ---------------------------------------


def test_a_header_date_inside_a_reference_group_is_named_not_lost() -> None:
    """The branching diagram lets SG3's RFF take a DTM of any qualifier: a DTM+137 moved after
    RFF+AFB was read nowhere, and the message came back with no message and no finding."""
    body = cusdec_segments(DTM137="DTM+171:20260308:102", DTM171="DTM+137:202603091130:203")
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-003"
    assert message.startswith(f"line {line_of(body, 'DTM+137')}, column 1: message M1, segment DTM")
    assert "DTM+137 (presented_at) is inside the RFF+AFB group" in message


def test_a_mandatory_value_read_nowhere_is_named_at_its_segment() -> None:
    """The port's LOC+22 inside the goods item (the item group takes a LOC; the guide reads only
    LOC+27 there): the message is not read, and its finding says where the port stands."""
    body = cusdec_segments(LOC22="")
    body.insert(body.index("LOC+27+CN"), "LOC+22+INNSA1")
    (parsed,) = read(interchange(body))
    assert parsed.message is None
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-003"
    assert message.startswith(f"line {line_of(body, 'LOC+22')}, column 1: message M1, segment LOC")
    assert "mandatory LOC+22 (port_code) is not read here" in message


@pytest.mark.parametrize("char", ["\ufffe", "\uffff"])
def test_a_noncharacter_in_utf8_data_is_refused_at_its_place(char: str) -> None:
    """UTF-8 (UNOW) can spell U+FFFE and U+FFFF, but no text may hold them and XML cannot
    carry them: a value quoting one stopped an XML answer."""
    body = cusdec_segments(FTXAAA=f"FTX+AAA+++LAP{char}TOPS")
    data = interchange(body).replace(b"UNOC:3", b"UNOW:4")
    ((rule, message),) = findings(data)
    assert rule == "CORE-SYNTAX-005"
    assert f"the noncharacter U+{ord(char):04X} is not allowed in data" in message
    assert message.startswith(f"line {line_of(body, 'FTX+AAA')}, column 14: message M1, ")


# -- numbers that name one item or line -----------------------------------------------------------


def test_a_goods_item_number_given_twice_is_refused_at_the_second_cst() -> None:
    """Findings, debits and replies name items by number: two items 1 would be ambiguous (XML's
    schema, ICES and SCMTR refuse it too)."""
    body = cusdec_segments(CNT="")
    item = body[body.index("CST+1+84713010:122") : body.index("UNS+S")]
    body[body.index("UNS+S") : body.index("UNS+S")] = item
    second = len(body) - body[::-1].index("CST+1+84713010:122") - 1
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-003"
    assert message.startswith(
        f"line {second + 4}, column 1: message M1, segment CST #{second + 2}: "
    )
    first = body.index("CST+1+84713010:122") + 2
    assert message.endswith(
        f"goods item number 1 is given twice (the first CST is segment #{first}): an item "
        "number names one item"
    )
    assert findings(interchange(cusdec_segments())) == []


def test_a_line_number_given_twice_is_refused_at_the_second_cni() -> None:
    body = cuscar_segments()
    line = body[body.index("CNI+10") :]
    twice = [*body, *line]
    ((rule, message),) = findings(interchange(twice))
    assert rule == "CORE-SYNTAX-003"
    assert f"segment CNI #{len(body) + 2}: line 10/0 is given twice" in message
    other = [*body, *[seg.replace("RFF+BM:MAEU123456::0", "RFF+BM:MAEU123456::1") for seg in line]]
    assert findings(interchange(other)) == []  # another sub-line of line 10


def test_a_certificate_attribute_without_its_certificate_is_placed_at_its_own_segment() -> None:
    """Not at the next item's CST (or UNS+S), where the item is closed."""
    body = cusdec_segments(DOCPSIC="", NADAM="")
    messages = [message for _, message in findings(interchange(body))]
    assert len(messages) == 2
    pnor, bgr = line_of(body, "FTX+ZZZ+++PNOR"), line_of(body, "MEA+AAE+BGR")
    assert any(m.startswith(f"line {pnor}, column 1:") and "attribute PNOR" in m for m in messages)
    assert any(m.startswith(f"line {bgr}, column 1:") and "MEA BGR/MXR" in m for m in messages)


@pytest.mark.parametrize(
    ("after", "again", "shown"),
    [
        ("MEA+AAE++NOS:60", "MEA+AAE++NOS:600", "MEA+AAE"),
        ("MOA+40:3000000.00:INR", "MOA+40:30.00:INR", "MOA+40"),
        ("LOC+27+CN", "LOC+27+SG", "LOC+27"),
        ("LOC+22+INNSA1", "LOC+22+INMAA1", "LOC+22"),
        ("TDT+20+V1+1", "TDT+20+V1+4", "TDT+20"),
        ("DTM+36:20261231:102", "DTM+36:20201231:102", "DTM+36"),
    ],
)
def test_a_segment_given_again_in_its_group_with_other_content_is_refused(
    after: str, again: str, shown: str
) -> None:
    """Read on, the second silently replaced the first (600 laptops became 60)."""
    body = cusdec_segments()
    body.insert(body.index(after) + 1, again)
    ((rule, message),) = findings(interchange(body))
    assert rule == "CORE-SYNTAX-003"
    second = body.index(again)
    assert message == (
        f"line {second + 4}, column 1: message M1, segment {again[:3]} #{second + 2}: {shown} is "
        f"given again in its group with other content (the first is segment "
        f"#{body.index(after) + 2}): which one counts is undefined"
    )
    body[second] = after  # the same segment twice says nothing new
    assert findings(interchange(body)) == []


def test_a_second_item_or_certificate_has_groups_of_its_own() -> None:
    body = cusdec_segments(CNT="CNT+5:2")
    item = body[body.index("CST+1+84713010:122") : body.index("UNS+S")]
    second = [seg.replace("CST+1+", "CST+2+").replace("NOS:60", "NOS:7") for seg in item]
    body[body.index("UNS+S") : body.index("UNS+S")] = second
    assert findings(interchange(body)) == []


def test_a_manifest_segment_given_again_with_other_content_is_refused() -> None:
    body = cuscar_segments()
    body.insert(body.index("LOC+60+INNSA1") + 1, "LOC+60+INMAA1")
    body.insert(body.index("MEA+AAE+G+KGM:4200,5") + 1, "MEA+AAE+G+KGM:1")
    found = findings(interchange(body))
    assert [rule for rule, _ in found] == ["CORE-SYNTAX-003", "CORE-SYNTAX-003"]
    assert "LOC+60 is given again" in found[0][1] and "MEA+AAE+G is given again" in found[1][1]


@pytest.mark.parametrize(
    ("after", "added"),
    [
        # the broker's own GSTIN (its NAD+CB group), not the importer's
        ("NAD+CB+CHA1::ZZZ", ["RFF+VA:27AAACB1234C1Z5"]),
        # other documents of an item, each with its issue date (no licence, no certificate)
        (
            "DTM+36:20261231:102",
            ["DOC+380+INV-1", "DTM+182:20260201:102", "DOC+271+PL-1", "DTM+182:20260202:102"],
        ),
        # the same amount written another way
        ("MOA+40:3000000.00:INR", ["MOA+40:3000000:INR"]),
    ],
)
def test_segments_the_guide_does_not_read_where_they_stand_are_never_compared(
    after: str, added: list[str]
) -> None:
    body = cusdec_segments()
    at = body.index(after) + 1
    body[at:at] = added
    assert not any(rule == "CORE-SYNTAX-003" for rule, _ in findings(interchange(body)))


def test_a_manifests_container_weights_are_never_compared() -> None:
    body = cuscar_segments()
    at = body.index("CNI+10")
    body[at:at] = [
        "EQD+CN+MSKU1234567+22G1",
        "MEA+AAE+G+KGM:12000",
        "EQD+CN+MSKU7654321+22G1",
        "MEA+AAE+G+KGM:8000",
    ]
    assert not any(rule == "CORE-SYNTAX-003" for rule, _ in findings(interchange(body)))
