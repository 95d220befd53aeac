"""Hostile and broken SACHM22 input: a clear finding naming the place, never a traceback."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from customs_engine.adapters.scmtr_json.reader import parse
from customs_engine.core.formats import ParsedMessage

from .conftest import SCC, SCE, dump


def only_finding(parsed: ParsedMessage) -> tuple[str | None, str]:
    assert parsed.message is None and parsed.type == "unknown"
    assert len(parsed.findings) == 1, parsed.findings
    assert parsed.findings[0].rule.startswith("CORE-SYNTAX-"), parsed.findings
    return parsed.findings[0].field, parsed.findings[0].message


def test_truncated_json_names_line_and_column(sample_paths: dict[str, Path]) -> None:
    data = sample_paths[SCE].read_bytes()
    _, message = only_finding(parse(data[:1500]))
    assert message.startswith("line ") and "ends too early" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[1, 2]", "JSON array"),
        (b'"SACHM22"', "JSON string"),
        (b"null", "JSON null"),
    ],
)
def test_json_that_is_not_an_object(data: bytes, expected: str) -> None:
    field, message = only_finding(parse(data))
    assert field == "/" and expected in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"headerField": {"messageID": "SACHM22"}, "a": 1, "a": 2}', "repeats the key 'a'"),
        (b'{"headerField": {"messageID": "SACHM22", "x": NaN}}', "NaN is not a JSON number"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b'{"headerField": {"messageID": "SACHM22", "senderID": "\xff"}}', "not UTF-8"),
        (b'{"headerField": {"messageID": "SACHM23"}}', "'SACHM23' is not supported"),
        (b'{"headerField": {"messageID": "SACHM22", "reportingEvent": "SCU"}}', "SCU"),
        (b'{"headerField": {"messageID": "SACHM22"}, "errorDetails": {}}', "(SFL)"),
    ],
)
def test_unreadable_or_unsupported(data: bytes, expected: str) -> None:
    _, message = only_finding(parse(data))
    assert expected in message


def test_a_too_deeply_nested_document_is_placed_where_it_goes_too_deep() -> None:
    """Every syntax finding names line and column, this one too: the bracket opening the
    101st level."""
    data = b'{"headerField": {"messageID": "SACHM22"},\n "jobNo": ' + b"[" * 100000 + b"]" * 100000
    _, message = only_finding(parse(data + b"}"))
    assert message.startswith("line 2, column 110: the JSON is nested too deeply")


def test_cbic_s_own_scc_sample_is_said_to_be_an_scc(sample_paths: dict[str, Path]) -> None:
    """It spells the header ``HeaderField``: it is still told to be an SCC (not supported), not
    read as the SCE its ``decRef`` names and rejected for its structure."""
    field, message = only_finding(parse(sample_paths[SCC].read_bytes()))
    assert (
        field == "/HeaderField"
        and "reporting event SCC" in message
        and "not supported" in (message)
    )


def pointers(parsed: ParsedMessage) -> dict[str, str]:
    """Finding messages by JSON pointer (several at one pointer joined by newlines)."""
    assert parsed.message is None and parsed.findings
    assert all(f.rule.startswith("CORE-SYNTAX-") for f in parsed.findings), parsed.findings
    out: dict[str, str] = {}
    for f in parsed.findings:
        out[f.field or ""] = "\n".join(filter(None, [out.get(f.field or ""), f.message]))
    return out


def test_string_where_a_number_belongs_and_the_reverse(load: Any) -> None:
    document = load(SCE)
    document["master"]["decRef"]["jobNo"] = "2"
    document["master"]["vesselDtls"]["modeOfTrnsprt"] = 1
    found = pointers(parse(dump(document)))
    assert found["/master/decRef/jobNo"].endswith(
        "instance type (string) does not match any allowed primitive type "
        '(allowed: ["integer","number"])'
    )
    assert "instance type (integer)" in found["/master/vesselDtls/modeOfTrnsprt"]


def test_repeated_line_numbers(load: Any) -> None:
    document = load(SCE)
    lines = document["master"]["mastrCnsgmtDec"]
    lines.append(lines[0])
    found = pointers(parse(dump(document)))
    assert (
        "line number 1 is already master line /master/mastrCnsgmtDec/0"
        in found["/master/mastrCnsgmtDec/1/MCRef/lineNo"]
    )


def house(sub: int) -> dict[str, Any]:
    return {
        "HCRef": {
            "subLineNo": sub,
            "blNo": f"HBL{sub}",
            "blDt": "20200725",
            "consolidatedIndctr": "H",
            "consolidatorPan": "PAN:AADCC3951G",
            "prevDec": "N",
        },
        "trnsprtDocMsr": {
            "nmbrOfPkgs": 1,
            "typsOfPkgs": "PKG",
            "marksNoOnPkgs": "NIL",
            "grossWeight": Decimal("1.5"),
            "unitOfWeight": "KGS",
        },
    }


def test_repeated_sub_lines_under_one_master(load: Any) -> None:
    document = load(SCE)
    mc = document["master"]["mastrCnsgmtDec"][0]
    mc["MCRef"]["consolidatedIndctr"] = "C"
    mc["houseCargoDec"] = [house(1), house(1)]
    found = pointers(parse(dump(document)))
    assert (
        "sub-line 1 of line 1 is already"
        in found["/master/mastrCnsgmtDec/0/houseCargoDec/1/HCRef/subLineNo"]
    )


def test_house_line_without_its_master(load: Any) -> None:
    document = load(SCE)
    mc = document["master"]["mastrCnsgmtDec"][0]
    mc["houseCargoDec"] = [house(1)]  # under a straight (S) B/L
    found = pointers(parse(dump(document)))
    assert (
        "house lines need a consolidated master line"
        in found["/master/mastrCnsgmtDec/0/houseCargoDec"]
    )
    document = load(SCE)
    document["master"]["mastrCnsgmtDec"][0]["MCRef"]["consolidatedIndctr"] = "H"
    found = pointers(parse(dump(document)))
    assert (
        "is a house B/L (H) without its master"
        in found["/master/mastrCnsgmtDec/0/MCRef/consolidatedIndctr"]
    )


def test_a_valid_sample_with_a_bom_and_crlf(sample_paths: dict[str, Path]) -> None:
    data = b"\xef\xbb\xbf" + sample_paths[SCE].read_bytes().replace(b"\n", b"\r\n")
    parsed = parse(data)
    assert parsed.findings == [] and parsed.message is not None


def test_a_date_outside_the_engines_range_is_a_finding(load: Any) -> None:
    document = load(SCE)
    document["headerField"]["date"] = "00010101"
    field, message = only_finding(parse(dump(document)))
    assert field == "/master" and "cannot make a manifest" in message


def test_syntax_findings_by_kind(load: Any) -> None:
    """Not a JSON object: 001; a message that is not SACHM22: 004; a missing object (the
    header included): 003; a value of the wrong form: 005."""
    assert parse(b"[1]").findings[0].rule == "CORE-SYNTAX-001"
    assert {f.rule for f in parse(b'{"HeaderField": {}}').findings} == {"CORE-SYNTAX-003"}
    assert parse(b'{"headerField": {"messageID": "SACHM23"}}').findings[0].rule == (
        "CORE-SYNTAX-004"
    )
    document = load(SCE)
    del document["headerField"]["senderID"]
    assert {f.rule for f in parse(dump(document)).findings} == {"CORE-SYNTAX-003"}
    document = load(SCE)
    document["headerField"]["senderID"] = 12
    assert {f.rule for f in parse(dump(document)).findings} == {"CORE-SYNTAX-005"}


def place(text: str, fragment: str, within: str = "") -> str:
    """``line L, column C`` of where ``fragment`` starts (after ``within``, when given)."""
    offset = text.index(fragment, text.index(within))
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, column {offset - text.rfind(chr(10), 0, offset)}"


def test_every_failure_names_its_line_and_column(load: Any) -> None:
    """The value that fails, or the object that lacks a member, by line and column as well as
    by pointer."""
    document = load(SCE)
    document["master"]["decRef"]["jobNo"] = "2"
    del document["master"]["vesselDtls"]["modeOfTrnsprt"]
    text = dump(document).decode()
    found = pointers(parse(text.encode()))
    job = place(text, '"2"', within='"jobNo"')
    assert found["/master/decRef/jobNo"].startswith(f"{job}: /master/decRef/jobNo: ")
    vessel = place(text, "{", within='"vesselDtls"')
    assert found["/master/vesselDtls"].startswith(f"{vessel}: /master/vesselDtls: ")


def test_a_reply_fed_back_is_placed_at_its_header(sample_paths: dict[str, Path]) -> None:
    [sfl] = [name for name in sample_paths if name.endswith("_SFL.json")][:1]
    text = sample_paths[sfl].read_text(encoding="utf-8-sig")
    _, message = only_finding(parse(text.encode()))
    assert message.startswith(place(text, "{", within='"headerField"') + ": ")


@pytest.mark.parametrize(
    ("text", "rule", "said"),
    [
        (
            "ETS\ud800BON",
            "CORE-SYNTAX-001",
            "the escape \\ud800 is half of a UTF-16 surrogate pair",
        ),
        (
            "ETS\udfffBON",
            "CORE-SYNTAX-001",
            "the escape \\udfff is half of a UTF-16 surrogate pair",
        ),
        ("ETS\x00BON", "CORE-SYNTAX-005", "holds the control character U+0000"),
        ("ETS\x1bBON", "CORE-SYNTAX-005", "holds the control character U+001B"),
        ("ETS\uffffBON", "CORE-SYNTAX-005", "holds the noncharacter U+FFFF"),
    ],
)
def test_a_name_holding_what_no_text_may_hold_is_refused_at_its_place(
    load: Any, text: str, rule: str, said: str
) -> None:
    """A lone surrogate (valid JSON escape, no character: it crashed the run when the message was
    keyed) or a control character (refused by every other format) in a declaration's text."""
    from tests.core.helpers import engine

    document = load(SCE)
    document["master"]["mastrCnsgmtDec"][0]["trnsprtDoc"]["cnsgnesName"] = text
    data = dump(document)
    parsed = parse(data)
    (finding,) = parsed.findings
    at = "/master/mastrCnsgmtDec/0/trnsprtDoc/cnsgnesName"
    assert finding.rule == rule and f"{at}: {said}" in finding.message
    assert finding.message.startswith(place(data.decode(), '"ETS', within='"cnsgnesName"'))
    assert parsed.message is None
    (response,) = engine().validate_bytes(data, "surrogate.json")
    assert response.status == "rejected"
    response.to_json_dict()  # writable


def test_tabs_line_feeds_and_surrogate_pairs_are_text(load: Any) -> None:
    document = load(SCE)
    document["master"]["mastrCnsgmtDec"][0]["trnsprtDoc"]["cnsgnesName"] = "ETS\tBON \U0001f600"
    messages = [f.message for f in parse(dump(document)).findings]
    assert not any("surrogate" in m or "control character" in m for m in messages)


def test_a_header_event_the_declaration_contradicts_is_refused_at_the_declarations(
    load: Any,
) -> None:
    """Trust the JSON, and flag a mismatch: an SCE said to be an SCX in its header was answered
    as an exit declaration (no manifest, nothing noted against it)."""
    document = load(SCE)
    document["headerField"]["reportingEvent"] = "SCX"
    data = dump(document)
    field, message = only_finding(parse(data))
    assert field == "/master/decRef/rptngEvent"
    assert message.endswith(
        '/master/decRef/rptngEvent: the declaration\'s reporting event "SCE" is not the '
        'header\'s "SCX": which one the declaration is, is undefined'
    )
    assert message.startswith(place(data.decode(), '"SCE"', within='"rptngEvent"'))
    assert parse(dump(load(SCE))).findings == []


def test_a_document_that_is_only_a_text_with_a_control_character_is_refused_at_the_root() -> None:
    """Found by the fuzz test: the finding's field was the empty pointer."""
    from customs_engine.adapters.scmtr_json.reader import parse

    [finding] = parse(b'"\\u001f"').findings
    assert (finding.rule, finding.field) == ("CORE-SYNTAX-005", "/")
