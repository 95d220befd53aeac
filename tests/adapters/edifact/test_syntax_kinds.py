"""Syntax findings by kind (CORE-SYNTAX-001…005) and one finding per problem, at its segment."""

from __future__ import annotations

import pytest

from customs_engine.adapters.edifact.reader import read
from customs_engine.testing import make_engine

from .interchanges import cusdec_segments, interchange


def rules(data: bytes) -> list[str]:
    return [f.rule for p in read(data) for f in p.findings]


#: input that reads as segments, each with one kind of problem
READABLE = [
    (interchange(cusdec_segments()).replace(b"UNT+37+M1", b"UNT+36+M1"), "CORE-SYNTAX-002"),
    (interchange(cusdec_segments(UNSD="")), "CORE-SYNTAX-003"),
    (
        interchange(cusdec_segments()).replace(b"CUSDEC:D:96B", b"CUSDEC:D:99A"),
        "CORE-SYNTAX-004",
    ),
    (interchange(cusdec_segments(DTM137="DTM+137:20261345:102")), "CORE-SYNTAX-005"),
]


@pytest.mark.parametrize(
    ("data", "rule"), [(b"\x00\x01 nothing here", "CORE-SYNTAX-001"), *READABLE]
)
def test_each_kind_of_syntax_problem_has_its_rule(data: bytes, rule: str) -> None:
    assert rule in rules(data)


@pytest.mark.parametrize(("data", "rule"), READABLE)
def test_syntax_001_quiet_for_input_that_can_be_read(data: bytes, rule: str) -> None:
    """CORE-SYNTAX-001 is for input that cannot be read at all: an interchange that reads as
    segments, however broken, gets the rule of its problem's kind instead."""
    found = rules(data)
    assert "CORE-SYNTAX-001" not in found
    assert rule in found


def test_syntax_rules_are_declared_with_references_users_can_read() -> None:
    declared = {rule.id: rule for rule in make_engine().host.rules.values()}
    for number in range(1, 6):
        rule = declared[f"CORE-SYNTAX-00{number}"]
        assert rule.outcomes == ("reject",) or list(rule.outcomes) == ["reject"]
        assert "SPEC" not in rule.reference and "RULES.md" not in rule.reference
    assert not [
        rule.id
        for rule in declared.values()
        if "SPEC §" in rule.reference or "RULES.md" in rule.reference
    ]


def test_a_missing_bgm_element_is_one_finding_at_the_bgm() -> None:
    (parsed,) = read(interchange(cusdec_segments(BGM="BGM+929++9")))
    (finding,) = parsed.findings
    assert "segment BGM #2" in finding.message and finding.rule == "CORE-SYNTAX-005"


def test_a_missing_item_quantity_is_one_finding_at_its_item() -> None:
    (parsed,) = read(interchange(cusdec_segments(MEA="")))
    (finding,) = parsed.findings
    assert finding.item == 1 and "segment CST #" in finding.message
    assert finding.rule == "CORE-SYNTAX-003"


def test_a_truncated_message_gets_no_guide_findings_on_top() -> None:
    data = interchange(cusdec_segments())
    (parsed,) = read(data[: data.index(b"MOA+40")])
    assert parsed.message is None
    assert {f.rule for f in parsed.findings} == {"CORE-SYNTAX-002"}
    assert any("not closed by UNT" in f.message for f in parsed.findings)
    assert not any("missing" in f.message for f in parsed.findings)


def test_a_clean_interchange_has_no_syntax_finding_of_any_kind() -> None:
    found = rules(interchange(cusdec_segments()))
    assert "CORE-SYNTAX-001" not in found
    assert "CORE-SYNTAX-002" not in found
    assert "CORE-SYNTAX-003" not in found
    assert "CORE-SYNTAX-004" not in found
    assert "CORE-SYNTAX-005" not in found
    assert "EDIFACT-ENV-001" not in found
