"""Operator switches end to end: ``customs plugins --format json``, blocking and tracing plugins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customs_engine import __version__, hookimpl
from customs_engine.core.models import BillOfEntry
from customs_engine.core.plugin_host import PluginHost, PluginLoadError, blocked_from_env
from customs_engine.core.response import Finding
from customs_engine.core.rules import Rule
from customs_engine.testing import bill_of_entry, make_engine, write_message

BUILT_IN = {
    "core": ["customs_rules", "customs_schemes"],
    "icegate_xml": ["customs_response_formats", "customs_wire_formats"],
    "serializers": ["customs_response_formats"],
}


def test_plugins_json_shows_name_version_module_and_hooks(customs_cli) -> None:
    result = customs_cli("plugins", "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    for name, hooks in BUILT_IN.items():
        assert listed[name]["version"] == __version__
        assert set(hooks) <= set(listed[name]["hooks"])  # main may grow more hooks
        assert listed[name]["module"].startswith("customs_engine.")
    for entry in listed.values():
        assert set(entry) == {"name", "version", "module", "hooks"}
        assert entry["hooks"] == sorted(entry["hooks"]) and entry["hooks"]
    assert list(listed) == sorted(listed)


def test_plugins_text_lists_the_same_plugins(customs_cli) -> None:
    text = customs_cli("plugins").stdout
    for name in BUILT_IN:
        assert f"{name} {__version__} (" in text


def test_block_switch_reads_a_comma_separated_list() -> None:
    assert blocked_from_env({"CUSTOMS_ENGINE_BLOCK_PLUGINS": " core, serializers ,,"}) == {
        "core",
        "serializers",
    }
    assert blocked_from_env({}) == frozenset()


def test_blocked_plugin_is_not_loaded_by_the_cli(customs_cli, tmp_path: Path) -> None:
    listed = json.loads(customs_cli("plugins", "--format", "json", block=["icegate_xml"]).stdout)
    assert "icegate_xml" not in {entry["name"] for entry in listed}
    assert "core" in {entry["name"] for entry in listed}

    boe = write_message(tmp_path / "be.xml", bill_of_entry())
    result = customs_cli("validate", "--format", "json", str(boe), block=["icegate_xml"])
    assert result.exit_code == 1
    response = json.loads(result.stdout)
    assert response["message"]["type"] == "unknown"
    assert "icegate_xml" not in response["engine"]["plugins"]
    # without the switch the same file is read and accepted
    assert customs_cli("validate", "--format", "json", str(boe)).exit_code == 0


def test_a_misspelt_blocked_name_is_reported(customs_cli) -> None:
    result = customs_cli("plugins", "--format", "json", block=["icegate_xlm"])
    assert result.exit_code == 0
    assert "CUSTOMS_ENGINE_BLOCK_PLUGINS names 'icegate_xlm', which is not an installed" in (
        result.stderr
    )
    assert "icegate_xml" in {entry["name"] for entry in json.loads(result.stdout)}
    assert customs_cli("plugins", block=["icegate_xml"]).stderr == ""


def test_trace_switch_shows_hook_calls_on_stderr(customs_cli, tmp_path: Path) -> None:
    boe = write_message(tmp_path / "be.xml", bill_of_entry())
    result = customs_cli("validate", "--format", "json", str(boe), trace=True)
    assert result.exit_code == 0
    # every hook is called plugin by plugin, first-non-None hooks too ...
    assert "icegate_xml.detect (plugin icegate_xml) [hook]" in result.stderr
    assert "finish icegate_xml.detect (plugin icegate_xml) --> True [hook]" in result.stderr
    assert "finish icegate_xml.read (plugin icegate_xml) --> [ParsedMessage(" in result.stderr
    # ... as are collected ones
    assert "customs_rules (plugin core) [hook]" in result.stderr
    assert "finish customs_rules (plugin core) --> [Rule(id='CORE-" in result.stderr
    json.loads(result.stdout)  # stdout stays a clean JSON document

    quiet = customs_cli("validate", "--format", "json", str(boe))
    assert "[hook]" not in quiet.stderr


def test_trace_reports_per_plugin_check_calls_and_failures(capsys) -> None:
    rule = Rule(
        id="TRACE-CHK-001", scheme="trace", title="t", outcomes=("query",), reference="tests"
    )

    class Checker:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [rule]

        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            return [rule.finding("query", "traced finding")]

    class Crashing:
        @hookimpl
        def customs_check_bill_of_entry(self, boe: BillOfEntry) -> list[Finding]:
            raise ValueError("boom")

    engine = make_engine(
        only=[], extra=[("checker", Checker()), ("crashing", Crashing())], trace=True
    )
    engine.validate_message(bill_of_entry())
    err = capsys.readouterr().err
    assert "customs_check_bill_of_entry (plugin checker) [hook]" in err
    assert "boe: kind='bill_of_entry' message_id='BE-TEST-0001'" in err
    assert "rule='TRACE-CHK-001'" in err
    assert "finish customs_check_bill_of_entry (plugin crashing) --> raised ValueError: boom" in err


def test_only_selects_entry_points_and_names_a_missing_one() -> None:
    assert list(make_engine(only=["core"]).host.versions()) == ["core"]
    assert make_engine(only=[]).host.versions() == {}
    with pytest.raises(PluginLoadError, match="'paper' failed to load: not installed"):
        PluginHost.from_entry_points(only=["core", "paper"], blocked=())
    # an extra plugin satisfies only= by its name
    host = PluginHost.from_entry_points(
        only=["paper"], blocked=(), extra=[("paper", object(), "1")]
    )
    assert host.versions() == {"paper": "1"}


@pytest.mark.parametrize(
    ("value", "tracing"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_trace_switch_values(monkeypatch: pytest.MonkeyPatch, value: str, tracing: bool) -> None:
    monkeypatch.setenv("CUSTOMS_ENGINE_TRACE", value)
    assert PluginHost.from_entry_points(only=["core"], blocked=()).tracing is tracing
