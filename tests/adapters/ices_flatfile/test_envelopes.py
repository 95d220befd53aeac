"""Where a message starts and ends, what belongs to it, and codes read in any case: an HREC
inside a message, an unreadable envelope, lines outside any message, records of separators,
HREC characters, line ends, lower-case codes and the tables a non-fresh BE needs."""

from __future__ import annotations

import pytest

from customs_engine.adapters.ices_flatfile.reader import parse
from customs_engine.core.models import BillOfEntry, ImportGeneralManifest
from customs_engine.testing import make_engine

from .flat_files import GS, flat_file, igm, steel_be


def _hrec(message_id: str, control: str) -> str:
    fields = ["HREC", "ZZ", "TESTCB0001", "ZZ", "INNSA1", "ICES1_5", "T", ""]
    return GS.join([*fields, message_id, control, "20260310", "1100"])


@pytest.mark.parametrize("where", ["middle", "top"])
def test_an_hrec_inside_a_message_is_one_finding_not_a_second_message(where: str) -> None:
    """A copy of the HREC line before the message's TREC split it into two messages with false
    findings (a missing TREC, absent tables); it is the one CORE-SYNTAX-002 the docs promise."""
    lines = flat_file("cachi01", steel_be()).split(b"\r\n")
    at = lines.index(b"<TABLE>CTX") if where == "middle" else 1
    lines.insert(at, lines[0])
    [parsed] = parse(b"\r\n".join(lines), {})
    assert isinstance(parsed.message, BillOfEntry)
    assert [(f.rule, f.message) for f in parsed.findings] == [
        ("CORE-SYNTAX-002", f"line {at + 1}: HREC in the middle of the message")
    ]
    # after the TREC, an HREC starts the next message
    first, second = parse(flat_file("cachi01", steel_be()) + flat_file("sachi01", igm()), {})
    assert isinstance(first.message, BillOfEntry) and first.findings == []
    assert isinstance(second.message, ImportGeneralManifest) and second.findings == []


def test_an_unreadable_envelope_is_a_message_of_its_own() -> None:
    """A second envelope whose header names no message read here put its finding on message 0
    (rejecting the good Bill of Entry) and had no response of its own."""
    good = flat_file("cachi01", steel_be())
    count = good.count(b"\r\n")
    bad = f"{_hrec('COCHE01', '9')}\r\nfoo\r\nTREC{GS}9\r\n".encode()
    first, second = parse(good + bad, {})
    assert isinstance(first.message, BillOfEntry) and first.findings == []
    assert (second.index, second.type, second.message) == (1, "unknown", None)
    [finding] = second.findings
    assert finding.rule == "CORE-SYNTAX-004" and finding.field == f"HREC[line {count + 1}].field 9"
    responses = make_engine().validate_bytes(good + bad, "two.be")
    assert [r.status == "rejected" for r in responses] == [False, True]


def test_lines_before_the_first_hrec_are_reported_apart() -> None:
    junk, parsed = parse(b"junk\r\n\r\nmore junk\r\n" + flat_file("cachi01", steel_be()), {})
    assert junk.type == "unknown"
    assert [f.message for f in junk.findings] == [
        "line 1: expected the HREC header record: lines 1–3 are outside any HREC … TREC message"
    ]
    assert isinstance(parsed.message, BillOfEntry) and parsed.findings == []


def test_a_record_of_separators_is_a_record() -> None:
    """``str.strip`` takes GS for white space: a line of separators was dropped as blank."""
    lines = flat_file("cachi01", steel_be()).split(b"\r\n")
    at = lines.index(b"<TABLE>ITEMS") + 1
    lines.insert(at, GS.encode() * 91)
    [parsed] = parse(b"\r\n".join(lines), {})
    assert [(f.rule, f.field, f.message) for f in parsed.findings] == [
        (
            "CORE-SYNTAX-003",
            f"ITEMS[line {at + 1}]",
            f"table ITEMS, line {at + 1}: the record holds no value, only separators",
        )
    ]


def test_hrec_fields_are_checked_for_their_characters() -> None:
    """A NUL in the control number went into the message id, and the message was accepted."""
    [parsed] = parse(flat_file("sachi01", igm(), control="904\x0017"), {})
    [finding] = parsed.findings
    assert finding.rule == "CORE-SYNTAX-005" and finding.field == "HREC[line 1].field 10"
    assert finding.message == (
        "table HREC, line 1, field 10: contains a control or non-ASCII character, U+0000, "
        "at character 4 of the field"
    )


def test_a_less_than_sign_in_the_control_number_is_no_signature_block() -> None:
    [parsed] = parse(flat_file("sachi01", igm(), control="90<17"), {})
    assert isinstance(parsed.message, ImportGeneralManifest) and parsed.findings == []
    assert parsed.reference == "SACHI01-INNSA1-90<17"


@pytest.mark.parametrize(("newline", "said"), [("\r", "CR alone"), ("\n\r", "LF CR")])
def test_other_line_ends_are_one_finding_that_names_them(newline: str, said: str) -> None:
    """CR-only files gave a dozen findings (a 500-field HREC, absent tables), LF CR files one
    "control character" per record; none said what was wrong."""
    [parsed] = parse(flat_file("cachi01", steel_be(), newline=newline), {})
    assert isinstance(parsed.message, BillOfEntry)
    assert [(f.rule, f.message) for f in parsed.findings] == [
        ("CORE-SYNTAX-002", f"the lines end in {said}: an ICES file ends its lines in CRLF or LF")
    ]


def test_a_control_character_in_a_field_is_named_with_its_place() -> None:
    tables = steel_be()
    tables["ITEMS"][0]["description1"] = "HR\x1fSTEEL"
    [parsed] = parse(flat_file("cachi01", tables), {})
    [finding] = parsed.findings
    assert finding.message.endswith(
        "field 12: description1: contains a control or non-ASCII character, U+001F, "
        "at character 3 of the field"
    )


def _with_type(tables: dict, code: str) -> dict:  # type: ignore[type-arg]
    for records in tables.values():
        for values in records:
            values["message_type"] = code
    return tables


def test_a_lower_case_fresh_message_type_gets_the_fresh_checks() -> None:
    """Message type ``f`` was an original whose mandatory fields were never checked."""
    tables = _with_type(steel_be(), "f")
    tables["BE"][0]["cha_code"] = None
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert [f.message for f in parsed.findings] == [
        "table BE, line 3, field 22: cha_code is mandatory on a fresh record but empty"
    ]


@pytest.mark.parametrize(("flag", "prior"), [("y", True), ("Y", True), ("n", False)])
def test_flags_and_importer_type_are_read_in_any_case(flag: str, prior: bool) -> None:
    tables = steel_be()
    tables["BE"][0].update(prior_be=flag, importer_type="g")
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert isinstance(parsed.message, BillOfEntry) and parsed.findings == []
    assert parsed.message.prior is prior
    assert parsed.message.importer.category == "GOVERNMENT"


def test_a_flag_that_is_not_y_or_n_is_refused_at_its_field() -> None:
    tables = steel_be()
    tables["BE"][0]["prior_be"] = "Q"
    tables["EXCHANGE"][0]["standard_currency"] = "x"
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert [(f.rule, f.message) for f in parsed.findings] == [
        ("CORE-SYNTAX-005", "table BE, line 3, field 28: prior_be: 'Q' is not a flag Y or N"),
        (
            "CORE-SYNTAX-005",
            "table EXCHANGE, line 5, field 8: standard_currency: 'x' is not a flag Y or N",
        ),
    ]


@pytest.mark.parametrize(("code", "function"), [("D", "cancellation"), ("a", "amendment")])
def test_a_non_fresh_cachi01_needs_no_fresh_tables(code: str, function: str) -> None:
    """Under a CACHI01 header the tables demanded followed the header, not BE field 1: a
    cancellation with only BE and CTX was told five tables were "mandatory for a fresh Bill of
    Entry"."""
    full = steel_be()
    tables = _with_type({"BE": full["BE"], "CTX": full["CTX"]}, code)
    [parsed] = parse(flat_file("cachi01", tables), {})
    assert [f.message for f in parsed.findings] == []
    assert isinstance(parsed.message, BillOfEntry) and parsed.message.function == function
    # a fresh one is still held to them
    [fresh] = parse(flat_file("cachi01", _with_type(tables, "F")), {})
    assert {f.field for f in fresh.findings} == {
        "EXCHANGE",
        "INVOICE",
        "ITEMS",
        "IGMS",
        "CONTAINER",
    }
    assert all("fresh Bill of Entry" in f.message for f in fresh.findings)
