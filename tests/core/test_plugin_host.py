"""Loading plugins through entry points, start-up validation and fail-closed behaviour."""

from __future__ import annotations

import pytest

from customs_engine.core.check_context import CheckContext
from customs_engine.core.engine import Engine
from customs_engine.core.models import BillOfEntry
from customs_engine.core.plugin_host import PluginHost, PluginLoadError

GOOD_PLUGIN = """
from customs_engine import hookimpl
from customs_engine.core.check_context import Scheme
from customs_engine.core.rules import Rule

RULE = Rule(id="PAPER-REG-001", scheme="paper", title="Paper import needs a PIMS registration",
            outcomes=("hold",), reference="DGFT Notification 58/2015-20")

@hookimpl
def customs_schemes():
    return [Scheme(name="paper", title="Paper Import Monitoring System", licence_schemes=("PIMS",))]

@hookimpl
def customs_rules():
    return [RULE]

@hookimpl
def customs_check_bill_of_entry(boe, ctx):
    return [RULE.finding("hold", "no PIMS registration", item=item.number)
            for item in boe.items
            if item.hs_code.startswith("48") and not item.licences_for("PIMS")]
"""

BOE = BillOfEntry.model_validate(
    {
        "message_id": "BE-P",
        "port_code": "INNSA1",
        "type": "HOME_CONSUMPTION",
        "presented_at": "2026-03-10T10:00:00",
        "mode": "SEA",
        "importer": {"iec": "AAPFU0939F"},
        "prior": True,  # filed before its IGM: the core noting rules have nothing to say
        "items": [
            {"number": 1, "hs_code": "48025690", "quantity": 10, "unit": "KGS", "value_inr": 1000}
        ],
    }
)


def test_builtin_plugins_come_from_our_own_entry_points() -> None:
    host = PluginHost.from_entry_points(blocked=(), trace=False)
    names = {info.name for info in host.plugin_infos()}
    assert {"core", "icegate_xml", "serializers"} <= names
    core = next(info for info in host.plugin_infos() if info.name == "core")
    assert "customs_rules" in core.hooks and core.version == "0.1.0"


def test_third_party_plugin_registered_by_entry_point_is_loaded_and_consulted(fake_dists) -> None:
    fake_dists.add("customs-engine-paper", "ce_paper_ok", GOOD_PLUGIN, entry_name="paper")
    host = PluginHost.from_entry_points(blocked=(), trace=False)
    assert "PAPER-REG-001" in host.rules
    assert host.versions()["paper"] == "9.9.9"
    assert "PIMS" in host.handled_licence_schemes()
    response = Engine(host, CheckContext()).validate_message(BOE)
    assert [f.rule for f in response.findings if f.scheme == "paper"] == ["PAPER-REG-001"]
    assert response.status == "hold"


def test_blocked_plugins_are_not_loaded(fake_dists) -> None:
    fake_dists.add("customs-engine-paper", "ce_paper_blocked", GOOD_PLUGIN, entry_name="paper")
    host = PluginHost.from_entry_points(blocked=("paper",), trace=False)
    assert "paper" not in host.versions() and "PAPER-REG-001" not in host.rules


def test_plugin_that_fails_to_import_stops_loading_with_its_name(fake_dists) -> None:
    fake_dists.add(
        "broken", "ce_broken_import", "raise ImportError('needs libfoo')", entry_name="broken"
    )
    with pytest.raises(PluginLoadError) as info:
        PluginHost.from_entry_points(blocked=(), trace=False)
    assert info.value.plugin == "broken" and "libfoo" in str(info.value)


def test_unknown_hook_is_refused_by_check_pending(fake_dists) -> None:
    source = (
        "from customs_engine import hookimpl\n"
        "@hookimpl\ndef customs_chek_bill_of_entry(boe, ctx):\n    return []\n"
    )
    fake_dists.add("typo", "ce_typo_hook", source, entry_name="typo")
    with pytest.raises(PluginLoadError) as info:
        PluginHost.from_entry_points(blocked=(), trace=False)
    assert "customs_chek_bill_of_entry" in str(info.value)


def test_duplicate_rule_ids_are_refused(fake_dists) -> None:
    source = (
        "from customs_engine import hookimpl\nfrom customs_engine.core.rules import Rule\n"
        "@hookimpl\ndef customs_rules():\n"
        "    return [Rule(id='CORE-SYNTAX-001', scheme='dup', title='t', outcomes=('info',),"
        " reference='r')]\n"
    )
    fake_dists.add("dup", "ce_dup_rules", source, entry_name="dup")
    with pytest.raises(PluginLoadError) as info:
        PluginHost.from_entry_points(blocked=(), trace=False)
    assert "rule ID CORE-SYNTAX-001 is declared by both" in str(info.value)
    assert "'dup'" in str(info.value)


def test_a_plugin_crashing_on_a_message_rejects_it_instead_of_passing_it(fake_dists) -> None:
    source = (
        "from customs_engine import hookimpl\n"
        "@hookimpl\ndef customs_check_bill_of_entry(boe, ctx):\n    return 1 / 0\n"
    )
    fake_dists.add("crashy", "ce_crashy", source, entry_name="crashy")
    host = PluginHost.from_entry_points(blocked=(), trace=False)
    response = Engine(host, CheckContext()).validate_message(BOE)
    failure = next(f for f in response.findings if f.rule == "CORE-PLUGIN-001")
    assert "crashy" in failure.message and "ZeroDivisionError" in failure.message
    assert response.status == "rejected"


def test_findings_must_name_a_declared_rule(fake_dists) -> None:
    source = (
        "from customs_engine import hookimpl\n"
        "from customs_engine.core.response import Finding\n"
        "@hookimpl\ndef customs_check_bill_of_entry(boe, ctx):\n"
        "    return [Finding(rule='GHOST-001', scheme='ghost', outcome='info', message='m',"
        " reference='r')]\n"
    )
    fake_dists.add("ghost", "ce_ghost", source, entry_name="ghost")
    host = PluginHost.from_entry_points(blocked=(), trace=False)
    response = Engine(host, CheckContext()).validate_message(BOE)
    assert any(f.rule == "CORE-PLUGIN-001" and "GHOST-001" in f.message for f in response.findings)
