"""Every rule ``customs rules`` lists has a test that makes it fire and one that keeps it quiet.

The check reads the test sources (this suite and the installed example's): a rule ID quoted in
an assertion counts as *fired* (``assert_finding``, ``assert_fee``, a test's own ``assert_…``
helper, ``rules_of(...)[ID]``, ``ID in ...``) or as *quiet* (``assert_no_finding``,
``assert_no_fee``, ``ID not in ...``), the assertion being on the line or on the one or two
lines it continues. It is a reading of the
sources, not of the run, so it can be fooled by a rule ID in an unrelated assertion — but it
cannot pass for a rule nobody wrote a test about.

The rules below lacked such a test when this check was written (most quiet cases are tested
through whole-response comparisons the scan cannot attribute); the lists must shrink, never
grow: a new rule needs both tests, and a listed rule that gains them must leave the list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from customs_engine.core.plugin_host import PluginHost
from tests.conftest import PROJECT

QUOTED_ID = re.compile(r"[\"']([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)[\"']")
QUIET = re.compile(r"assert_no_finding|assert_no_fee|\bnot in\b")
FIRED = re.compile(r"assert_\w+|findings_of|rules_of|\bassert\b|==|\bin\b")

#: no test quotes them in an assertion that they fire (as of the check's introduction)
KNOWN_NOT_FIRED: frozenset[str] = frozenset()
#: no test quotes them in an assertion that they stay quiet (as of the check's introduction)
KNOWN_NOT_QUIET: frozenset[str] = frozenset()


def source_files() -> list[Path]:
    return sorted([*(PROJECT / "tests").rglob("*.py"), *(PROJECT / "examples").rglob("test*.py")])


def scan(paths: list[Path], rule_ids: set[str]) -> tuple[set[str], set[str]]:
    """The rule IDs asserted to fire, and those asserted to stay quiet."""
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in paths:
        if path.resolve() == Path(__file__).resolve():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            found = set(QUOTED_ID.findall(line)) & rule_ids
            if not found:
                continue
            window = statement(lines, number)
            if QUIET.search(window):
                quiet |= found
            elif FIRED.search(window):
                fired |= found
    return fired, quiet


def statement(lines: list[str], number: int) -> str:
    """The line, with up to two lines before it when it continues a call (``assert_finding(``
    on one line, the rule ID on the next)."""
    start = number
    while start > max(0, number - 2) and lines[start - 1].rstrip().endswith(("(", ",", "\\")):
        start -= 1
    return " ".join(lines[start : number + 1])


@pytest.fixture(scope="module")
def coverage() -> tuple[set[str], set[str], set[str]]:
    rule_ids = set(PluginHost.from_entry_points(blocked=()).rules)
    fired, quiet = scan(source_files(), rule_ids)
    return rule_ids, fired, quiet


def test_every_rule_has_a_test_that_fires_it(coverage) -> None:  # type: ignore[no-untyped-def]
    rule_ids, fired, _ = coverage
    assert len(rule_ids) > 50
    assert sorted(rule_ids - fired - KNOWN_NOT_FIRED) == []
    assert sorted((KNOWN_NOT_FIRED & rule_ids) & fired) == [], "covered now: drop from the list"


def test_every_rule_has_a_test_that_keeps_it_quiet(coverage) -> None:  # type: ignore[no-untyped-def]
    rule_ids, _, quiet = coverage
    assert sorted(rule_ids - quiet - KNOWN_NOT_QUIET) == []
    assert sorted((KNOWN_NOT_QUIET & rule_ids) & quiet) == [], "covered now: drop from the list"


def test_the_scan_tells_firing_from_quiet(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        'assert_finding(response, "A-B-001")\n'
        "x = 1\n"
        'assert_no_finding(\n    response,\n    "A-B-002")\n'
        'assert "A-B-003" not in rules_of(response)\n'
        'RULE = "A-B-004"\n'
    )
    fired, quiet = scan([sample], {"A-B-001", "A-B-002", "A-B-003", "A-B-004"})
    assert fired == {"A-B-001"} and quiet == {"A-B-002", "A-B-003"}
