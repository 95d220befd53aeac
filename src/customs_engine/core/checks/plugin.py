"""The ``core`` plugin: its scheme, its rules and the hooks that run the core checks."""

from __future__ import annotations

from customs_engine.core.context import Scheme
from customs_engine.core.hookspecs import hookimpl
from customs_engine.core.rules import Rule, load_rules

RULES = load_rules("customs_engine.core.checks")


@hookimpl
def customs_schemes() -> list[Scheme]:
    return [Scheme(name="core", title="Core customs checks (IEC, noting, deadlines, routing)")]


@hookimpl
def customs_rules() -> list[Rule]:
    return list(RULES.values())
