"""Loading plugins: entry points, start-up validation, operator switches.

Fail closed: a plugin that cannot be imported, implements an unknown hook, implements a hook as a
pluggy wrapper, declares a rule ID that another plugin already declared, or names a shortfall rule
it does not declare with the outcome ``reject`` stops the run (:class:`PluginLoadError`, exit code
3) — a missing scheme must never read as "clear".

Every hook is called through :meth:`PluginHost.call_each` (collected hooks) or
:meth:`PluginHost.call_first` (first-non-None hooks): each plugin is called on its own, a failure
is kept with the plugin's name and the others still answer.

Operator switches (environment):

* ``CUSTOMS_ENGINE_BLOCK_PLUGINS=name,name`` — do not load these entry points. The essential
  plugins (:data:`ESSENTIAL_PLUGINS`: the core checks, which are the fail-closed safety net, and
  the JSON writer) cannot be blocked: naming one is a usage error (:class:`BlockedEssentialError`).
* ``CUSTOMS_ENGINE_TRACE=1`` — write every hook call and result to stderr: calls made through
  pluggy and the per-plugin calls of :meth:`PluginHost.call_each` alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from customs_engine.core import hookspecs
from customs_engine.core.context import Scheme
from customs_engine.core.ledger import LedgerError
from customs_engine.core.rules import Rule

ENTRY_POINT_GROUP = "customs_engine"
BLOCK_ENV = "CUSTOMS_ENGINE_BLOCK_PLUGINS"
TRACE_ENV = "CUSTOMS_ENGINE_TRACE"
#: entry points that can never be blocked: the core checks (unhandled licence schemes, registry,
#: FX — the safety net) and the serializers (the JSON response writer)
ESSENTIAL_PLUGINS = frozenset({"core", "serializers"})


class PluginLoadError(Exception):
    """A plugin could not be loaded or validated; the run must stop."""

    def __init__(self, plugin: str, reason: str):
        super().__init__(f"plugin {plugin!r} failed to load: {reason}")
        self.plugin = plugin
        self.reason = reason


class BlockedEssentialError(Exception):
    """The block list names an essential plugin: a usage error (exit code 2)."""

    def __init__(self, names: Iterable[str]):
        self.names = tuple(sorted(names))
        super().__init__(
            f"{BLOCK_ENV} names {', '.join(repr(n) for n in self.names)}, which cannot be "
            "blocked: the core checks and the JSON writer are essential")


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str
    hooks: tuple[str, ...]


@dataclass(frozen=True)
class ImplCall:
    """One plugin's answer to a hook called plugin by plugin: its result, or what it raised."""

    plugin: str
    hook: str
    result: Any = None
    error: Exception | None = None


@dataclass(frozen=True)
class FirstResult:
    """A first-non-None hook's answer: the winning plugin's result (``None``: nobody answered)
    and the plugins that failed before it — their failures are reported, the chain went on."""

    result: Any = None
    plugin: str | None = None
    failures: tuple[ImplCall, ...] = ()


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
        self._refuse_wrappers()
        self.tracing = trace
        self._hooktrace = self.pm.trace.root.get("hook")
        if trace:
            self.pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self.pm.enable_tracing()
        self.rules = self._collect_rules()
        self.schemes = self._collect_schemes()
        self._check_shortfall_rules()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls, *, blocked: Iterable[str] | None = None, trace: bool | None = None,
        extra: Iterable[tuple[str, object, str]] = (), only: Iterable[str] | None = None,
    ) -> PluginHost:
        """Load every ``customs_engine`` entry point (sorted by name), less the blocked ones.

        ``only`` restricts loading to the named entry points (test fixtures use it); naming one
        that is not installed is a load error, so a test never silently runs without its plugin.
        ``extra`` plugins are registered after the entry points whatever ``only`` says.
        """
        skip = blocked_from_env() if blocked is None else frozenset(blocked)
        if skip & ESSENTIAL_PLUGINS:
            raise BlockedEssentialError(skip & ESSENTIAL_PLUGINS)
        extra = list(extra)
        wanted = None if only is None else frozenset(only) - {name for name, _, _ in extra}
        loaded: list[tuple[str, object, str]] = []
        seen: set[str] = set()
        entry_points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        if blocked is None:
            _warn_unknown_blocked(skip - {ep.name for ep in entry_points})
        for ep in entry_points:
            if ep.name in skip or ep.name in seen:
                continue
            if wanted is not None and ep.name not in wanted:
                continue
            seen.add(ep.name)
            try:
                plugin = ep.load()
            except Exception as exc:  # any import-time failure must stop the run, named
                raise PluginLoadError(ep.name, f"{type(exc).__name__}: {exc}") from exc
            version = ep.dist.version if ep.dist is not None else "unknown"
            loaded.append((ep.name, plugin, version))
        missing = sorted((wanted or frozenset()) - seen - skip)
        if missing:
            raise PluginLoadError(missing[0], "not installed (no customs_engine entry point)")
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

    def call_each(self, hook_name: str, *, only: Collection[str] | None = None,
                  **kwargs: Any) -> list[ImplCall]:
        """Call a collected hook plugin by plugin, catching each failure.

        The order is pluggy's own: the plugin registered last is called first (entry points
        register in name order, ``extra`` plugins after them). One failing plugin is reported by
        name while the others still answer.
        """
        return list(self._calls(hook_name, kwargs, only))

    def call_first(self, hook_name: str, **kwargs: Any) -> FirstResult:
        """Call a first-non-None hook plugin by plugin, in the same order as :meth:`call_each`.

        The first result that is not ``None`` wins. A plugin that raises does not stop the chain:
        its failure is kept (the caller reports it, fail closed) and the next plugin is asked.
        """
        failures: list[ImplCall] = []
        for call in self._calls(hook_name, kwargs):
            if call.error is not None:
                failures.append(call)
            elif call.result is not None:
                return FirstResult(call.result, call.plugin, tuple(failures))
        return FirstResult(failures=tuple(failures))

    def _calls(self, hook_name: str, kwargs: dict[str, Any],
               only: Collection[str] | None = None) -> Iterator[ImplCall]:
        """The one way hooks are called: plugin by plugin, each failure caught and named.

        These calls bypass pluggy's own hook tracing, so they are traced here.
        """
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if only is not None and impl.plugin_name not in only:
                continue  # ``only``: the plugins allowed to see this message (see hookspecs)
            args = {name: kwargs[name] for name in impl.argnames}
            if self.tracing:
                self._hooktrace.root.indent += 1
                self._hooktrace(hook_name, f"(plugin {impl.plugin_name})", args)
            try:
                call = ImplCall(impl.plugin_name, hook_name, result=impl.function(**args))
            except LedgerError:
                raise  # the run's database failed: not the plugin's fault, and fatal
            except Exception as exc:  # isolated: the caller reports it against the plugin
                call = ImplCall(impl.plugin_name, hook_name, error=exc)
            if self.tracing:
                outcome = (call.result if call.error is None
                           else f"raised {type(call.error).__name__}: {call.error}")
                self._hooktrace("finish", hook_name, f"(plugin {impl.plugin_name})", "-->",
                                outcome)
                self._hooktrace.root.indent -= 1
            yield call

    def handled_licence_schemes(self) -> frozenset[str]:
        return frozenset(s.upper() for scheme in self.schemes for s in scheme.licence_schemes)

    def output_formats(self) -> list[str]:
        names: list[str] = []
        for batch in self.hook.customs_output_formats():
            names.extend(batch or ())
        return sorted(set(names))

    def _refuse_wrappers(self) -> None:
        """Hooks are called plugin by plugin (:meth:`_calls`), so a pluggy wrapper would never
        wrap anything: refuse it at load, named, rather than half-handle it."""
        for caller in self._hookcallers():
            for impl in caller.get_hookimpls():
                if impl.wrapper or impl.hookwrapper:
                    raise PluginLoadError(
                        impl.plugin_name,
                        f"{caller.name} is a wrapper (wrapper=True or hookwrapper=True); "
                        "customs-engine calls each plugin on its own and supports no wrappers")

    def _hookcallers(self) -> list[pluggy.HookCaller]:
        return [getattr(self.pm.hook, name) for name in dir(self.pm.hook)
                if name.startswith("customs_")]

    def _check_shortfall_rules(self) -> None:
        """Each scheme's shortfall rules must be declared by its plugin with outcome ``reject``:
        the core reports them when a balance falls short, and must never fail mid-run."""
        for call in self.call_each("customs_schemes"):
            for scheme in call.result or ():
                for rule_id in scheme.shortfall_rules:
                    problem = self.shortfall_problem(rule_id)
                    if problem:
                        raise PluginLoadError(call.plugin, f"scheme {scheme.name!r}: {problem}")

    def shortfall_problem(self, rule_id: str) -> str | None:
        """Why ``rule_id`` cannot be reported as a balance shortfall, or ``None`` if it can."""
        rule = self.rules.get(rule_id)
        if rule is None:
            return f"shortfall rule {rule_id} is not declared by any plugin"
        if "reject" not in rule.outcomes:
            return (f"shortfall rule {rule_id} is not declared with the outcome 'reject' "
                    f"(declared: {', '.join(rule.outcomes)})")
        return None

    def _collect_rules(self) -> dict[str, Rule]:
        rules: dict[str, Rule] = {}
        owner: dict[str, str] = {}
        for call in self.call_each("customs_rules"):
            if call.error is not None:
                raise PluginLoadError(call.plugin,
                                      f"customs_rules failed: {call.error}") from call.error
            for rule in call.result or []:
                if rule.id in rules:
                    raise PluginLoadError(
                        call.plugin,
                        f"rule ID {rule.id} is already declared by plugin {owner[rule.id]!r}")
                rules[rule.id] = rule
                owner[rule.id] = call.plugin
        self.rule_owner = owner
        return dict(sorted(rules.items()))

    def _collect_schemes(self) -> list[Scheme]:
        schemes: list[Scheme] = []
        for call in self.call_each("customs_schemes"):
            if call.error is not None:
                raise PluginLoadError(call.plugin,
                                      f"customs_schemes failed: {call.error}") from call.error
            schemes.extend(call.result or ())
        return sorted(schemes, key=lambda s: s.name)


def _warn_unknown_blocked(names: Iterable[str]) -> None:
    """A misspelt name in the block list would leave the plugin running: say so."""
    for name in sorted(names):
        sys.stderr.write(f"customs: {BLOCK_ENV} names {name!r}, which is not an installed "
                         "plugin; nothing was blocked for it\n")


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    name = pm.get_name(plugin) if plugin is not None else None
    if name:
        return name
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return repr(plugin)
