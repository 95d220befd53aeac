"""Rule data that changes by notification can be overridden by ``--config``: the ``[ims]`` and
``[scrap]`` tables lay values over the plugins' data files (a tariff line or a port notified
since the release). A key the data file does not have is reported when a run starts; a value
of the wrong kind, or one no message could match, fails the message closed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from customs_engine import PerSettings, checked_strings, overlay
from customs_engine.cli import main
from customs_engine.testing import (
    assert_finding,
    assert_no_finding,
    bill_of_entry,
    check,
    item,
    rules_of,
)
from tests.conftest import MESSAGES


def laptops(hs: str = "84713010") -> Any:
    return bill_of_entry(item(hs, quantity=5, unit="NOS", product_category="LAPTOP"))


def unshredded_at(port: str) -> Any:
    scrap = item("72044900", quantity=1000, unit="KGS", scrap_form="UNSHREDDED")
    return bill_of_entry(scrap, port_code=port, port_of_loading="AEJEA", consigned_from="AE")


def test_overlay_merges_tables_and_replaces_other_values() -> None:
    data = {"in_force_from": date(2023, 11, 1), "coverage": {"codes": ["1"], "reference": "r"}}
    merged = overlay(data, {"coverage": {"codes": ["2", "3"]}}, "ims")
    assert merged == {
        "in_force_from": date(2023, 11, 1),
        "coverage": {"codes": ["2", "3"], "reference": "r"},
    }
    assert data["coverage"]["codes"] == ["1"]  # the data file's own values are left alone
    with pytest.raises(ValueError, match=r"\[ims.coverage\] codez: no such key"):
        overlay(data, {"coverage": {"codez": []}}, "ims")
    with pytest.raises(ValueError, match=r"\[ims\] in_force_from must be a date \(YYYY-MM-DD\)"):
        overlay(data, {"in_force_from": "2030-01-01"}, "ims")
    with pytest.raises(ValueError, match=r"\[ims\] coverage must be a table"):
        overlay(data, {"coverage": ["84713010"]}, "ims")
    with pytest.raises(ValueError, match=r"must be a list of strings matching \[0-9\]\{8\}"):
        checked_strings(["8471"], "[ims.coverage] codes", "[0-9]{8}")


def test_per_settings_builds_once_per_table() -> None:
    built: list[object] = []
    per = PerSettings(lambda table: built.append(table) or len(built))
    table = {"a": 1}
    assert per({}) == per({}) == 1
    assert per(table) == per(table) == 2
    assert built == [{}, table]


def test_ims_coverage_and_date_follow_the_ims_table() -> None:
    assert_finding(check(laptops()), "IMS-AUTH-001", outcome="reject")
    later = check(laptops(), config={"ims": {"in_force_from": date(2030, 1, 1)}})
    assert_no_finding(later, "IMS-AUTH-001")
    added = {"ims": {"coverage": {"codes": ["84713010", "84713090", "84716040"]}}}
    keyboards = check(laptops("84716040"), config=added)
    assert_finding(keyboards, "IMS-AUTH-001", outcome="reject")
    assert_no_finding(check(laptops("84716040")), "IMS-AUTH-001")


@pytest.mark.parametrize(
    "table",
    [
        {"coverage": {"codes": ["8471.30"]}},
        {"coverage": {"codes": []}} | {"in_force_from": "2030"},
        {"exemptions": {"rnd_max_units": "20"}},
        {"expiry": [{"rule": "weekly"}]},
    ],
)
def test_an_override_that_cannot_apply_fails_the_message_closed(table: dict[str, Any]) -> None:
    response = check(laptops(), config={"ims": table})
    assert rules_of(response)["CORE-PLUGIN-001"] == "reject"
    assert any("plugin 'ims' failed" in f.message for f in response.findings)


def test_a_port_designated_since_the_release_is_applied_from_the_scrap_table() -> None:
    assert_finding(check(unshredded_at("INTKD6")), "SCRAP-PORT-001", outcome="reject")
    from customs_engine.plugins.scrap.plugin import DATA

    ports = [*DATA["designated_port"], {"codes": ["INTKD6"], "from": date(2026, 1, 1)}]
    designated = check(unshredded_at("INTKD6"), config={"scrap": {"designated_port": ports}})
    assert_no_finding(designated, "SCRAP-PORT-001")
    barred = {"scrap": {"origin": {"ports_of_loading": ["IRBND", "YEHOD", "AEJEA"]}}}
    unnamed = assert_finding(check(unshredded_at("INNSA1"), config=barred), "SCRAP-ORIG-001")
    assert "loaded at AEJEA must be shredded" in unnamed.message
    # a table of codes (the ports' names) takes a new code: it failed every Bill of Entry
    named = {"scrap": {"origin": {**barred["scrap"]["origin"], "names": {"AEJEA": "Jebel Ali"}}}}
    finding = assert_finding(check(unshredded_at("INNSA1"), config=named), "SCRAP-ORIG-001")
    assert "loaded at AEJEA (Jebel Ali) must be shredded" in finding.message
    wrong = {"scrap": {"origin": {"names": {"AEJEA": 7}}}}
    assert rules_of(check(unshredded_at("INNSA1"), config=wrong))["CORE-PLUGIN-001"] == "reject"


def test_an_unknown_key_of_the_ims_or_scrap_table_is_said_when_the_run_starts(
    tmp_path: Path,
) -> None:
    config = tmp_path / "customs.toml"
    config.write_text('[ims]\nhs_codes = ["84713010"]\n[scrap]\ndesignated_ports = ["INTKD6"]\n')
    result = CliRunner().invoke(
        main, ["validate", "--config", str(config), str(MESSAGES / "01-igm-innsa1-2234567.xml")]
    )
    said = [line for line in result.stderr.splitlines() if "is no setting" in line]
    assert len(said) == 2, result.stderr
    assert said[0].startswith("customs: --config [ims] hs_codes is no setting of plugin 'ims'")
    assert said[1].startswith("customs: --config [scrap] designated_ports is no setting")
    assert "designated_port," in said[1]
