"""Loading fails closed (exit code 3), naming what failed: two installed distributions under one
plugin name, a plugin that exits while it is imported, two plugins owning one licence scheme or
scheme, a hook of no name the host knows (``optionalhook`` or not), a rules file that repeats a
rule ID or lacks its keys. What is one plugin seen twice is not a clash."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from customs_engine import hookimpl
from customs_engine.core.check_context import Scheme
from customs_engine.core.plugin_host import PluginClashError, PluginHost, PluginLoadError
from customs_engine.core.rules import Rule, RuleSet, load_rules
from customs_engine.testing import bill_of_entry, item, make_engine, write_message

STEEL = "72085110"  # SIMS covers Chapter 72: held without a registration


def _steel_boe(tmp_path: Path) -> Path:
    return write_message(tmp_path / "be.xml", bill_of_entry(item(STEEL)))


# -- F1: two distributions, one plugin name -------------------------------------------------------


def test_a_second_distribution_naming_its_plugin_sims_stops_the_run_naming_both(
    fake_dists: Any, customs_cli: Any, tmp_path: Path
) -> None:
    """The other distribution's empty ``sims`` silently replaced the real one: a steel Bill of
    Entry without its SIMS registration came back ACCEPTED, exit 0."""
    path = _steel_boe(tmp_path)
    fake_dists.add("customs-engine-steel-extras", "shadow_pkg", "", entry_name="sims")
    with pytest.raises(PluginClashError) as info:
        PluginHost.from_entry_points(blocked=())
    assert "plugin name 'sims' (a customs_engine entry point) is declared by both" in str(
        info.value
    )
    assert "customs-engine-steel-extras 9.9.9 (shadow_pkg)" in str(info.value)
    assert "customs-engine 0.1.0 (customs_engine.plugins.sims.plugin" in str(info.value)
    for args in (("validate", "--format", "json", str(path)), ("plugins",)):
        result = customs_cli(*args)
        assert result.exit_code == 3, result.stdout
        assert result.stdout == ""
        assert "customs: plugin clash: plugin name 'sims'" in result.stderr
        assert (
            "shadow_pkg" in result.stderr and "customs_engine.plugins.sims.plugin" in result.stderr
        )


def test_two_third_party_distributions_under_one_name_clash_whichever_is_found_first(
    fake_dists: Any,
) -> None:
    fake_dists.add("customs-engine-solar", "ce_solar_real", "", entry_name="solar")
    fake_dists.add("customs-engine-solar-fork", "ce_solar_fork", "", entry_name="solar")
    with pytest.raises(PluginClashError) as info:
        make_engine(only=["solar"])
    assert "customs-engine-solar 9.9.9 (ce_solar_real)" in info.value.reason
    assert "customs-engine-solar-fork 9.9.9 (ce_solar_fork)" in info.value.reason


def test_one_module_listed_by_two_distributions_is_one_plugin(fake_dists: Any) -> None:
    """Not a clash: the same target under the same name (a distribution renamed, the old one
    left installed) loads once."""
    fake_dists.add("customs-engine-paper", "ce_paper_once", "", entry_name="paper")
    info = fake_dists.root / "customs_engine_paper_old-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: customs-engine-paper-old\n")
    (info / "entry_points.txt").write_text("[customs_engine]\npaper = ce_paper_once\n")
    host = make_engine(only=["paper"]).host
    assert [i.module for i in host.plugin_infos() if i.name == "paper"] == ["ce_paper_once"]


def test_one_distribution_on_sys_path_twice_is_one_plugin(
    fake_dists: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editable install seen through two ``sys.path`` entries is one distribution."""
    fake_dists.add("customs-engine-paper", "ce_paper_twice", "", entry_name="paper")
    again = tmp_path / "again"
    shutil.copytree(fake_dists.root, again)
    monkeypatch.syspath_prepend(str(again))
    host = make_engine(only=["paper"]).host
    assert host.versions()["paper"] == "9.9.9"


def test_two_entry_point_names_for_one_module_are_refused_in_one_line(fake_dists: Any) -> None:
    """pluggy's own message showed the repr of every loaded plugin."""
    fake_dists.add("customs-engine-paper", "ce_paper_two_names", "", entry_name="paper")
    info = fake_dists.root / "customs_engine_paper2-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: customs-engine-paper2\n")
    (info / "entry_points.txt").write_text("[customs_engine]\npaper2 = ce_paper_two_names\n")
    with pytest.raises(PluginLoadError) as info_:
        make_engine(only=["paper", "paper2"])
    assert info_.value.plugin == "paper2"
    assert info_.value.reason == (
        "it is the same module or object as plugin 'paper': one plugin cannot load under two names"
    )


# -- F2: a plugin that exits while it is imported ------------------------------------------------


class Boom(BaseException):
    pass


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("import sys\nsys.exit(0)\n", "SystemExit: 0"),
        ("import sys\nsys.exit('no licence server')\n", "SystemExit: no licence server"),
        ("class Boom(BaseException):\n    pass\nraise Boom('at import')\n", "Boom: at import"),
        ("raise GeneratorExit\n", "GeneratorExit"),
    ],
    ids=["exit-0", "exit-text", "base-exception", "generator-exit"],
)
def test_a_plugin_exiting_while_imported_stops_the_run_with_exit_3(
    fake_dists: Any, customs_cli: Any, tmp_path: Path, source: str, said: str
) -> None:
    """``sys.exit(0)`` at import ended ``validate`` with exit 0 and no output ("all clear"); any
    other ``BaseException`` with a traceback and exit 1."""
    path = _steel_boe(tmp_path)
    fake_dists.add("customs-engine-exits", "ce_exits_at_import", source, entry_name="exits")
    result = customs_cli("validate", "--format", "json", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == f"customs: plugin 'exits' failed to load: {said}"


def test_an_attribute_that_exits_when_read_is_no_hook_and_does_not_end_the_run() -> None:
    """The check for unmarked ``customs_…`` functions read it and let its ``SystemExit`` out."""

    class Exits:
        @property
        def customs_rules(self) -> Any:
            raise SystemExit(0)

    host = make_engine(only=[], extra=[("exits", Exits())]).host
    assert "exits" in host.versions()


# -- F3 and F7: one owner for a licence scheme and a scheme ---------------------------------------


def declaring_scheme(name: str, *licences: str) -> object:
    class Declares:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [Scheme(name=name, title=name, licence_schemes=licences)]

    return Declares()


def test_a_licence_scheme_two_plugins_declare_stops_the_run_naming_both() -> None:
    """Both plugins then claimed the line, and it was debited twice (stored with --commit)."""
    with pytest.raises(PluginClashError) as info:
        make_engine(
            only=[],
            extra=[
                ("solar", declaring_scheme("solar", "SOLAR")),
                ("evil", declaring_scheme("evil", "solar")),
            ],
        )
    assert sorted(info.value.plugins) == ["evil", "solar"]
    assert str(info.value) == (
        "plugin clash: licence scheme 'SOLAR' is declared by both 'evil' and 'solar'"
    )


def test_a_plugin_declaring_a_built_in_licence_scheme_stops_the_run() -> None:
    with pytest.raises(PluginClashError) as info:
        make_engine(only=["sims"], extra=[("steal", declaring_scheme("steal", "EVL", "SIMS"))])
    assert info.value.reason == "licence scheme 'SIMS' is declared by both 'sims' and 'steal'"


def test_a_scheme_name_two_plugins_declare_stops_the_run_naming_both() -> None:
    with pytest.raises(PluginClashError) as info:
        make_engine(
            only=[],
            extra=[("solar", declaring_scheme("solar")), ("evil", declaring_scheme("solar"))],
        )
    assert info.value.reason == "scheme 'solar' is declared by both 'evil' and 'solar'"


def test_one_plugin_may_list_a_licence_scheme_in_two_of_its_schemes() -> None:
    class Two:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [
                Scheme(name="two-a", title="a", licence_schemes=("TWO",)),
                Scheme(name="two-b", title="b", licence_schemes=("two",)),
            ]

    host = make_engine(only=[], extra=[("two", Two())]).host
    assert host.handled_licence_schemes() == {"TWO"}


def test_the_bundled_plugins_and_the_copper_example_still_load_together() -> None:
    host = make_engine().host
    assert {"core", "ims", "sims", "aims", "scrap", "copper"} <= set(host.versions())
    assert {"IMS", "SIMS", "AIMS", "NFMIMS"} <= host.handled_licence_schemes()


# -- F5: a hook no hook specification has ---------------------------------------------------------


class FutureHook:
    @hookimpl(optionalhook=True)
    def customs_future_thing(self, boe: Any) -> list[Any]:
        return []


def test_an_optional_implementation_of_an_unknown_hook_stops_the_run() -> None:
    """``optionalhook=True`` let it load in silence: the hook was never called."""
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("future", FutureHook())])
    assert info.value.plugin == "future"
    assert info.value.reason.startswith(
        "implements customs_future_thing, which is no hook of customs-engine"
    )


def test_an_optional_implementation_of_a_known_hook_still_loads() -> None:
    class Optional:
        @hookimpl(optionalhook=True)
        def customs_rules(self) -> list[Rule]:
            return []

    make_engine(only=["core"], extra=[("optional", Optional())])


def test_an_unknown_hook_in_an_installed_plugin_stops_the_cli(
    fake_dists: Any, customs_cli: Any
) -> None:
    source = (
        "from customs_engine import hookimpl\n"
        "@hookimpl(optionalhook=True)\ndef customs_future_thing(boe):\n    return []\n"
    )
    fake_dists.add("customs-engine-future", "ce_future_hook", source, entry_name="future")
    result = customs_cli("plugins")
    assert result.exit_code == 3
    assert "customs: plugin 'future' failed to load: implements customs_future_thing" in (
        result.stderr
    )
    assert "<module" not in result.stderr  # not pluggy's repr of the module


# -- F6 and F9: the rules file -------------------------------------------------------------------

RULE = """
[[rule]]
id = "{id}"
title = "{title}"
outcomes = ["{outcome}"]
reference = "Probe Act s.1"
"""


def _rules_package(root: Path, name: str, text: str) -> Path:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rules.toml").write_text(text)
    return package / "rules.toml"


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def test_a_rule_id_repeated_in_one_rules_file_is_refused_naming_the_file_and_id(
    packages: Path,
) -> None:
    """The last one silently won: the first's outcome then failed every message at run time."""
    text = 'scheme = "probe"\n' + RULE.format(id="PROBE-A-001", title="first", outcome="info")
    text += RULE.format(id="PROBE-A-001", title="second", outcome="reject")
    path = _rules_package(packages, "ce_rules_twice", text)
    with pytest.raises(ValueError) as info:
        load_rules("ce_rules_twice")
    assert str(info.value) == (
        f"{path}: rule ID PROBE-A-001 is declared 2 times (one [[rule]] table per ID)"
    )


def test_a_rule_id_repeated_in_a_rules_file_stops_the_cli(
    fake_dists: Any, customs_cli: Any
) -> None:
    text = 'scheme = "probe"\n' + RULE.format(id="PROBE-A-001", title="a", outcome="info") * 2
    path = _rules_package(fake_dists.root, "ce_rules_twice_cli", text)
    source = (
        "from customs_engine import hookimpl, load_rules\n"
        "RULES = load_rules('ce_rules_twice_cli')\n"
        "@hookimpl\ndef customs_rules():\n    return list(RULES.values())\n"
    )
    fake_dists.add("customs-engine-probe", "ce_rules_twice_plugin", source, entry_name="probe")
    result = customs_cli("rules")
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == (
        f"customs: plugin 'probe' failed to load: ValueError: {path}: rule ID PROBE-A-001 is "
        "declared 2 times (one [[rule]] table per ID)"
    )


def test_a_rule_set_refuses_an_id_given_twice() -> None:
    rule = Rule(id="PROBE-A-001", scheme="probe", title="t", outcomes=("info",), reference="r")
    with pytest.raises(ValueError, match="rule ID PROBE-A-001 is declared twice"):
        RuleSet([rule, rule.model_copy(update={"title": "other"})])


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (RULE.format(id="PROBE-A-001", title="t", outcome="info"), "no top-level scheme"),
        ('scheme = ""\n' + RULE.format(id="PROBE-A-001", title="t", outcome="info"), "got ''"),
        ('scheme = "probe"\n', "no [[rule]] tables"),
        ('scheme = "probe"\nrule = "PROBE-A-001"\n', "rule must be [[rule]] tables, got a string"),
    ],
    ids=["no-scheme", "empty-scheme", "no-rules", "rule-not-tables"],
)
def test_a_rules_file_missing_a_key_is_refused_naming_the_file(
    packages: Path, text: str, said: str
) -> None:
    """Was a bare ``KeyError: 'scheme'`` naming no file."""
    name = f"ce_rules_{abs(hash(text))}"
    path = _rules_package(packages, name, text)
    with pytest.raises(ValueError) as info:
        load_rules(name)
    assert str(info.value).startswith(f"{path}: ") and said in str(info.value)


# -- a rule's title and reference are one printable line ------------------------------------------


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("Probe\\nFAKE-RULE-999 core reject forged line", "\\n (U+000A) at character 6"),
        ("Probe \\u202eelbat", "\\u202e (U+202E) at character 7"),
        ("Probe\\u001b[31m red", "\\x1b (U+001B) at character 6"),
    ],
    ids=["line-feed", "right-to-left-override", "escape"],
)
def test_a_rule_title_that_is_not_one_printable_line_stops_the_run(
    fake_dists: Any, customs_cli: Any, title: str, said: str
) -> None:
    """A title holding a line break forged an extra line in ``customs rules`` (a rule that does
    not exist); a U+202E reversed what the line reads."""
    path = _rules_package(
        fake_dists.root,
        f"ce_rules_title_{abs(hash(title))}",
        'scheme = "probe"\n' + RULE.format(id="PROBE-A-001", title=title, outcome="info"),
    )
    source = (
        "from customs_engine import hookimpl, load_rules\n"
        f"RULES = load_rules({path.parent.name!r})\n"
        "@hookimpl\ndef customs_rules():\n    return list(RULES.values())\n"
    )
    fake_dists.add("customs-engine-probe", f"{path.parent.name}_plugin", source, entry_name="probe")
    result = customs_cli("rules")
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"customs: plugin 'probe' failed to load: ValueError: {path}: rule PROBE-A-001: title: "
        f"must be one line of printable text; it holds {said}"
    )


def test_a_rule_reference_that_is_not_one_printable_line_is_refused() -> None:
    with pytest.raises(ValueError, match=r"reference\n.*it holds \\u202e \(U\+202E\)"):
        Rule(id="PROBE-A-001", scheme="p", title="t", outcomes=("info",), reference="Act\u202e")
    # a title or reference on one line, in any script, is kept
    Rule(id="PROBE-A-001", scheme="p", title="लौह इस्पात", outcomes=("info",), reference="धारा 46")


def test_a_rule_built_in_code_or_without_validation_is_checked_too() -> None:
    """Not only a rules file: ``Rule(...)`` refuses the title, and one built with
    ``model_construct`` stops the run at start-up."""
    fields = {"id": "PROBE-A-001", "scheme": "probe", "outcomes": ("info",), "reference": "r"}
    with pytest.raises(ValueError, match="title"):
        Rule(title="two\nlines", **fields)

    class Forger:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [Rule.model_construct(title="two\nlines", **fields)]

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=[], extra=[("forger", Forger())])
    assert "title: must be one line of printable text; it holds \\n (U+000A)" in str(info.value)
