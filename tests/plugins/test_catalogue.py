"""The scheme rules are declared as RULES.md §2–§5 lists them, with references and dates."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.rules import load_rules
from customs_engine.plugins.aims.plugin import AIMS
from customs_engine.plugins.ims.plugin import POLICY, RULES
from customs_engine.plugins.sims.plugin import SIMS

SCHEME_RULE = re.compile(r"\b(?:IMS|SIMS|AIMS|SCRAP)-[A-Z]+-\d{3}\b")
PACKAGES = {"ims": "IMS-", "sims": "SIMS-", "aims": "AIMS-", "scrap": "SCRAP-"}


def catalogue_ids(rules_md: str) -> set[str]:
    """Every scheme rule ID named in RULES.md §2–§5 (tables and text)."""
    start = rules_md.index("## 2.")
    end = rules_md.index("## 6.")
    return set(SCHEME_RULE.findall(rules_md[start:end]))


def listed_rules() -> dict[str, dict]:
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert result.exit_code == 0, result.output
    return {rule["id"]: rule for rule in json.loads(result.output)}


def test_customs_rules_lists_every_scheme_rule_of_rules_md(rules_md):
    wanted = catalogue_ids(rules_md)
    assert len(wanted) >= 45  # the parse found the catalogue, not an empty slice
    listed = listed_rules()
    assert wanted <= set(listed), sorted(wanted - set(listed))
    for rule_id in wanted:
        rule = listed[rule_id]
        assert rule["title"].strip() and rule["reference"].strip() and rule["outcomes"], rule_id
        assert rule["scheme"] == rule_id.split("-")[0].lower()


def test_plugins_declare_no_scheme_rule_outside_the_catalogue(rules_md):
    declared = {
        rule_id
        for package in PACKAGES
        for rule_id in load_rules(f"customs_engine.plugins.{package}")
    }
    assert declared == catalogue_ids(rules_md)


def test_text_listing_shows_id_reference_and_dates():
    result = CliRunner().invoke(main, ["rules", "--scheme", "sims"])
    assert result.exit_code == 0
    assert "SIMS-FEE-001" in result.output and "Notification 28/2023" in result.output
    assert "in force 2019-09-16" in result.output


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_effective_dates_are_ordered(package):
    for rule in load_rules(f"customs_engine.plugins.{package}").values():
        start, end = rule.effective_from or date.min, rule.effective_until or date.max
        assert start <= end, rule.id


def test_plugins_are_registered_through_entry_points():
    result = CliRunner().invoke(main, ["plugins", "--format", "json"])
    names = {plugin["name"]: plugin for plugin in json.loads(result.output)}
    for package in PACKAGES:
        assert names[package]["module"] == f"customs_engine.plugins.{package}.plugin"


def test_rule_dates_agree_with_the_data_files():
    assert RULES["IMS-AUTH-001"].effective_from == POLICY({}).in_force_from
    for scheme in (SIMS, AIMS):
        covered_from = next(p.start for p in scheme.coverage.periods if p.value == "chapters")
        assert scheme.rule("COV-001").effective_from == covered_from
