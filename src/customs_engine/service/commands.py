"""``customs serve``, ``customs watch`` and ``customs tokens`` (click commands).

Only click is imported at start-up: the web stack loads when one of these commands runs, so
``customs validate`` starts as fast as before.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING

import click

from customs_engine.cli_options import commit_option, config_option, db_option
from customs_engine.core.dates import shown_instant

if TYPE_CHECKING:
    from customs_engine.core.registry.store import SqlRegistry
    from customs_engine.service.watch import DropFolder


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@db_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (uvicorn).",
)
@click.option(
    "--require-token",
    is_flag=True,
    help="Validation (and the console) need a token too, not only commit.",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Largest request body in bytes (above it: 413).",
)
@click.option(
    "--retention-days",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Stored validation results are kept this long.",
)
@config_option("as for validate")
def serve(
    host: str,
    port: int,
    db: str | None,
    workers: int,
    require_token: bool,
    max_body: int,
    retention_days: float,
    config_path: str | None,
) -> None:
    """HTTP API, web console and metrics on the engine (uvicorn)."""
    import uvicorn

    from customs_engine.cli import load_config, load_host, warn_unknown_tables
    from customs_engine.registry_cli import database_failures_reported, opened_registry
    from customs_engine.service import workers as service_workers
    from customs_engine.service.app import Service, Settings, create_app
    from customs_engine.service.metrics import MULTIPROC_ENV

    config = load_config(config_path)
    settings = Settings(
        db=db,
        require_token=require_token,
        max_body=max_body,
        retention_days=retention_days,
        config_path=config_path,
    )
    with opened_registry(db):
        pass  # creates and migrates once, with a clear error if it cannot
    plugins = load_host()  # a plugin that fails to load stops here (exit 3), not in every worker
    warn_unknown_tables(config, plugins)
    # the service writes (results, tokens' last use, the ledger): a database it cannot write to
    # (a read-only file) stops it here with one line, not in every request or worker
    with database_failures_reported(db, "cannot serve from the registry"):
        service = Service.open(settings, plugins, config)
    if workers == 1:
        try:
            uvicorn.run(create_app(service), host=host, port=port, log_level="info")
        finally:
            service.close()
        return
    service.close()
    os.environ.update(settings.to_env())
    shared = None
    if not os.environ.get(MULTIPROC_ENV):
        shared = tempfile.mkdtemp(prefix="customs-metrics-")
        os.environ[MULTIPROC_ENV] = shared
    try:
        # each worker on its own SO_REUSEPORT socket: the kernel spreads connections over them
        service_workers.run(
            uvicorn.Config(
                "customs_engine.service.app:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
            )
        )
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)


@click.group()
def tokens() -> None:
    """API tokens of customs serve (stored hashed in the registry database)."""


@tokens.command("create")
@click.option(
    "--scope",
    type=click.Choice(["validate", "commit", "admin"]),
    required=True,
    help="validate < commit < admin (each includes the ones before).",
)
@click.option("--name", help="What the token is for (shown by tokens list).")
@db_option
def tokens_create(scope: str, name: str | None, db: str | None) -> None:
    """Create a token and print it once (only its digest is stored)."""
    from customs_engine.registry_cli import opened_registry
    from customs_engine.service.tokens import TokenStore

    if name is not None and not name.isprintable():
        # a line break would start what reads as another token's line in `tokens list`
        raise click.BadParameter("must be printable text on one line", param_hint="--name")

    with opened_registry(
        db, failure="cannot create a token in the registry; none created"
    ) as registry:
        token, info = TokenStore(registry.engine).create(scope, name)  # type: ignore[arg-type]
    click.echo(token)
    click.echo(
        f"customs: token {info.token_id} ({info.scope}) created; it is shown only now", err=True
    )


@tokens.command("list")
@db_option
def tokens_list(db: str | None) -> None:
    """Every token: id, scope, created, revoked, name (never the secret)."""
    from customs_engine.registry_cli import opened_registry
    from customs_engine.service.tokens import TokenStore

    with opened_registry(db, reads_only=True) as registry:
        for info in TokenStore(registry.engine).list():
            revoked = (
                f"revoked {shown_instant(info.revoked_at, 'minutes')}"
                if info.revoked_at
                else "active"
            )
            created = shown_instant(info.created_at, "minutes")
            click.echo(
                f"{info.token_id}  {info.scope:<8} created {created}  {revoked:<30} "
                f"{info.name or ''}".rstrip()
            )


@tokens.command("revoke")
@click.argument("token_id")
@db_option
def tokens_revoke(token_id: str, db: str | None) -> None:
    """Revoke a token by its id (as tokens list shows it): refused from then on."""
    from customs_engine.registry_cli import opened_registry
    from customs_engine.service.tokens import TokenError, TokenStore

    with opened_registry(
        db, create=False, failure="cannot revoke the token in the registry; nothing revoked"
    ) as registry:
        try:
            TokenStore(registry.engine).revoke(token_id)
        except TokenError as exc:
            click.echo(f"customs: {exc}", err=True)
            sys.exit(1)
    click.echo(f"token {token_id} revoked")


@click.command()
@click.argument("inbox", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Where answers go: <name>.json and, where one exists, <name>.ack.",
)
@commit_option
@db_option
@click.option(
    "--poll", is_flag=True, help="Poll the folder instead of file events (network shares)."
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is taken.",
)
@config_option("as for validate")
def watch(
    inbox: str,
    out: str,
    commit: bool,
    db: str | None,
    poll: bool,
    settle: float,
    config_path: str | None,
) -> None:
    """Drop folder: validate each complete file of INBOX, answer in --out, move it on."""
    import logging
    import signal
    import threading

    from customs_engine.registry_cli import EXIT_USAGE
    from customs_engine.service.watch import WatchError

    class Stopped(BaseException):
        """A stop signal before the watcher watches: nothing of its own to finish."""

    def stopped(_signum: int, _frame: object) -> None:
        raise Stopped

    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        logging.getLogger("customs_engine.watch").info(
            "%s: stopping after the file in hand", signal.Signals(signum).name
        )
        stop.set()

    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.getsignal(signum) for signum in signals}
    # while it starts (plugins, registry), a stop signal ends it at once and quietly; once its
    # folders are being made, after the file in hand (none yet: before taking any)
    for signum in signals:
        signal.signal(signum, stopped)
    try:
        try:
            folder, registry = _drop_folder(inbox, out, commit, db, poll, settle, config_path)
            for signum in signals:
                signal.signal(signum, _stop)
        except Stopped:
            return
        try:
            folder.run(stop)
        except WatchError as exc:
            click.echo(f"customs: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        finally:
            registry.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _drop_folder(
    inbox: str,
    out: str,
    commit: bool,
    db: str | None,
    poll: bool,
    settle: float,
    config_path: str | None,
) -> tuple[DropFolder, SqlRegistry]:
    """The watcher's drop folder, its log on stderr, and the registry it opened."""
    import logging
    from datetime import timedelta
    from pathlib import Path

    from customs_engine.cli import load_config, load_host, warn_unknown_tables
    from customs_engine.core.batch.inputs import Limits
    from customs_engine.registry_cli import open_registry
    from customs_engine.service.app import DEFAULT_RETENTION_DAYS
    from customs_engine.service.results import ResultStore
    from customs_engine.service.runs import Validator
    from customs_engine.service.watch import DropFolder

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("customs watch: %(message)s"))
    watch_log = logging.getLogger("customs_engine.watch")
    watch_log.addHandler(handler)
    watch_log.setLevel(logging.INFO)
    config = load_config(config_path)
    host = load_host()
    warn_unknown_tables(config, host)
    inbox_path = Path(inbox)
    if not inbox_path.is_dir():
        raise click.BadParameter(f"{inbox} is not a directory", param_hint="INBOX")
    registry = open_registry(db)
    assert registry is not None
    folder = DropFolder(
        inbox_path,
        Path(out),
        Validator(host, registry, Limits.from_env(), config),
        ResultStore(registry.engine, timedelta(days=DEFAULT_RETENTION_DAYS)),
        commit=commit,
        settle=settle,
        poll=poll,
    )
    return folder, registry
