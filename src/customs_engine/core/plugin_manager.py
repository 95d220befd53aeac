"""Loading plugins: entry points, start-up validation, operator switches.

Fail closed: a plugin that cannot be imported, implements an unknown hook, or declares a rule ID
that another plugin already declared stops the run (:class:`PluginLoadError`, exit code 3) — a
missing scheme must never read as "clear".

Operator switches (environment):

* ``CUSTOMS_ENGINE_BLOCK_PLUGINS=name,name`` — do not load these entry points.
* ``CUSTOMS_ENGINE_TRACE=1`` — write every hook call and result to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import cast

import pluggy

from customs_engine.core import hookspecs
from customs_engine.core.context import Scheme
from customs_engine.core.rules import Rule

ENTRY_POINT_GROUP = "customs_engine"
BLOCK_ENV = "CUSTOMS_ENGINE_BLOCK_PLUGINS"
TRACE_ENV = "CUSTOMS_ENGINE_TRACE"


class PluginLoadError(Exception):
    """A plugin could not be loaded or validated; the run must stop."""

    def __init__(self, plugin: str, reason: str):
        super().__init__(f"plugin {plugin!r} failed to load: {reason}")
        self.plugin = plugin
        self.reason = reason


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str
    hooks: tuple[str, ...]


def blocked_from_env(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    raw = (environ if environ is not None else os.environ).get(BLOCK_ENV, "")
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


class PluginHost:
    """The loaded plugins with their declared schemes and rules, validated."""

    def __init__(self, plugins: Iterable[tuple[str, object, str]], *, trace: bool = False):
        """``plugins``: (name, module or object, version) in registration order."""
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._versions: dict[str, str] = {}
        for name, plugin, version in plugins:
            try:
                self.pm.register(plugin, name=name)
            except (ValueError, pluggy.PluginValidationError) as exc:
                raise PluginLoadError(name, str(exc)) from exc
            self._versions[name] = version
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(_plugin_name(self.pm, exc.plugin), str(exc)) from exc
        if trace:
            self.pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self.pm.enable_tracing()
        self.rules = self._collect_rules()
        self.schemes = self._collect_schemes()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls, *, blocked: Iterable[str] | None = None, trace: bool | None = None,
        extra: Iterable[tuple[str, object, str]] = (),
    ) -> PluginHost:
        """Load every ``customs_engine`` entry point (sorted by name), less the blocked ones."""
        skip = blocked_from_env() if blocked is None else frozenset(blocked)
        loaded: list[tuple[str, object, str]] = []
        seen: set[str] = set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in skip or ep.name in seen:
                continue
            seen.add(ep.name)
            try:
                plugin = ep.load()
            except Exception as exc:  # any import-time failure must stop the run, named
                raise PluginLoadError(ep.name, f"{type(exc).__name__}: {exc}") from exc
            version = ep.dist.version if ep.dist is not None else "unknown"
            loaded.append((ep.name, plugin, version))
        loaded.extend(extra)
        if trace is None:
            trace = os.environ.get(TRACE_ENV, "") not in ("", "0")
        return cls(loaded, trace=trace)

    # -- what was loaded -----------------------------------------------------------------------

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.pm.hook

    def versions(self) -> dict[str, str]:
        return dict(sorted(self._versions.items()))

    def plugin_infos(self) -> list[PluginInfo]:
        infos = []
        for name in sorted(self._versions):
            plugin = self.pm.get_plugin(name)
            callers = self.pm.get_hookcallers(plugin) or []
            module = getattr(plugin, "__name__", type(plugin).__module__)
            infos.append(PluginInfo(name=name, version=self._versions[name], module=module,
                                    hooks=tuple(sorted(c.name for c in callers))))
        return infos

    def handled_licence_schemes(self) -> frozenset[str]:
        return frozenset(s.upper() for scheme in self.schemes for s in scheme.licence_schemes)

    def output_formats(self) -> list[str]:
        names: list[str] = []
        for batch in self.hook.customs_output_formats():
            names.extend(batch or ())
        return sorted(set(names))

    def _collect_rules(self) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        owner: dict[str, str] = {}
        for impl in reversed(self.pm.hook.customs_rules.get_hookimpls()):
            try:
                declared = cast("list[Rule]", impl.function() or [])
            except Exception as exc:
                raise PluginLoadError(impl.plugin_name, f"customs_rules failed: {exc}") from exc
            for rule in declared:
                if rule.id in rules:
                    raise PluginLoadError(
                        impl.plugin_name,
                        f"rule ID {rule.id} is already declared by plugin {owner[rule.id]!r}")
                rules[rule.id] = rule
                owner[rule.id] = impl.plugin_name
        self.rule_owner = owner
        return dict(sorted(rules.items()))

    def _collect_schemes(self) -> list[Scheme]:
        schemes: list[Scheme] = []
        for batch in self.hook.customs_schemes():
            schemes.extend(batch or ())
        return sorted(schemes, key=lambda s: s.name)


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    name = pm.get_name(plugin) if plugin is not None else None
    if name:
        return name
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return repr(plugin)
