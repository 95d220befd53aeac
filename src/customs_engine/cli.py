"""The ``customs`` command line.

Exit codes of ``validate``: 0 every message accepted; 1 at least one message not accepted;
2 usage error, unreadable path or output that cannot be written; 3 a plugin failed to load;
4 a worker process died (``-j``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, cast, get_args

import click

from customs_engine import __version__
from customs_engine.cli_options import commit_option, config_option, db_option
from customs_engine.core.batch.archives import archive_kind
from customs_engine.core.batch.inputs import (
    InputError,
    Limits,
    check_paths,
    count_files,
    iter_inputs,
    read_bounded,
)
from customs_engine.core.batch.progress import Progress, progress_wanted
from customs_engine.core.batch.runner import IN_HAND, STOP, RunError, run
from customs_engine.core.check_context import CheckContext
from customs_engine.core.dates import parse_iso_date
from customs_engine.core.engine import Engine
from customs_engine.core.formats import ParsedMessage
from customs_engine.core.ledger.run_state import LedgerError, RunState
from customs_engine.core.plugin_host import (
    BlockedEssentialError,
    PluginHost,
    PluginLoadError,
    PluginWriterError,
)
from customs_engine.core.registry.records import MemoryRegistry
from customs_engine.core.registry.urls import resolve_url, sqlite_path
from customs_engine.core.response import Outcome
from customs_engine.launch import EXIT_INTERRUPTED
from customs_engine.registry_cli import open_registry, registry
from customs_engine.service.commands import serve, tokens, watch

EXIT_ACCEPTED, EXIT_NOT_ACCEPTED, EXIT_USAGE, EXIT_PLUGIN, EXIT_WORKER = 0, 1, 2, 3, 4
#: ``--config`` files are small tables; anything larger is not one
MAX_CONFIG_BYTES = 1024 * 1024
#: the first bytes of a file that tell an archive (a tar header's magic is at 257)
ARCHIVE_HEAD = 512
#: ``-j`` above this many processes per core is capped (more only adds memory and switching)
JOBS_PER_CORE = 4


def load_host() -> PluginHost:
    """Load every plugin, or stop with exit code 3 naming the one that failed (exit code 2 when
    the block list names an essential plugin)."""
    try:
        return PluginHost.from_entry_points()
    except BlockedEssentialError as exc:
        click.echo(f"customs: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except PluginLoadError as exc:
        click.echo(f"customs: {exc}", err=True)
        click.echo("customs: stopping — a missing scheme must never read as clear", err=True)
        sys.exit(EXIT_PLUGIN)


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def load_config(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        raw = read_bounded(path, MAX_CONFIG_BYTES)
        if len(raw) > MAX_CONFIG_BYTES:
            raise click.BadParameter(
                f"{path} is larger than {MAX_CONFIG_BYTES} bytes: not a configuration file",
                param_hint="--config",
            )
        data = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path}: {exc.strerror or exc}", param_hint="--config"
        ) from exc
    except UnicodeDecodeError as exc:
        raise click.BadParameter(f"{path} is not UTF-8 text: {exc}", param_hint="--config") from exc
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path} is not valid TOML: {exc}", param_hint="--config") from exc
    bad = [key for key, value in data.items() if not isinstance(value, dict)]
    if bad:
        raise click.BadParameter(
            f"{path}: expected one table per plugin, found keys {bad}", param_hint="--config"
        )
    return data


def warn_unknown_tables(config: dict[str, Any], host: PluginHost) -> None:
    """A ``--config`` table that names no loaded plugin is a typo or a plugin not installed, and
    a key that is no setting of a plugin that says its settings is a typo: either would be
    ignored in silence, so say so (the run goes on)."""
    loaded = host.versions()
    for table in sorted(set(config) - set(loaded)):
        click.echo(
            f"customs: --config table [{table}] names no loaded plugin, its settings are "
            f"ignored (loaded: {', '.join(sorted(loaded))})",
            err=True,
        )
    for table in sorted(set(config) & set(loaded)):
        known = host.settings_of(table)
        values = config[table]
        if known is None or not isinstance(values, dict):
            continue
        for key in sorted(set(values) - set(known)):
            click.echo(
                f"customs: --config [{table}] {key} is no setting of plugin {table!r}, it is "
                f"ignored (its settings: {', '.join(known) or 'none'})",
                err=True,
            )


class OutputError(Exception):
    """The output cannot be written (a full disk, a closed or broken standard output)."""


class _GuardedOutput:
    """The output stream; a failed write or flush becomes an :class:`OutputError`."""

    def __init__(self, stream: BinaryIO, name: str):
        self.stream, self.name = stream, name

    def _failed(self, exc: OSError) -> OutputError:
        return OutputError(f"cannot write {self.name}: {exc.strerror or exc}")

    def write(self, data: bytes) -> int:
        try:
            return self.stream.write(data)
        except OSError as exc:
            raise self._failed(exc) from exc

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise self._failed(exc) from exc


def check_output(
    output: str | None,
    paths: tuple[str, ...],
    *others: str | None,
    written: str = "the responses",
) -> None:
    """Refuse an ``-o`` that would overwrite what the run reads, before anything is written:
    an input file, a file inside an input directory (the walk would read it back), the
    ``--config`` file or the registry database file (``written``: what ``-o`` receives)."""
    if output is None or output == "-":
        return
    target = Path(output)
    for raw in (*paths, *others):
        if raw is None or raw == "-":
            continue
        source = Path(raw)
        if _same_file(target, source) or (source.is_dir() and _inside(target, source)):
            raise click.UsageError(
                f"--output {output} would overwrite the input {raw}: write {written} elsewhere"
            )


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:  # one does not exist yet: compare where they would be
        return one.resolve() == other.resolve()


def _inside(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


@contextmanager
def output_stream(path: str | None) -> Iterator[BinaryIO]:
    """The output, guarded: write errors raise :class:`OutputError`, also at the final flush."""
    if path is None or path == "-":
        if sys.stdout is None:
            raise OutputError("standard output is closed")
        guarded = _GuardedOutput(sys.stdout.buffer, "standard output")
        yield cast(BinaryIO, guarded)  # writes and flushes like the stream it wraps
        sys.stdout.flush()
        guarded.flush()
        return
    try:
        handle = open(path, "wb")  # noqa: SIM115 - closed below; the open error is a usage error
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {path}: {exc.strerror}", param_hint="--output"
        ) from exc
    guarded = _GuardedOutput(handle, path)
    try:
        yield cast(BinaryIO, guarded)
        guarded.flush()
    finally:
        try:
            handle.close()
        except OSError as exc:
            raise guarded._failed(exc) from exc


def output_failed(exc: OutputError) -> NoReturn:
    """Exit 2 naming the output error. Standard output is pointed at /dev/null first, so the
    interpreter's own last flush at exit cannot fail again with a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    except OSError:
        pass
    click.echo(f"customs: {exc}; the output is incomplete", err=True)
    sys.exit(EXIT_USAGE)


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM or SIGINT: stop the run. Between a message's commit and its response being
    written (:data:`IN_HAND`) only the flag is set; the run stops right after that response."""
    STOP.set()
    if not IN_HAND.is_set():
        raise KeyboardInterrupt


def capped_jobs(jobs: int) -> int:
    """``jobs``, at most :data:`JOBS_PER_CORE` per usable core (said on standard error)."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
    cap = JOBS_PER_CORE * cores
    if jobs > cap:
        click.echo(
            f"customs: -j {jobs} capped at {cap} ({JOBS_PER_CORE} per core, {cores} "
            f"core{'s' if cores != 1 else ''})",
            err=True,
        )
        return cap
    return jobs


class LoadedFormats(click.Option):
    """An option whose help lists the formats the loaded plugins provide (``kind``: the
    response formats of ``validate``, or the wire formats ``convert`` writes)."""

    def __init__(self, *args: Any, kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        try:
            host = PluginHost.from_entry_points()
        except (PluginLoadError, BlockedEssentialError):
            return record
        names = host.output_formats() if self.kind == "response" else sorted(host.convert_targets())
        return record[0], f"{record[1]} One of: {', '.join(names)}."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="customs-engine")
def main() -> None:
    """Check Indian import customs messages (IGM, Bill of Entry) before they are filed."""


@main.command()
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    default="text",
    show_default=True,
    cls=LoadedFormats,
    kind="response",
    help="Response format, as the loaded plugins provide.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@db_option
@commit_option
@click.option(
    "--as-of",
    callback=_as_of,
    metavar="YYYY-MM-DD",
    help="Apply the rules in force on this date to every message.",
)
@config_option()
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes for parsing and stateless checks.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress on stderr (default: on when stderr is a terminal).",
)
def validate(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    db: str | None,
    commit: bool,
    as_of: date | None,
    config_path: str | None,
    jobs: int,
    progress: bool | None,
) -> None:
    """Validate messages and write one customs response per message."""
    check_output(output, paths, config_path, sqlite_path(resolve_url(db)))
    config = load_config(config_path)
    jobs = capped_jobs(jobs)
    try:
        check_paths(paths)
        limits = Limits.from_env()
    except InputError as exc:
        raise click.UsageError(str(exc)) from exc
    host = load_host()
    if fmt not in host.output_formats():
        raise click.BadParameter(
            f"{fmt!r} is not one of {', '.join(host.output_formats())}", param_hint="--format"
        )
    warn_unknown_tables(config, host)
    # checks read a snapshot of the registry (picklable for workers); the SQL ledger store is
    # used only by the run state in this process
    store = open_registry(db, for_run=True, commit=commit)
    snapshot = store.snapshot() if store is not None else MemoryRegistry()
    engine = Engine(
        host,
        CheckContext(registry=snapshot, as_of=as_of, config=config),
        RunState(store, commit=commit),
    )
    # SIGTERM stops the run like Ctrl-C (output closed, not cut); the caller's handler comes back
    # afterwards (the command may run inside another program, such as a test)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    previous_int = signal.signal(signal.SIGINT, _interrupt)
    shown = progress_wanted(progress)
    meter = Progress(sys.stderr, total_files=count_files(paths)) if shown else None
    try:
        with output_stream(output) as stream:
            # a writer plugin's failure is a PluginWriterError naming it; the output's own
            # failures stay OutputErrors
            writer = host.named_response_writer(fmt, stream, keep=(OutputError,))
            if writer is None:  # listed by host.output_formats(), so some plugin owns it
                raise PluginWriterError("?", fmt, "no plugin returned a writer")
            inputs = iter_inputs(paths, limits, is_manifest=engine.is_manifest)
            summary = run(engine, inputs, writer, jobs=jobs, progress=meter)
    except OutputError as exc:
        output_failed(exc)
    except KeyboardInterrupt:
        click.echo("customs: interrupted; the responses before it were written", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except PluginWriterError as exc:
        click.echo(f"customs: {exc}", err=True)
        click.echo("customs: stopping — the responses cannot be written as asked", err=True)
        sys.exit(EXIT_PLUGIN)
    except RunError as exc:
        click.echo(f"customs: {exc}", err=True)
        sys.exit(EXIT_WORKER)
    except LedgerError as exc:
        from customs_engine.core.registry.database import refuses_writes

        done = "written and committed" if commit else "written"
        again = (
            "Run again with a database (a role, a file) that may be written to"
            if refuses_writes(exc)
            else "Run again once the database is back"
        )
        click.echo(
            f"customs: stopped at {exc}. The responses before it were {done}; nothing "
            f"of this message was stored. {again}: committed messages are replayed, never "
            "debited twice.",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        if store is not None:
            store.close()
    click.echo(summary.render(), err=True, nl=False)
    sys.exit(EXIT_ACCEPTED if summary.all_accepted else EXIT_NOT_ACCEPTED)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def plugins(fmt: str) -> None:
    """List loaded plugins, their versions and the hooks they implement."""
    host = load_host()
    infos = host.plugin_infos()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "version": i.version,
                        "module": i.module,
                        "hooks": list(i.hooks),
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    for info in infos:
        click.echo(f"{info.name} {info.version} ({info.module})")
        click.echo(f"    hooks: {', '.join(info.hooks)}")


@main.command()
@click.option("--scheme", help="Only this scheme's rules (e.g. ims, core).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def rules(scheme: str | None, fmt: str) -> None:
    """List every rule of every loaded plugin: ID, title, outcomes, reference, dates."""
    host = load_host()
    selected = [r for r in host.rules.values() if scheme is None or r.scheme == scheme.lower()]
    if scheme is not None and not selected:
        loaded = ", ".join(sorted({r.scheme for r in host.rules.values()}))
        click.echo(
            f"customs: no loaded plugin declares scheme {scheme!r}; loaded schemes: {loaded}",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    if fmt == "json":
        click.echo(json.dumps([r.model_dump(mode="json") for r in selected], indent=2))
        return
    for rule in selected:
        dates = f"{rule.effective_from or '…'} – {rule.effective_until or '…'}"
        click.echo(f"{rule.id:<20} {rule.scheme:<6} {'/'.join(rule.outcomes):<14} {rule.title}")
        click.echo(f"{'':<20} in force {dates}; {rule.reference}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--to",
    "target",
    required=True,
    cls=LoadedFormats,
    kind="wire",
    help="Wire format to write, as the loaded plugins provide.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@config_option("e.g. [ices_flatfile] igm_number")
@click.option(
    "--force",
    is_flag=True,
    help="Write what could be converted even when reading found findings (other than info) "
    "or the target format cannot hold some of the messages.",
)
def convert(
    file: str, target: str, output: str | None, config_path: str | None, force: bool
) -> None:
    """Convert one message file to another wire format (parse + write).

    FILE is one message file (or - for standard input), not an archive: validate takes those.
    Every finding of reading the file goes to stderr, and so does each message the target format
    cannot hold (a value too long for its field, refused by the XML schema, a character or a
    time to the second the format cannot carry). A finding of the reading is about the file as
    it is written: any above info (a reject, or a query or warning that a value was changed or
    left out) stops the conversion, since the converted file would not carry it and would look
    cleaner than its source. Exit 0: converted cleanly; 1: such a finding or a message that
    cannot be written (nothing written unless --force, which writes what could be read and
    converted, and says which messages); 2: nothing could be converted, or a usage error (such
    as -o naming the input, or an archive).
    """
    check_output(output, (file,), config_path, written="the converted message")
    host = load_host()
    targets = sorted(host.convert_targets())
    if target not in targets and not host.hook.customs_write_messages.get_hookimpls():
        raise click.BadParameter(
            f"{target!r} is not one of {', '.join(targets)}", param_hint="--to"
        )
    config = load_config(config_path)
    warn_unknown_tables(config, host)
    engine = Engine(host, CheckContext(config=config))
    limits = Limits.from_env()
    try:
        data = (
            sys.stdin.buffer.read(limits.max_file_bytes + 1)
            if file == "-"
            else read_bounded(file, limits.max_file_bytes)
        )
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {file}: {exc.strerror or exc}", param_hint="FILE"
        ) from exc
    why = limits.size_problem(len(data))
    if why is not None:
        raise click.BadParameter(f"{file}: {why}", param_hint="FILE")
    kind = archive_kind(file, data[:ARCHIVE_HEAD])
    if kind is not None:
        raise click.BadParameter(
            f"{file} is a {kind} archive: convert takes one message file; use validate for "
            "archives (or convert each message file of it)",
            param_hint="FILE",
        )
    parsed = engine.parse(data, file)
    _report_reading(file, parsed)
    messages = [p.message for p in parsed if p.message is not None]
    if not messages:
        click.echo(f"customs: {file}: nothing could be converted", err=True)
        sys.exit(EXIT_USAGE)
    # what the reading found travels with no converted file: any finding above info stops it
    stopping = sorted(
        {f.outcome for p in parsed for f in p.findings if f.outcome != "info"},
        key=get_args(Outcome).index,
    )
    if stopping and not force:
        click.echo(
            f"customs: {file}: not converted: {' and '.join(stopping)} findings of the reading "
            "above, which the converted file would not carry (--force writes what could be "
            "read)",
            err=True,
        )
        sys.exit(EXIT_NOT_ACCEPTED)
    rendered: bytes | None
    written = messages
    try:
        rendered, refused = _write_messages(host, messages, target), False
    except ValueError as exc:
        for line in str(exc).splitlines():
            click.echo(f"customs: {file}: {line}", err=True)
        written = [m for m in messages if force and _writable(host, m, target)]
        more = " (--force writes the others)" if len(messages) > 1 else ""
        click.echo(
            f"customs: {file}: {target} cannot hold the message(s) above: not written"
            if force
            else f"customs: {file}: not converted: {target} cannot hold the message(s) above{more}",
            err=True,
        )
        rendered = _write_messages(host, written, target) if written else None
        refused = True
    if rendered is not None:
        try:
            with output_stream(output) as stream:
                stream.write(rendered)
        except OutputError as exc:
            output_failed(exc)
    if force and (stopping or refused):
        names = ", ".join(_message_names(messages, written)) or "none"
        click.echo(
            f"customs: {file}: --force: written to {output or 'standard output'}: {names} "
            f"({len(written)} of {len(messages)} message{'s' if len(messages) != 1 else ''})",
            err=True,
        )
    if stopping or refused:
        sys.exit(EXIT_NOT_ACCEPTED)


def _report_reading(file: str, parsed: list[ParsedMessage]) -> None:
    """Every finding of reading ``file`` on stderr, and each message read that is no document
    the other formats carry (an SCMTR exit or domestic declaration, a partial amendment)."""
    for message in parsed:
        for finding in message.findings:
            where = f"message {message.reference or message.index + 1}"
            item = f" item {finding.item}" if finding.item is not None else ""
            click.echo(
                f"customs: {file}: {where}{item}: {finding.outcome} {finding.rule}: "
                f"{finding.message}",
                err=True,
            )
    for partial in (p for p in parsed if p.message is None and not p.findings):
        event = (partial.echo or {}).get("event")
        what = (
            f"an SCMTR {event} declaration (exit or domestic cargo), which is validated and "
            "answered but is no manifest the other formats carry"
            if event in ("SCX", "SCD")
            else "a partial amendment (only the lines it changes, as an SCMTR SCA sends them), "
            "not a whole document: convert the document it amends"
        )
        click.echo(
            f"customs: {file}: message {partial.reference or partial.index + 1} is {what}",
            err=True,
        )


def _message_names(messages: list[Any], written: list[Any]) -> list[str]:
    """The messages of ``written`` by id, and by place where ids repeat (``BE-1 (message 2
    of 3)``, as the writers' refusals name them)."""
    ids = [m.message_id for m in messages]
    return [
        f"{m.message_id} (message {place} of {len(ids)})"
        if ids.count(m.message_id) > 1
        else m.message_id
        for place, m in enumerate(messages, start=1)
        if any(m is w for w in written)
    ]


def _write_messages(host: PluginHost, messages: list[Any], target: str) -> bytes:
    """``messages`` written as ``target`` by its plugin. A ``ValueError`` is the writer refusing
    a message it cannot hold (a data problem, raised on); any other error is the plugin's bug
    and ends the run with exit 3, naming the plugin."""
    try:
        rendered = host.write_messages(messages, target)
    except ValueError:
        raise
    except PluginWriterError as exc:  # a writer plugin's bug, or a wrong answer: named
        click.echo(f"customs: {exc}", err=True)
        sys.exit(EXIT_PLUGIN)
    except Exception as exc:  # a writer plugin's bug: named, never a traceback
        record = host.convert_targets().get(target)
        who = host.format_owner.get(("wire", record.name), "?") if record else "?"
        click.echo(
            f"customs: plugin {who!r} failed writing {target}: {type(exc).__name__}: {exc}",
            err=True,
        )
        sys.exit(EXIT_PLUGIN)
    if rendered is None:
        raise click.BadParameter(
            f"{target!r} is not one of {', '.join(sorted(host.convert_targets()))}",
            param_hint="--to",
        )
    return rendered


def _writable(host: PluginHost, message: Any, target: str) -> bool:
    """Whether ``target``'s writer holds ``message`` on its own (``--force`` after a refusal)."""
    try:
        _write_messages(host, [message], target)
    except ValueError:
        return False
    return True


main.add_command(registry)
main.add_command(serve)
main.add_command(tokens)
main.add_command(watch)


if __name__ == "__main__":  # pragma: no cover
    main()
