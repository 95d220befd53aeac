"""Start-up hooks answering out of contract stop the run as a load failure (exit code 3) that
names the plugin, the hook and what it returned — never a traceback; a duplicate rule ID names
both plugins; validation errors read as one line."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from customs_engine import ResponseFormat, WireFormat, hookimpl
from customs_engine.core.check_context import Scheme
from customs_engine.core.plugin_host import PluginClashError, PluginLoadError
from customs_engine.core.rules import Rule
from customs_engine.testing import bill_of_entry, make_engine, write_message

PROBE_RULE = Rule(
    id="PROBE-X-001", scheme="probe", title="t", outcomes=("hold",), reference="probe"
)


def _read(data: bytes, source: str, config: Any) -> list[Any]:
    return []


WIRE = WireFormat(name="probe_wire", title="probe", detect=lambda h, n: False, read=_read)
RESPONSE = ResponseFormat(name="probe-out", title="probe", writer=lambda stream: None)


class Answers:
    """A plugin whose start-up hook ``hook`` answers ``answer`` (the others answer nothing)."""

    def __init__(self, hook: str, answer: object) -> None:
        self.hook, self.answer = hook, answer

    def _answer(self, hook: str) -> Any:
        return self.answer if hook == self.hook else None

    @hookimpl
    def customs_schemes(self) -> Any:
        return self._answer("customs_schemes")

    @hookimpl
    def customs_rules(self) -> Any:
        return self._answer("customs_rules")

    @hookimpl
    def customs_wire_formats(self) -> Any:
        return self._answer("customs_wire_formats")

    @hookimpl
    def customs_response_formats(self) -> Any:
        return self._answer("customs_response_formats")

    @hookimpl
    def customs_output_formats(self) -> Any:
        return self._answer("customs_output_formats")


@pytest.mark.parametrize(
    ("hook", "answer", "said"),
    [
        ("customs_schemes", "evil", "returned str 'evil', not a list of Scheme"),
        ("customs_schemes", [PROBE_RULE], "returned a list holding Rule"),
        ("customs_schemes", Scheme(name="p", title="t"), "returned Scheme"),
        ("customs_rules", ["EVIL-X-001"], "returned a list holding str 'EVIL-X-001'"),
        ("customs_rules", "PROBE-X-001", "returned str 'PROBE-X-001', not a list of Rule"),
        ("customs_rules", {"PROBE-X-001": PROBE_RULE}, "returned dict"),
        ("customs_rules", PROBE_RULE, "returned Rule"),
        ("customs_wire_formats", "x", "returned str 'x', not a list of WireFormat"),
        ("customs_wire_formats", [RESPONSE], "a list holding ResponseFormat"),
        ("customs_response_formats", ["jsonx"], "a list holding str 'jsonx'"),
        ("customs_response_formats", [WIRE], "a list holding WireFormat"),
        ("customs_response_formats", RESPONSE, "returned ResponseFormat"),
        ("customs_output_formats", "evilfmt", "returned str 'evilfmt', not a list of str"),
        ("customs_output_formats", [1], "returned a list holding int 1"),
        ("customs_output_formats", {"evilfmt": 1}, "returned dict"),
    ],
)
def test_a_start_up_hook_returning_the_wrong_type_is_a_load_error(
    hook: str, answer: object, said: str
) -> None:
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("odd", Answers(hook, answer))])
    assert info.value.plugin == "odd"
    assert info.value.reason.startswith(hook) and said in info.value.reason


@pytest.mark.parametrize(
    ("hook", "record", "said"),
    [
        ("customs_wire_formats", WireFormat(name=3, title="t", detect=len, read=_read), "name"),  # type: ignore[arg-type]
        (
            "customs_wire_formats",
            WireFormat(name="w", title="t", detect=None, read=_read),
            "detect",
        ),  # type: ignore[arg-type]
        ("customs_wire_formats", WireFormat(name="w", title="t", detect=len, read="r"), "read"),  # type: ignore[arg-type]
        (
            "customs_wire_formats",
            WireFormat(name="w", title="t", detect=len, read=_read, settings="igm_date"),  # type: ignore[arg-type]
            "settings",
        ),
        ("customs_response_formats", ResponseFormat(name="", title="t", writer=len), "name"),  # type: ignore[arg-type]
        ("customs_response_formats", ResponseFormat(name="r", title="t", writer="w"), "writer"),  # type: ignore[arg-type]
    ],
)
def test_a_format_record_with_unusable_fields_is_a_load_error(
    hook: str, record: object, said: str
) -> None:
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("odd", Answers(hook, [record]))])
    assert info.value.plugin == "odd" and hook in info.value.reason and said in info.value.reason


def test_good_start_up_answers_still_load() -> None:
    for hook, answer in [
        ("customs_rules", (PROBE_RULE,)),
        ("customs_schemes", []),
        ("customs_wire_formats", [WIRE]),
        ("customs_output_formats", ["probe-legacy"]),
    ]:
        make_engine(only=["core"], extra=[("fine", Answers(hook, answer))])


def test_the_schemes_hook_is_called_once_at_start_up() -> None:
    calls: list[str] = []

    class Counts:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            calls.append("called")
            return [Scheme(name="probe", title="t")]

    make_engine(only=[], extra=[("counts", Counts())])
    assert calls == ["called"]


WRONG_SCHEMES = """
from customs_engine import hookimpl

@hookimpl
def customs_schemes():
    return 'evil'
"""

WRONG_OUTPUT_FORMATS = """
from customs_engine import hookimpl

@hookimpl
def customs_output_formats():
    return 'evilfmt'
"""


@pytest.mark.parametrize(
    ("module", "source", "said"),
    [
        ("ce_wrong_schemes", WRONG_SCHEMES, "customs_schemes returned str 'evil'"),
        ("ce_wrong_outfmt", WRONG_OUTPUT_FORMATS, "customs_output_formats returned str 'evilfmt'"),
    ],
)
def test_the_cli_stops_with_exit_3_naming_the_plugin(
    fake_dists: Any, customs_cli: Any, tmp_path: Path, module: str, source: str, said: str
) -> None:
    path = write_message(tmp_path / "be.xml", bill_of_entry())  # before the plugin is installed
    fake_dists.add("customs-engine-wrong", module, source, entry_name="wrong")
    for args in (("validate", str(path)), ("plugins",), ("rules",)):
        result = customs_cli(*args)  # a traceback would raise here (exceptions are not caught)
        assert result.exit_code == 3, result.stderr
        assert f"customs: plugin 'wrong' failed to load: {said}" in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


# -- a duplicate rule ID names both plugins, blaming neither ----------------------------------


def declaring(rule_id: str) -> object:
    class Declares:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [Rule(id=rule_id, scheme="dup", title="t", outcomes=("hold",), reference="r")]

    return Declares()


def test_a_plugin_reusing_a_built_in_rule_id_names_both() -> None:
    with pytest.raises(PluginClashError) as info:
        make_engine(only=["core"], extra=[("dup", declaring("CORE-LIC-001"))])
    assert info.value.plugins == ("core", "dup") and info.value.plugin == "dup"
    assert info.value.reason == "rule ID CORE-LIC-001 is declared by both 'core' and 'dup'"


def test_a_duplicate_names_both_plugins_in_name_order_whoever_came_second() -> None:
    """The message was "plugin 'second' failed to load: … already declared by plugin 'first'":
    the legitimate plugin was blamed whenever its name sorted after the other's."""
    for first, second in (("aaa", "zzz"), ("zzz", "aaa")):
        with pytest.raises(PluginClashError) as info:
            make_engine(
                only=[],
                extra=[(first, declaring("DUP-X-001")), (second, declaring("DUP-X-001"))],
            )
        assert info.value.plugins == (first, second)
        assert str(info.value) == (
            "plugin clash: rule ID DUP-X-001 is declared by both 'aaa' and 'zzz'"
        )


def test_a_rule_id_a_plugin_declares_twice_names_that_plugin() -> None:
    class Twice:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [PROBE_RULE, PROBE_RULE]

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=[], extra=[("twice", Twice())])
    assert not isinstance(info.value, PluginClashError)
    assert info.value.plugin == "twice"
    assert info.value.reason == "rule ID PROBE-X-001 is declared twice"


DUP_CORE_RULE = """
from customs_engine import Rule, hookimpl

@hookimpl
def customs_rules():
    return [Rule(id='CORE-LIC-001', scheme='dup', title='dup', outcomes=('hold',), reference='x')]
"""


def test_a_third_party_named_before_core_clashes_with_exit_3_naming_both(
    fake_dists: Any, customs_cli: Any
) -> None:
    """Entry points register in name order; ``aaa_dup`` comes before ``core``."""
    fake_dists.add("customs-engine-aaa-dup", "ce_aaa_dup", DUP_CORE_RULE, entry_name="aaa_dup")
    result = customs_cli("plugins")
    assert result.exit_code == 3
    assert (
        "customs: plugin clash: rule ID CORE-LIC-001 is declared by both 'aaa_dup' and 'core'"
    ) in result.stderr


# -- load errors read as one line ----------------------------------------------------------------


def test_a_rule_that_fails_validation_is_reported_in_one_readable_line() -> None:
    class BadId:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [
                Rule(id="evil_lower", scheme="evil", title="t", outcomes=("hold",), reference="x")
            ]

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=[], extra=[("badid", BadId())])
    reason = info.value.reason
    assert reason.startswith("customs_rules failed: invalid Rule: id: String should match pattern")
    assert reason.endswith("(got 'evil_lower')")
    assert "\n" not in reason and "pydantic.dev" not in reason


BAD_OUTCOME_AT_IMPORT = """
from customs_engine import Rule, hookimpl

RULE = Rule(id='BAD-X-001', scheme='bad', title='t', outcomes=('fatal',), reference='x')

@hookimpl
def customs_rules():
    return [RULE]
"""


def test_a_validation_error_at_import_is_one_line_with_exit_3(
    fake_dists: Any, customs_cli: Any
) -> None:
    fake_dists.add("customs-engine-bad", "ce_bad_outcome", BAD_OUTCOME_AT_IMPORT, entry_name="bad")
    result = customs_cli("rules")
    assert result.exit_code == 3
    first = result.stderr.splitlines()[0]
    assert first == (
        "customs: plugin 'bad' failed to load: invalid Rule: outcomes: outcomes must be among "
        "['fee', 'hold', 'info', 'query', 'reject', 'warn'], got ['fatal']"
    )
    assert "pydantic.dev" not in result.stderr


# -- rule declarations the host cannot use ----------------------------------------------------


def declares(**fields: Any) -> object:
    """A plugin declaring one rule built without the model's checks (``model_construct``), as a
    plugin may."""
    values = {"id": "COAL-X-001", "scheme": "coal", "title": "t", "outcomes": ("hold",)}
    values |= {"reference": "Coal Order 2026", **fields}

    class Declares:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [Rule.model_construct(**values)]

    return Declares()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"reference": "   "}, "rule COAL-X-001 has no legal reference"),
        ({"scheme": ""}, "rule COAL-X-001 names no scheme"),
        (
            {"effective_from": date(2026, 1, 1), "effective_until": date(2020, 1, 1)},
            "rule COAL-X-001 is in force from 2026-01-01 until 2020-01-01: its period ends "
            "before it starts",
        ),
        (
            {"scheme": "ims"},
            "rule COAL-X-001 is declared under scheme 'ims', which plugin 'ims' declares",
        ),
    ],
)
def test_a_rule_declaration_the_host_cannot_use_stops_the_run_at_start_up(
    fields: dict[str, Any], reason: str
) -> None:
    """Caught at start-up (exit code 3), not message by message, nor reported under a scheme
    whose findings would then seem another plugin's."""
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core", "ims"], extra=[("coal", declares(**fields))])
    assert (info.value.plugin, info.value.reason) == ("coal", reason)
    make_engine(only=["core", "ims"], extra=[("coal", declares())])  # a usable one loads


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"outcomes": ("block",)},
            "customs_rules returned an invalid Rule: outcomes: outcomes must be among ['fee', "
            "'hold', 'info', 'query', 'reject', 'warn'], got ['block']",
        ),
        (
            {"id": "bad id"},
            "customs_rules returned an invalid Rule: id: String should match pattern "
            "'^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$' (got 'bad id')",
        ),
        (
            {"id": ["COAL-X-001"]},
            "customs_rules returned an invalid Rule: id: Input should be a valid string "
            "(got ['COAL-X-001'])",
        ),
        ({"title": ""}, "rule COAL-X-001 has no title"),
        ({"title": "  "}, "rule COAL-X-001 has no title"),
        (
            {"effective_from": "2026-01-01"},
            "customs_rules returned an invalid Rule: effective_from: Input should be a valid "
            "date (got '2026-01-01')",
        ),
    ],
)
def test_a_rule_built_past_validation_is_validated_at_start_up(
    fields: dict[str, Any], reason: str
) -> None:
    """A ``model_construct`` rule with the outcome ``block`` loaded, was listed by ``customs
    rules`` and its finding reported in an *accepted* response; a bad ID or an empty title
    loaded too. Every field is checked as the model checks it (exit code 3, naming the
    plugin)."""
    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("coal", declares(**fields))])
    assert (info.value.plugin, info.value.reason) == ("coal", reason)


def test_a_scheme_built_past_validation_is_validated_at_start_up() -> None:
    class Declares:
        @hookimpl
        def customs_schemes(self) -> list[Scheme]:
            return [Scheme.model_construct(name="coal", title="Coal", licence_schemes=None)]

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("coal", Declares())])
    assert info.value.plugin == "coal"
    assert info.value.reason.startswith(
        "customs_schemes returned an invalid Scheme: licence_schemes: Input should be a valid tuple"
    )


# -- functions named customs_… that pluggy would not register -----------------------------------

UNMARKED = """
import customs_engine
from customs_engine import Rule, Scheme, hookimpl

RULE = Rule(id='CO-REG-001', scheme='cobalt', title='t', outcomes=('hold',), reference='x')
customs_setting = 5  # not a function: no hook either

@hookimpl
def customs_rules():
    return [RULE]

def {name}(boe, ctx):  # @hookimpl forgotten
    return [RULE.finding('hold', 'cobalt needs a registration')]
"""


@pytest.mark.parametrize(
    ("name", "known"),
    [("customs_check_bill_of_entry", True), ("customs_fess", False)],
)
def test_an_unmarked_customs_function_stops_the_run_at_start_up(
    fake_dists: Any, customs_cli: Any, name: str, known: bool
) -> None:
    """A hook function without ``@hookimpl`` (rightly named, or misspelt) was ignored in
    silence: the scheme's rule was declared and never reported, its Bills of Entry "accepted"."""
    fake_dists.add(
        "customs-engine-cobalt",
        f"ce_cobalt_{name}",
        UNMARKED.format(name=name),
        entry_name="cobalt",
    )
    result = customs_cli("plugins")
    assert result.exit_code == 3
    no_hook = "" if known else ", and no hook has that name"
    assert result.stderr.splitlines()[0] == (
        f"customs: plugin 'cobalt' failed to load: {name} is not marked @hookimpl{no_hook}: "
        "customs-engine would never call it (decorate it with @hookimpl from customs_engine, "
        "or rename it)"
    )


def test_an_unmarked_customs_method_of_a_plugin_object_is_refused_too() -> None:
    class Forgets:
        @hookimpl
        def customs_rules(self) -> list[Rule]:
            return [PROBE_RULE]

        def customs_fees(self, boe: Any) -> list[Any]:
            return []

    with pytest.raises(PluginLoadError) as info:
        make_engine(only=["core"], extra=[("forgets", Forgets())])
    assert info.value.plugin == "forgets"
    assert info.value.reason.startswith("customs_fees is not marked @hookimpl:")


def test_attributes_named_customs_that_are_not_functions_are_no_hooks() -> None:
    """A module imported as ``customs_engine``, a setting, a class: only functions count."""
    import types

    import customs_engine

    module = types.ModuleType("ce_plain")
    module.customs_engine = customs_engine  # type: ignore[attr-defined]
    module.customs_setting = 5  # type: ignore[attr-defined]
    module.customs_Record = type("customs_Record", (), {})  # type: ignore[attr-defined]
    module.customs_rules = hookimpl(lambda: [PROBE_RULE])  # type: ignore[attr-defined]
    make_engine(only=["core"], extra=[("plain", module)])
