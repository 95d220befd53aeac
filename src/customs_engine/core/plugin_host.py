"""Loading plugins: entry points, start-up validation, operator switches.

Fail closed: a plugin that cannot be imported (whatever it raises, ``SystemExit`` included),
implements an unknown hook (``optionalhook`` or not) or a hook as a pluggy wrapper, or names a
shortfall rule it does not declare with the outcome ``reject`` stops the run
(:class:`PluginLoadError`, exit code 3) — a missing scheme must never read as "clear". So does
anything that must have one owner and is declared by two plugins (:class:`PluginClashError`): a
plugin name (two installed distributions' entry points), a rule ID, a scheme, a licence scheme, a
format.

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

import inspect
import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, BinaryIO, TypeVar

import pluggy
from pydantic import BaseModel, ValidationError

from customs_engine.core import hookspecs
from customs_engine.core.check_context import Scheme
from customs_engine.core.formats import ResponseFormat, ResponseWriter, WireFormat
from customs_engine.core.ledger.run_state import LedgerError, improper
from customs_engine.core.response import AuthorisationClaim, Fee, Finding, Routing
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


class PluginClashError(PluginLoadError):
    """Two plugins (or two distributions) declare something only one may own: a rule ID, a
    scheme, a licence scheme, a format, a plugin name. Both are named and neither is blamed:
    which one is wrong is for the operator to say (exit code 3 all the same)."""

    def __init__(
        self,
        what: str,
        plugins: tuple[str, str],
        *,
        shown: tuple[str, str] | None = None,
        verb: str = "declared",
        advice: str = "",
    ):
        """``what`` is declared by both ``plugins`` (the one that came second last; shown in
        name order, or as ``shown`` when given: distributions rather than plugin names);
        ``advice`` ends the message."""
        first, second = shown if shown is not None else sorted(repr(name) for name in plugins)
        reason = f"{what} is {verb} by both {first} and {second}{advice}"
        Exception.__init__(self, f"plugin clash: {reason}")
        self.plugin = plugins[1]
        self.plugins = plugins
        self.reason = reason


class PluginWriterError(Exception):
    """A plugin's writer failed (``customs_response_writer``, a response format's writer, or a
    wire format's ``write``): the run cannot produce its output (exit code 3, naming it)."""

    def __init__(self, plugin: str, fmt: str, reason: str):
        super().__init__(f"plugin {plugin!r} failed writing {fmt}: {reason}")
        self.plugin = plugin
        self.format = fmt
        self.reason = reason


class BlockedEssentialError(Exception):
    """The block list names an essential plugin: a usage error (exit code 2)."""

    def __init__(self, names: Iterable[str]):
        self.names = tuple(sorted(names))
        super().__init__(
            f"{BLOCK_ENV} names {', '.join(repr(n) for n in self.names)}, which cannot be "
            "blocked: the core checks and the JSON writer are essential"
        )


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    module: str
    hooks: tuple[str, ...]


#: what a plugin's call lets through: the run being stopped (Ctrl-C, SIGTERM); anything else it
#: raises, ``SystemExit`` and ``GeneratorExit`` included, is the plugin's failure (a generator
#: being closed raises ``GeneratorExit`` at its own ``yield``, never out of a call made here)
STOPS_THE_RUN = (KeyboardInterrupt,)


@dataclass(frozen=True)
class ImplCall:
    """One plugin's answer to a hook called plugin by plugin: its result, or what it raised."""

    plugin: str
    hook: str
    result: Any = None
    error: BaseException | None = None


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
        self._builtin: dict[str, bool] = {}
        for name, plugin, version in plugins:
            self._register(name, plugin)
            self._refuse_unmarked(name, plugin)
            self._versions[name] = version
        self._refuse_unknown_hooks()
        self._refuse_wrappers()
        self.tracing = trace
        self._hooktrace = self.pm.trace.root.get("hook")
        if trace:
            self.pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self.pm.enable_tracing()
        self.schemes = self._collect_schemes()
        self.rules = self._collect_rules()
        self._check_shortfall_rules()
        self.wire_formats: dict[str, WireFormat] = {}
        self.response_formats: dict[str, ResponseFormat] = {}
        #: (``"wire"`` or ``"response"``, format name) → the plugin that registered it
        self.format_owner: dict[tuple[str, str], str] = {}
        self._collect_formats()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_entry_points(
        cls,
        *,
        blocked: Iterable[str] | None = None,
        trace: bool | None = None,
        extra: Iterable[tuple[str, object, str]] = (),
        only: Iterable[str] | None = None,
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
        seen: dict[str, metadata.EntryPoint] = {}
        entry_points = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
        if blocked is None:
            _warn_unknown_blocked(skip - {ep.name for ep in entry_points})
        chosen = [
            ep
            for ep in entry_points
            if ep.name not in skip and (wanted is None or ep.name in wanted)
        ]
        for ep in chosen:
            if ep.name in seen:
                _refuse_second_entry_point(seen[ep.name], ep)
                continue  # the same target seen twice: one plugin
            seen[ep.name] = ep
        for ep in seen.values():
            try:
                plugin = ep.load()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # any import-time failure (``sys.exit()`` too) must
                # stop the run, named: a scheme that exits while loading never reads as clear
                raise PluginLoadError(ep.name, describe_error(exc)) from exc
            version = ep.dist.version if ep.dist is not None else "unknown"
            loaded.append((ep.name, plugin, version))
        missing = sorted((wanted or frozenset()) - seen.keys() - skip)
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

    def settings_of(self, plugin: str) -> tuple[str, ...] | None:
        """The ``--config`` keys plugin ``plugin`` reads, as its schemes and wire formats say
        them (``None``: none of them says)."""
        said = [s.settings for name, s in self._scheme_plugins if name == plugin] + [
            fmt.settings
            for fmt in self.wire_formats.values()
            if self.format_owner.get(("wire", fmt.name)) == plugin
        ]
        if all(settings is None for settings in said):
            return None
        return tuple(sorted({key for settings in said if settings for key in settings}))

    def plugin_infos(self) -> list[PluginInfo]:
        infos = []
        for name in sorted(self._versions):
            plugin = self.pm.get_plugin(name)
            callers = self.pm.get_hookcallers(plugin) or []
            module = getattr(plugin, "__name__", type(plugin).__module__)
            infos.append(
                PluginInfo(
                    name=name,
                    version=self._versions[name],
                    module=module,
                    hooks=tuple(sorted(c.name for c in callers)),
                )
            )
        return infos

    def call_each(
        self,
        hook_name: str,
        *,
        only: Collection[str] | None = None,
        after: Callable[[ImplCall], ImplCall] | None = None,
        **kwargs: Any,
    ) -> list[ImplCall]:
        """Call a collected hook plugin by plugin, catching each failure.

        The order is pluggy's own: the plugin registered last is called first (entry points
        register in name order, ``extra`` plugins after them). One failing plugin is reported by
        name while the others still answer. ``after`` sees each plugin's answer before the next
        plugin is called, and may turn it into a failure (the engine's check that the plugin
        left the run's context as it was).
        """
        return list(self._calls(hook_name, kwargs, only, after))

    def call_first(
        self,
        hook_name: str,
        *,
        refuse: Callable[[Any], Exception | None] | None = None,
        after: Callable[[ImplCall], ImplCall] | None = None,
        **kwargs: Any,
    ) -> FirstResult:
        """Call a first-non-None hook plugin by plugin, in the same order as :meth:`call_each`.

        The first result that is not ``None`` wins. A plugin that raises does not stop the chain:
        its failure is kept (the caller reports it, fail closed) and the next plugin is asked.
        So does one whose answer ``refuse`` refuses (the error it gives is kept as the plugin's
        failure): an answer out of contract is not an answer. ``after``: as for
        :meth:`call_each`.
        """
        failures: list[ImplCall] = []
        for call in self._calls(hook_name, kwargs, None, after):
            if call.error is not None:
                failures.append(call)
            elif call.result is not None:
                wrong = refuse(call.result) if refuse is not None else None
                if wrong is None:
                    return FirstResult(call.result, call.plugin, tuple(failures))
                failures.append(ImplCall(call.plugin, call.hook, error=wrong))
        return FirstResult(failures=tuple(failures))

    def _calls(
        self,
        hook_name: str,
        kwargs: dict[str, Any],
        only: Collection[str] | None = None,
        after: Callable[[ImplCall], ImplCall] | None = None,
    ) -> Iterator[ImplCall]:
        """The one way hooks are called: plugin by plugin, each failure caught and named."""
        for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls()):
            if only is not None and impl.plugin_name not in only:
                continue  # ``only``: the plugins allowed to see this message (see hookspecs)
            args = {name: kwargs[name] for name in impl.argnames}
            call = self.invoke(hook_name, impl.plugin_name, impl.function, args)
            yield call if after is None else after(call)

    def invoke(self, hook_name: str, plugin: str, function: Any, args: dict[str, Any]) -> ImplCall:
        """Call one plugin's function, traced, with its failure caught (a lost ledger database
        is not the plugin's fault and is raised). Format records are called through it too.

        These calls bypass pluggy's own hook tracing, so they are traced here. ``args`` are
        passed by position, in their order: a hook implementation's own argument names (as
        pluggy passes them), a format record's callables in their documented order
        (``detect(head, name)``, ``read(data, source, config)``, ``writer(stream)``) whatever
        the plugin named its parameters.
        """
        if self.tracing:
            self._hooktrace.root.indent += 1
            self._hooktrace(hook_name, f"(plugin {plugin})", args)
        try:
            call = ImplCall(plugin, hook_name, result=function(*args.values()))
        except (LedgerError, *STOPS_THE_RUN):
            raise  # the run's database failed, or the run is stopped: not the plugin's doing
        except BaseException as exc:  # isolated (a SystemExit too: a plugin cannot end the run
            # or end it "clear"): the caller reports it against the plugin
            call = ImplCall(plugin, hook_name, error=exc)
        if self.tracing:
            outcome = (
                call.result
                if call.error is None
                else f"raised {type(call.error).__name__}: {call.error}"
            )
            self._hooktrace("finish", hook_name, f"(plugin {plugin})", "-->", outcome)
            self._hooktrace.root.indent -= 1
        return call

    # -- formats -----------------------------------------------------------------------------

    def detect_format(self, head: bytes, name: str) -> FirstResult:
        """The wire format of a file: the registered formats in name order, then plugins that
        still answer the older ``customs_detect_format`` hook. Failures are kept, not raised.

        Content decides before names: every format is first asked about the bytes alone (an
        empty name), and only when none recognises them, with the file's name too. So an ICES
        flat file or an SCMTR document that happens to be called ``*.xml`` is still read as
        what it is."""
        failures: list[ImplCall] = []
        for by_name in ("", name) if name else ("",):
            for fmt in self.wire_formats.values():
                call = self.invoke(
                    f"{fmt.name}.detect",
                    self.format_owner["wire", fmt.name],
                    fmt.detect,
                    {"head": head, "name": by_name},
                )
                if call.error is not None:
                    # a detector failing on both passes is reported once
                    if all((f.plugin, f.hook) != (call.plugin, call.hook) for f in failures):
                        failures.append(call)
                elif call.result:
                    return FirstResult(fmt.name, call.plugin, tuple(failures))
        legacy = self.call_first("customs_detect_format", head=head, name=name)
        return FirstResult(legacy.result, legacy.plugin, (*failures, *legacy.failures))

    def read_format(
        self, fmt: str, data: bytes, source: str, config: Mapping[str, Mapping[str, Any]]
    ) -> FirstResult:
        """Every message of a file of format ``fmt`` (``result`` ``None``: nobody read it)."""
        record = self.wire_formats.get(fmt)
        if record is None:
            return self.call_first(
                "customs_parse", format=fmt, data=data, source=source, config=config
            )
        call = self.invoke(
            f"{fmt}.read",
            self.format_owner["wire", fmt],
            record.read,
            {"data": data, "source": source, "config": config},
        )
        if call.error is not None:
            return FirstResult(failures=(call,))
        return FirstResult(call.result, call.plugin)

    def convert_targets(self) -> dict[str, WireFormat]:
        """The wire formats ``customs convert --to`` can write, by the name it knows them by."""
        return {fmt.target: fmt for fmt in self.wire_formats.values() if fmt.write is not None}

    def format_titles(self) -> list[str]:
        return [fmt.title for fmt in self.wire_formats.values()]

    def write_messages(self, messages: Sequence[Any], target: str) -> bytes | None:
        """``messages`` as one document of wire format ``target`` (``None``: no plugin writes
        it). A ``ValueError`` is the writer refusing a message it cannot hold and is raised as
        it is; any other failure, or an answer that is not bytes, is the plugin's
        (:class:`PluginWriterError`). ``convert`` has no response to put them in."""
        record = self.convert_targets().get(target)
        if record is not None and record.write is not None:
            calls: Iterable[ImplCall] = [
                self.invoke(
                    f"{record.name}.write",
                    self.format_owner["wire", record.name],
                    record.write,
                    {"messages": messages},
                )
            ]
        else:
            calls = self._calls("customs_write_messages", {"messages": messages, "format": target})
        for call in calls:
            if isinstance(call.error, ValueError):
                raise call.error
            if call.error is not None:
                raise PluginWriterError(
                    call.plugin, target, describe_error(call.error)
                ) from call.error
            # a record's write must answer; the older hook's None means "not my format"
            if call.result is not None or record is not None:
                if not isinstance(call.result, bytes | bytearray):
                    raise PluginWriterError(
                        call.plugin, target, f"returned {_shown(call.result)}, not bytes"
                    )
                return bytes(call.result)
        return None

    def response_writer(self, fmt: str, stream: BinaryIO) -> ResponseWriter | None:
        """The plugin's writer of response format ``fmt`` on ``stream`` (``None``: no plugin
        lists the format). A writer factory or ``customs_response_writer`` that raises or
        answers something without ``write`` and ``close``, and a format listed by
        ``customs_output_formats`` that no plugin returns a writer for, raise
        :class:`PluginWriterError` naming the plugin."""
        found = self._response_writer(fmt, stream, ())
        return None if found is None else found[1]

    def named_response_writer(
        self, fmt: str, stream: BinaryIO, *, keep: tuple[type[Exception], ...] = ()
    ) -> ResponseWriter | None:
        """As :meth:`response_writer`, and the writer's own ``write`` and ``close`` failures
        become :class:`PluginWriterError` naming the plugin and the format too (what a run
        writes through). Exceptions of the ``keep`` types (the output stream's own failures,
        which are not the plugin's) pass unchanged."""
        found = self._response_writer(fmt, stream, keep)
        return None if found is None else _NamedWriter(found[1], found[0], fmt, keep)

    def _response_writer(
        self, fmt: str, stream: BinaryIO, keep: tuple[type[Exception], ...]
    ) -> tuple[str, ResponseWriter] | None:
        """(plugin, writer) of response format ``fmt``; see :meth:`response_writer`."""
        record = self.response_formats.get(fmt)
        if record is not None:
            call = self.invoke(
                f"{fmt}.writer",
                self.format_owner["response", fmt],
                record.writer,
                {"stream": stream},
            )
            if call.error is not None:
                _raise_kept(call.error, keep)
                raise PluginWriterError(
                    call.plugin, fmt, f"writer failed: {describe_error(call.error)}"
                ) from call.error
            plugin, writer, hook = call.plugin, call.result, "its writer"
        else:
            owner = self.format_owner.get(("response", fmt))
            if owner is None:
                return None
            answer = self.call_first("customs_response_writer", format=fmt, stream=stream)
            for failure in answer.failures:
                assert failure.error is not None
                _raise_kept(failure.error, keep)
                raise PluginWriterError(
                    failure.plugin,
                    fmt,
                    f"customs_response_writer failed: {describe_error(failure.error)}",
                ) from failure.error
            if answer.plugin is None:
                raise PluginWriterError(
                    owner,
                    fmt,
                    "it lists the format in customs_output_formats, but no plugin's "
                    "customs_response_writer returned a writer for it",
                )
            plugin, writer, hook = answer.plugin, answer.result, "customs_response_writer"
        if not all(callable(getattr(writer, name, None)) for name in ("write", "close")):
            raise PluginWriterError(
                plugin, fmt, f"{hook} returned {_shown(writer)}, not a writer (write and close)"
            )
        return plugin, writer

    def handled_licence_schemes(self) -> frozenset[str]:
        return frozenset(s.upper() for scheme in self.schemes for s in scheme.licence_schemes)

    def output_formats(self) -> list[str]:
        """Every response format ``validate --format`` accepts."""
        return sorted(self.response_formats) + self._legacy_output_formats

    def _collect_formats(self) -> None:
        """Format records of every plugin; a name registered twice stops the run, naming both
        plugins (a duplicate would silently shadow the other plugin's format)."""
        for hook_name, table in (
            ("customs_wire_formats", self.wire_formats),
            ("customs_response_formats", self.response_formats),
        ):
            expected: type[WireFormat | ResponseFormat] = (
                WireFormat if table is self.wire_formats else ResponseFormat
            )
            records: list[tuple[str, Any]] = []
            for call in self.call_each(hook_name):
                for record in _records(call, expected):
                    problem = _record_problem(record)
                    if problem is not None:
                        raise PluginLoadError(
                            call.plugin, f"{hook_name} returned a {expected.__name__} {problem}"
                        )
                    records.append((call.plugin, record))
            for plugin, record in sorted(records, key=lambda pair: pair[1].name):
                self._register_format(table, plugin, record)
        legacy: list[str] = []
        for call in self.call_each("customs_output_formats"):
            for name in _records(call, str):
                if not name.strip():
                    raise PluginLoadError(
                        call.plugin, "customs_output_formats returned an empty format name"
                    )
                if ("response", name) in self.format_owner:
                    raise PluginClashError(
                        f"response format {name!r}",
                        (self.format_owner["response", name], call.plugin),
                        verb="registered",
                    )
                legacy.append(name)
                self.format_owner["response", name] = call.plugin
        self._legacy_output_formats = sorted(legacy)

    def _register_format(self, table: dict[str, Any], plugin: str, record: Any) -> None:
        kind = "wire" if isinstance(record, WireFormat) else "response"
        expected = WireFormat if kind == "wire" else ResponseFormat
        if not isinstance(record, expected):
            raise PluginLoadError(
                plugin, f"returned {type(record).__name__}, not a {expected.__name__}"
            )
        if (kind, record.name) in self.format_owner:
            raise PluginClashError(
                f"{kind} format {record.name!r}",
                (self.format_owner[kind, record.name], plugin),
                verb="registered",
            )
        if isinstance(record, WireFormat) and record.write is not None:
            clash = next(
                (
                    f
                    for f in self.wire_formats.values()
                    if f.write is not None and f.target == record.target
                ),
                None,
            )
            if clash is not None:
                owner = self.format_owner["wire", clash.name]
                raise PluginClashError(
                    f"convert target {record.target!r}",
                    (owner, plugin),
                    shown=(
                        f"{owner!r} (format {clash.name!r})",
                        f"{plugin!r} (format {record.name!r})",
                    ),
                    verb="written",
                )
        table[record.name] = record
        self.format_owner[kind, record.name] = plugin

    def _register(self, name: str, plugin: object) -> None:
        """Register one plugin: one that cannot be (a name or object registered twice, a hook
        with an argument the hook does not have, anything else pluggy meets reading it —
        ``SystemExit`` too) stops the run, named."""
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(name, str(exc)) from exc
        except ValueError as exc:  # pluggy: this name or object is registered already
            names = self.pm.list_name_plugin()
            again = next((other for other, obj in names if obj is plugin), None)
            reason = (
                f"it is the same module or object as plugin {again!r}: one plugin cannot load "
                "under two names"
                if again is not None and again != name
                else describe_error(exc)
            )
            raise PluginLoadError(name, reason) from exc
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            raise PluginLoadError(name, f"cannot be registered: {describe_error(exc)}") from exc

    def _refuse_unknown_hooks(self) -> None:
        """A hook implementation whose name no hook has would never be called: a typo, or a hook
        of another version of customs-engine. Refused named, ``optionalhook=True`` or not (pluggy's
        own ``check_pending`` lets an optional one through in silence)."""
        for name, caller in sorted(vars(self.pm.hook).items()):
            if name.startswith("_") or not isinstance(caller, pluggy.HookCaller):
                continue
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                raise PluginLoadError(
                    impl.plugin_name,
                    f"implements {name}, which is no hook of customs-engine (a typo, or a hook "
                    "of another version; optionalhook=True does not make it one)",
                )

    def _refuse_unmarked(self, name: str, plugin: object) -> None:
        """A function or method named ``customs_…`` that is not marked ``@hookimpl`` would never
        be called (pluggy only registers marked ones): a forgotten decorator, or a misspelt hook
        name without one, must stop the run, named, not leave the scheme unchecked in silence.
        Only functions and methods count (a module imported as ``customs_engine`` is no hook)."""
        for attribute in dir(plugin):
            if not attribute.startswith("customs_"):
                continue
            try:
                value = getattr(plugin, attribute)
            except KeyboardInterrupt:
                raise
            except BaseException:  # a property that raises (SystemExit too): no function
                continue
            if not inspect.isroutine(value):
                continue
            if self.pm.parse_hookimpl_opts(plugin, attribute) is not None:
                continue
            caller = getattr(self.pm.hook, attribute, None)
            known = caller is not None and caller.spec is not None
            raise PluginLoadError(
                name,
                f"{attribute} is not marked @hookimpl"
                + ("" if known else ", and no hook has that name")
                + ": customs-engine would never call it (decorate it with @hookimpl from "
                "customs_engine, or rename it)",
            )

    def _refuse_wrappers(self) -> None:
        """Hooks are called plugin by plugin (:meth:`_calls`), so a pluggy wrapper would never
        wrap anything: refuse it at load, named, rather than half-handle it."""
        for caller in self._hookcallers():
            for impl in caller.get_hookimpls():
                if impl.wrapper or impl.hookwrapper:
                    raise PluginLoadError(
                        impl.plugin_name,
                        f"{caller.name} is a wrapper (wrapper=True or hookwrapper=True); "
                        "customs-engine calls each plugin on its own and supports no wrappers",
                    )

    def _hookcallers(self) -> list[pluggy.HookCaller]:
        return [
            getattr(self.pm.hook, name) for name in dir(self.pm.hook) if name.startswith("customs_")
        ]

    def _check_shortfall_rules(self) -> None:
        """Each scheme's shortfall rules must be declared by its plugin with outcome ``reject``:
        the core reports them when a balance falls short, and must never fail mid-run."""
        for plugin, scheme in self._scheme_plugins:
            for rule_id in scheme.shortfall_rules:
                problem = self.shortfall_problem(rule_id)
                if problem:
                    raise PluginLoadError(plugin, f"scheme {scheme.name!r}: {problem}")

    def claim_problem(self, plugin: str, claim: AuthorisationClaim) -> str | None:
        """Why ``plugin`` may not file ``claim`` (``None``: it may): its shortfall rule must be
        reportable and the plugin's own, it must be a debit (nothing negative, not nothing at
        all), and a licence scheme another plugin's scheme handles is that plugin's to debit;
        and every field must be what the model says (however the claim was built:
        :func:`answer_problem`)."""
        problem = (
            None if self.is_builtin(plugin) else answer_problem(claim)
        ) or self.shortfall_problem(claim.shortfall_rule)
        if problem is not None:
            return problem
        not_a_debit = improper(claim.quantity, claim.value_inr)
        if not_a_debit is not None:  # not a balance falling short: the plugin's own fault
            return (
                f"its claim on {claim.scheme} licence {claim.number} is not a debit: {not_a_debit}"
            )
        owner = self.rule_owner.get(claim.shortfall_rule)
        if owner != plugin:
            return (
                f"its claim names shortfall rule {claim.shortfall_rule}, which plugin "
                f"{owner!r} declares"
            )
        handler = self._licence_handlers.get(claim.scheme.upper())
        if handler is not None and handler != plugin:
            return (
                f"its claim debits {claim.scheme} licence {claim.number}, which plugin "
                f"{handler!r} handles"
            )
        return None

    def shortfall_problem(self, rule_id: str) -> str | None:
        """Why ``rule_id`` cannot be reported as a balance shortfall, or ``None`` if it can."""
        rule = self.rules.get(rule_id)
        if rule is None:
            return f"shortfall rule {rule_id} is not declared by any plugin"
        if "reject" not in rule.outcomes:
            return (
                f"shortfall rule {rule_id} is not declared with the outcome 'reject' "
                f"(declared: {', '.join(rule.outcomes)})"
            )
        return None

    def _collect_rules(self) -> dict[str, Rule]:
        """Every plugin's rules. A rule ID declared by two plugins stops the run naming both
        (:class:`PluginClashError`): the built-in plugins first, then the others in registration
        order (entry points by name, ``extra`` plugins after them); one a plugin declares twice
        names that plugin."""
        rules: dict[str, Rule] = {}
        owner: dict[str, str] = {}
        # call_each asks the plugin registered last first: reversed, registration order
        calls = list(reversed(self.call_each("customs_rules")))
        calls.sort(key=lambda call: not self.is_builtin(call.plugin))
        schemes = {scheme.name: plugin for plugin, scheme in self._scheme_plugins}
        for call in calls:
            for rule in _records(call, Rule):
                invalid = record_problem(rule)  # before its ID is used: it may be no str
                if invalid is not None:
                    raise PluginLoadError(call.plugin, f"customs_rules returned {invalid}")
                if rule.id in rules:
                    if owner[rule.id] == call.plugin:
                        raise PluginLoadError(call.plugin, f"rule ID {rule.id} is declared twice")
                    raise PluginClashError(f"rule ID {rule.id}", (owner[rule.id], call.plugin))
                problem = _declaration_problem(rule, call.plugin, schemes)
                if problem is not None:
                    raise PluginLoadError(call.plugin, f"rule {rule.id} {problem}")
                rules[rule.id] = rule
                owner[rule.id] = call.plugin
        self.rule_owner = owner
        return dict(sorted(rules.items()))

    def _collect_schemes(self) -> list[Scheme]:
        #: (plugin, scheme) for each declared scheme, for the start-up checks
        self._scheme_plugins: list[tuple[str, Scheme]] = [
            (call.plugin, scheme)
            for call in self.call_each("customs_schemes")
            for scheme in _records(call, Scheme)
        ]
        for plugin, scheme in self._scheme_plugins:
            invalid = record_problem(scheme)
            if invalid is not None:
                raise PluginLoadError(plugin, f"customs_schemes returned {invalid}")
        # a scheme's findings, and a licence scheme's balance, are one plugin's: two plugins
        # declaring one would report (or debit) it twice, or each for the other
        schemes: dict[str, str] = {}
        #: licence scheme (upper case) → the plugin whose schemes handle it (claim_problem)
        self._licence_handlers: dict[str, str] = {}
        for name, scheme in self._scheme_plugins:
            _claim(schemes, scheme.name, name, f"scheme {scheme.name!r}")
            for licence in scheme.licence_schemes:
                key = licence.upper()
                _claim(self._licence_handlers, key, name, f"licence scheme {key!r}")
        return sorted((scheme for _, scheme in self._scheme_plugins), key=lambda s: s.name)

    def is_builtin(self, name: str) -> bool:
        """Whether plugin ``name`` is one of customs-engine's own (its code is in the package):
        its answers are built by the models' own validation, tested with the package, so they
        are not validated a second time (:func:`answer_problem` is for third-party plugins)."""
        known = self._builtin.get(name)
        if known is None:
            known = self._builtin[name] = self._is_builtin(name)
        return known

    def _is_builtin(self, name: str) -> bool:
        plugin = self.pm.get_plugin(name)
        module = getattr(plugin, "__name__", None)
        if not isinstance(module, str):
            module = type(plugin).__module__
        return module.startswith("customs_engine.")


#: what a plugin answers per message, checked field by field however it was built
_ANSWERS: tuple[type[BaseModel], ...] = (Finding, Fee, AuthorisationClaim, Routing)


def record_problem(record: BaseModel) -> str | None:
    """Why ``record`` is not what its model allows (``None``: it is), whoever built it:
    ``model_construct`` skips the model's own checks, so its fields are validated again, in
    strict mode (a field of the wrong type is refused, not converted). Cheap: one pass of the
    model's compiled validator over the object's own fields, no copy of the plugin's object."""
    model = type(record)
    fields = record.__dict__
    if model not in _ANSWERS:  # a subclass: its base model's fields, checked as the base's
        model = next((base for base in _ANSWERS if isinstance(record, base)), model)
        fields = {name: value for name, value in fields.items() if name in model.model_fields}
    try:
        model.model_validate(fields, strict=True)
    except ValidationError as exc:
        return f"an {describe_error(exc)}"
    return None


def answer_problem(record: BaseModel) -> str | None:
    """:func:`record_problem`, as the reason a plugin's answer (a finding, fee, claim or
    routing) is refused: ``its answer is an invalid Finding: item: …``."""
    problem = record_problem(record)
    return None if problem is None else f"its answer is {problem}"


def _declaration_problem(rule: Rule, plugin: str, schemes: Mapping[str, str]) -> str | None:
    """What makes a rule's declaration unusable, whoever built it (``model_construct`` skips
    the model's own checks; :func:`record_problem` has checked its fields already): no legal
    reference, no scheme, no title, a period ending before it starts, or a scheme another
    plugin declares as its own (its findings would be that plugin's)."""
    if not isinstance(rule.reference, str) or not rule.reference.strip():
        return "has no legal reference"
    if not isinstance(rule.scheme, str) or not rule.scheme.strip():
        return "names no scheme"
    if not isinstance(rule.title, str) or not rule.title.strip():
        return "has no title"
    start, end = rule.effective_from, rule.effective_until
    if start is not None and end is not None and end < start:
        return f"is in force from {start} until {end}: its period ends before it starts"
    owner = schemes.get(rule.scheme)
    if owner is not None and owner != plugin:
        return f"is declared under scheme {rule.scheme!r}, which plugin {owner!r} declares"
    return None


Record = TypeVar("Record")


def _records(call: ImplCall, expected: type[Record]) -> list[Record]:
    """A start-up hook's answer as a list of ``expected`` records. A hook that raised, or that
    answered anything but ``None`` or a list (or tuple) of them, stops the run naming the plugin,
    the hook and what it returned — as any load failure does (exit code 3)."""
    if call.error is not None:
        raise PluginLoadError(
            call.plugin, f"{call.hook} failed: {describe_error(call.error)}"
        ) from call.error
    if call.result is None:
        return []
    if not isinstance(call.result, list | tuple):
        raise PluginLoadError(
            call.plugin,
            f"{call.hook} returned {_shown(call.result)}, not a list of {expected.__name__}",
        )
    wrong = [part for part in call.result if not isinstance(part, expected)]
    if wrong:
        raise PluginLoadError(
            call.plugin,
            f"{call.hook} returned a list holding {_shown(wrong[0])}, not only {expected.__name__}",
        )
    return list(call.result)


def _record_problem(record: WireFormat | ResponseFormat) -> str | None:
    """What is wrong with a format record's fields (records are plain dataclasses, unchecked
    when built), or ``None``."""
    if not isinstance(record.name, str) or not record.name.strip():
        return f"whose name is {_shown(record.name)}, not a non-empty str"
    if not isinstance(record.title, str):
        return f"{record.name!r} whose title is {_shown(record.title)}, not a str"
    if isinstance(record, WireFormat):
        callables = {"detect": record.detect, "read": record.read}
        if record.write is not None:
            callables["write"] = record.write
        if record.convert_name is not None and not isinstance(record.convert_name, str):
            return f"{record.name!r} whose convert_name is {_shown(record.convert_name)}, not a str"
        if record.settings is not None and not (
            isinstance(record.settings, tuple)
            and all(isinstance(key, str) for key in record.settings)
        ):
            return (
                f"{record.name!r} whose settings is {_shown(record.settings)}, not a tuple of str"
            )
    else:
        callables = {"writer": record.writer}
    for field, value in callables.items():
        if not callable(value):
            return f"{record.name!r} whose {field} is {_shown(value)}, not callable"
    return None


class _NamedWriter:
    """A plugin's response writer whose failures name the plugin and the format
    (:class:`PluginWriterError`); ``close`` reaches the plugin once."""

    def __init__(
        self, writer: ResponseWriter, plugin: str, fmt: str, keep: tuple[type[Exception], ...]
    ):
        self.writer, self.plugin, self.format, self.keep = writer, plugin, fmt, keep
        self.closed = False

    def write(self, response: Any) -> None:
        self._named("write", self.writer.write, response)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._named("close", self.writer.close)

    def _named(self, what: str, call: Callable[..., None], *args: Any) -> None:
        try:
            call(*args)
        except STOPS_THE_RUN:
            raise
        except self.keep:
            raise
        except BaseException as exc:  # the plugin's failure (a SystemExit too): named
            raise PluginWriterError(
                self.plugin, self.format, f"{what} failed: {describe_error(exc)}"
            ) from exc


def _raise_kept(error: BaseException, keep: tuple[type[Exception], ...]) -> None:
    if isinstance(error, keep):
        raise error


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong, for an operator: a validation error as the model, the
    field and the message (not pydantic's several lines and documentation link); any other
    exception as its type and the first line of its message."""
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False)
        if errors:
            first = errors[0]
            field = ".".join(str(part) for part in first["loc"]) or "value"
            message = first["msg"].removeprefix("Value error, ")
            given = first.get("input")
            if first["type"] not in ("missing", "value_error") and not isinstance(given, dict):
                shown = repr(given)
                message += f" (got {shown[:60]}{'…' if len(shown) > 60 else ''})"
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return f"invalid {exc.title}: {field}: {message}{more}"
    lines = str(exc).strip().splitlines()
    text = f"{lines[0]}{' …' if len(lines) > 1 else ''}" if lines else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _shown(value: Any) -> str:
    """A value as a message shows it: its type and the start of its ``repr``."""
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _warn_unknown_blocked(names: Iterable[str]) -> None:
    """A misspelt name in the block list would leave the plugin running: say so."""
    for name in sorted(names):
        sys.stderr.write(
            f"customs: {BLOCK_ENV} names {name!r}, which is not an installed "
            "plugin; nothing was blocked for it\n"
        )


def _claim(owners: dict[str, str], key: str, plugin: str, what: str) -> None:
    """``plugin`` takes ``key``; one another plugin took already is a clash naming both."""
    owner = owners.setdefault(key, plugin)
    if owner != plugin:
        raise PluginClashError(what, (owner, plugin))


def _refuse_second_entry_point(first: metadata.EntryPoint, second: metadata.EntryPoint) -> None:
    """Two entry points under one plugin name: the same target (one distribution seen twice,
    one module listed by two distributions) is one plugin; two targets are a clash naming both
    distributions — neither may silently shadow the other (a scheme that is not running never
    reads as clear)."""
    if first.value == second.value:
        return
    raise PluginClashError(
        f"plugin name {first.name!r} (a customs_engine entry point)",
        (first.name, second.name),
        shown=(_distribution(first), _distribution(second)),
        advice=": only one can run under it; uninstall the one that should not",
    )


def _distribution(ep: metadata.EntryPoint) -> str:
    """An entry point as an operator finds it: its distribution, version and module."""
    dist = ep.dist
    named = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
    return f"{named} ({ep.value})"
