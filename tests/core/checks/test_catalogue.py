"""Every core rule of RULES.md §1 is declared, with a reference, and shipped data is complete."""

from __future__ import annotations

import re
from pathlib import Path

from customs_engine.core.checks.catalogue import RULES
from customs_engine.core.refdata import permanent_iecs, reference


def test_every_core_rule_of_the_catalogue_is_declared(shared_dir: Path) -> None:
    text = (shared_dir / "RULES.md").read_text()
    section = text[text.index("## 1. Core") : text.index("## 2.")]
    listed = set(re.findall(r"^\| (CORE-[A-Z0-9-]+) \|", section, re.MULTILINE))
    assert listed and listed <= set(RULES)
    assert all(rule.reference.strip() for rule in RULES.values())


def test_port_master_has_every_code_named_in_the_rules(shared_dir: Path) -> None:
    text = (shared_dir / "RULES.md").read_text()
    named = set(re.findall(r"\bIN[A-Z]{3}[0-9A-Z]\b", text))
    assert named <= set(reference().ports)
    assert reference().ports["INPTPB"].station_type == "land"


def test_permanent_iecs(shared_dir: Path) -> None:
    text = (shared_dir / "RULES.md").read_text()
    section = text[text.index("### 1.1") : text.index("### 1.2")]
    listed = dict(re.findall(r"\b([A-Z]{5}[0-9]{4}[A-Z]) ([A-Z_]+)", section))
    assert len(listed) == 12
    assert {iec: permanent_iecs()[iec].category for iec in listed} == listed
