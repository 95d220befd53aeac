"""Numbers no declaration holds, ``NaN`` and repeated keys: a finding at the value's line and
column, of the kind it is, never a reader crash (nor Python's words in the SFL reply)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from customs_engine.adapters.scmtr_json.reader import parse
from customs_engine.adapters.scmtr_json.replies import AckWriter, SflWriter
from customs_engine.testing import make_engine

from .conftest import SCE, dump, replies

#: a number field of each kind the schema has: a measure with places, and whole numbers
FIELDS = {
    "/master/mastrCnsgmtDec/0/trnsprtDocMsr/grossWeight": "grossWeight",
    "/master/mastrCnsgmtDec/0/MCRef/lineNo": "lineNo",
    "/master/decRef/jobNo": "jobNo",
    "/headerField/sequenceOrControlNumber": "sequenceOrControlNumber",
}
HUGE = ["1E+30", "1e999", "-1E+30", "1e999999999", "9" * 31, "9" * 5000, "1.5E+40"]
MARK = "123456789.987"


def with_value(load: Any, pointer: str, raw: str) -> tuple[bytes, int, int]:
    """The SCE sample with ``raw`` written at ``pointer``; where it starts (line, column)."""
    document = load(SCE)
    *parents, key = pointer.split("/")[1:]
    node = document
    for step in parents:
        node = node[int(step)] if isinstance(node, list) else node[step]
    node[key] = MARK  # a placeholder string, replaced by the raw number text
    text = dump(document).decode().replace(f'"{MARK}"', raw)
    offset = text.index(raw)
    line = text.count("\n", 0, offset) + 1
    return text.encode(), line, offset - text.rfind("\n", 0, offset)


@pytest.mark.parametrize("raw", HUGE)
@pytest.mark.parametrize("pointer", FIELDS)
def test_a_huge_number_is_a_value_finding_at_its_place(load: Any, pointer: str, raw: str) -> None:
    data, line, column = with_value(load, pointer, raw)
    parsed = parse(data)
    assert parsed.message is None
    [finding] = parsed.findings
    assert finding.rule == "CORE-SYNTAX-005", finding
    assert finding.field == pointer
    assert finding.message.startswith(f"line {line}, column {column}: {pointer}: numeric instance")
    assert len(finding.message) < 300  # a 5000-digit number is not quoted whole


@pytest.mark.parametrize("raw", ["1E+30", "9" * 5000, "1e999999999"])
def test_the_replies_to_a_huge_number_are_written(load: Any, raw: str) -> None:
    data, _, _ = with_value(load, "/master/mastrCnsgmtDec/0/MCRef/lineNo", raw)
    [response] = make_engine().validate_bytes(data, "dec.json")
    for writer in (SflWriter, AckWriter):
        text = _written(writer, response)
        assert "InvalidOperation" not in text and "reader failed" not in text
        for line in text.splitlines():
            json.loads(line)
    [sfl] = [json.loads(line) for line in _written(SflWriter, response).splitlines()]
    [entry] = sfl["errorDetails"]["errorMessage"]
    assert entry["keyword"] == "maximum"
    assert entry["instance"]["pointer"] == "/master/mastrCnsgmtDec/0/MCRef/lineNo"


def _written(writer: type[SflWriter] | type[AckWriter], response: Any) -> str:
    stream = io.BytesIO()
    out = writer(stream)
    out.write(response)
    out.close()
    return stream.getvalue().decode()


def value_finding(load: Any, pointer: str, raw: str) -> Any:
    """The one finding of the SCE sample with ``raw`` at ``pointer``: a value's format
    (CORE-SYNTAX-005) at that pointer, its message starting with the value's line and column."""
    data, line, column = with_value(load, pointer, raw)
    [finding] = parse(data).findings
    assert finding.rule == "CORE-SYNTAX-005" and finding.field == pointer
    assert finding.message.startswith(f"line {line}, column {column}: ")
    return finding


@pytest.mark.parametrize("raw", ["1.5", "0.0001", "1E-999999999"])
def test_places_are_still_checked(load: Any, raw: str) -> None:
    pointer = "/master/mastrCnsgmtDec/0/trnsprtDocMsr/grossWeight"
    if raw == "1.5":
        pointer = "/master/mastrCnsgmtDec/0/MCRef/lineNo"
    assert "remainder of division is not zero" in value_finding(load, pointer, raw).message


@pytest.mark.parametrize("raw", ["0e0", "-0.0"])  # text found nowhere else in the sample
def test_a_gross_weight_of_0_is_refused_as_a_business_finding(load: Any, raw: str) -> None:
    """The schemas allow a gross weight of 0; a manifest line's weight is positive or not given:
    the declaration is refused at that value by the adapter's own rule — not as a structural
    failure (no SFL), nor with the guide's 052 "Can Not Be -Ve" (0 is not negative)."""
    pointer = "/master/mastrCnsgmtDec/0/trnsprtDocMsr/grossWeight"
    data, line, column = with_value(load, pointer, raw)
    [response] = make_engine().validate_bytes(data, "sce.json")
    [finding] = response.findings
    assert (finding.rule, finding.outcome, finding.field) == ("SCMTR-WGT-001", "reject", pointer)
    assert finding.message.startswith(f"line {line}, column {column}: ")
    assert replies(SflWriter, [response]) == []
    [ack] = replies(AckWriter, [response])
    [entry] = ack["master"]["mastrCnsgnmtDec"][0]["trnsprtDocmsrErrorCode"]
    assert entry["errorCode"] == "SCMTR-WGT-001"


@pytest.mark.parametrize("raw", ["12.345", "12.3450000", "1.2E+3"])
def test_numbers_in_range_with_their_places_pass(load: Any, raw: str) -> None:
    data, _, _ = with_value(load, "/master/mastrCnsgmtDec/0/trnsprtDocMsr/grossWeight", raw)
    parsed = parse(data)
    assert parsed.findings == [] and parsed.message is not None
    assert "SCMTR-WGT-001" not in {f.rule for f in parsed.findings}


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_nan_is_unreadable_json_at_its_place(load: Any, raw: str) -> None:
    data, line, column = with_value(load, "/master/mastrCnsgmtDec/0/MCRef/lineNo", raw)
    [finding] = parse(data).findings
    assert finding.rule == "CORE-SYNTAX-001"
    assert finding.message == (
        f"line {line}, column {column}: invalid JSON: {raw} is not a JSON number"
    )


def test_a_repeated_key_is_a_structure_finding_at_the_second_key() -> None:
    text = (
        '{\n  "headerField": {\n    "messageID": "X", "messageID": "SACHM22",\n'
        '    "reportingEvent": "SCE"\n  }\n}\n'
    )
    [finding] = parse(text.encode()).findings
    assert finding.rule == "CORE-SYNTAX-003"
    assert finding.field == "/headerField/messageID"
    second = text.index('"messageID"', text.index('"messageID"') + 1)
    column = second - text.rfind("\n", 0, second)
    assert finding.message == (
        f"line 3, column {column}: /headerField/messageID: the object repeats the key "
        "'messageID': which value counts is undefined"
    )


def test_a_repeated_key_in_a_line_is_placed_past_huge_siblings(load: Any) -> None:
    """The first fault in the text wins; skipping a 5000-digit number on the way is no error."""
    document = load(SCE)
    document["master"]["mastrCnsgmtDec"][0]["MCRef"]["lineNo"] = MARK
    text = dump(document).decode().replace(f'"{MARK}"', "9" * 5000)
    at = text.index('"mstrBlNo"')
    text = text[:at] + '"mstrBlNo": "A",\n        ' + text[at:]  # the original now repeats it
    parsed = parse(text.encode())
    [finding] = parsed.findings
    assert finding.rule == "CORE-SYNTAX-003"
    assert finding.field == "/master/mastrCnsgmtDec/0/MCRef/mstrBlNo"
    second = text.index('"mstrBlNo"', at + 1)
    line = text.count("\n", 0, second) + 1
    column = second - text.rfind("\n", 0, second)
    assert finding.message.startswith(f"line {line}, column {column}: ")


def test_the_first_fault_in_the_text_is_reported() -> None:
    text = '{"a": {"b": 1, "b": 2},\n "c": NaN}'
    [finding] = parse(text.encode()).findings
    assert finding.rule == "CORE-SYNTAX-003" and finding.message.startswith("line 1, column 16: ")
    text = '{"c": NaN,\n "a": {"b": 1, "b": 2}}'
    [finding] = parse(text.encode()).findings
    assert finding.rule == "CORE-SYNTAX-001" and finding.message.startswith("line 1, column 7: ")
    assert re.search(r"NaN is not a JSON number$", finding.message)
