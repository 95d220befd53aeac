"""``customs serve``, ``customs watch`` and ``customs tokens`` (click commands).

Only click is imported at start-up: the web stack loads when one of these commands runs, so
``customs validate`` starts as fast as before.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import click

DB_HELP = "Registry database URL (default: $CUSTOMS_DB, else sqlite:///customs.db)."


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--db", envvar="CUSTOMS_DB", help=DB_HELP)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (uvicorn).")
@click.option("--require-token", is_flag=True,
              help="Validation (and the console) need a token too, not only commit.")
@click.option("--max-body", type=click.IntRange(min=1), default=64 * 1024 * 1024,
              show_default=True, help="Largest request body in bytes (above it: 413).")
@click.option("--retention-days", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Stored validation results are kept this long.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML file: one table per plugin (as for validate).")
def serve(host: str, port: int, db: str | None, workers: int, require_token: bool,
          max_body: int, retention_days: float, config_path: str | None) -> None:
    """HTTP API, web console and metrics on the engine (uvicorn)."""
    import uvicorn

    from customs_engine.cli import load_config, load_host
    from customs_engine.registry_cli import open_registry
    from customs_engine.service.app import Service, Settings, create_app
    from customs_engine.service.metrics import MULTIPROC_ENV

    config = load_config(config_path)
    settings = Settings(db=db, require_token=require_token, max_body=max_body,
                        retention_days=retention_days, config_path=config_path)
    registry = open_registry(db)  # creates and migrates once, with a clear error if it cannot
    assert registry is not None
    registry.close()
    if workers == 1:
        service = Service.open(settings, load_host(), config)
        try:
            uvicorn.run(create_app(service), host=host, port=port, log_level="info")
        finally:
            service.close()
        return
    load_host()  # a plugin that fails to load stops here (exit 3), not in every worker
    os.environ.update(settings.to_env())
    shared = None
    if not os.environ.get(MULTIPROC_ENV):
        shared = tempfile.mkdtemp(prefix="customs-metrics-")
        os.environ[MULTIPROC_ENV] = shared
    try:
        uvicorn.run("customs_engine.service.app:app_from_env", factory=True, host=host,
                    port=port, workers=workers, log_level="info")
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)


@click.group()
def tokens() -> None:
    """API tokens of customs serve (stored hashed in the registry database)."""


@tokens.command("create")
@click.option("--scope", type=click.Choice(["validate", "commit", "admin"]), required=True,
              help="validate < commit < admin (each includes the ones before).")
@click.option("--name", help="What the token is for (shown by tokens list).")
@click.option("--db", envvar="CUSTOMS_DB", help=DB_HELP)
def tokens_create(scope: str, name: str | None, db: str | None) -> None:
    """Create a token and print it once (only its digest is stored)."""
    from customs_engine.registry_cli import open_registry
    from customs_engine.service.tokens import TokenStore

    registry = open_registry(db)
    assert registry is not None
    try:
        token, info = TokenStore(registry.engine).create(scope, name)  # type: ignore[arg-type]
    finally:
        registry.close()
    click.echo(token)
    click.echo(f"customs: token {info.token_id} ({info.scope}) created; it is shown only now",
               err=True)


@tokens.command("list")
@click.option("--db", envvar="CUSTOMS_DB", help=DB_HELP)
def tokens_list(db: str | None) -> None:
    """Every token: id, scope, created, revoked, name (never the secret)."""
    from customs_engine.registry_cli import open_registry
    from customs_engine.service.tokens import TokenStore

    registry = open_registry(db)
    assert registry is not None
    try:
        for info in TokenStore(registry.engine).list():
            revoked = (f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at
                       else "active")
            click.echo(f"{info.token_id}  {info.scope:<8} created "
                       f"{info.created_at:%Y-%m-%d %H:%M}  {revoked:<24} {info.name or ''}"
                       .rstrip())
    finally:
        registry.close()


@tokens.command("revoke")
@click.argument("token_id")
@click.option("--db", envvar="CUSTOMS_DB", help=DB_HELP)
def tokens_revoke(token_id: str, db: str | None) -> None:
    """Revoke a token by its id (as tokens list shows it): refused from then on."""
    from customs_engine.registry_cli import open_registry
    from customs_engine.service.tokens import TokenError, TokenStore

    registry = open_registry(db)
    assert registry is not None
    try:
        TokenStore(registry.engine).revoke(token_id)
    except TokenError as exc:
        click.echo(f"customs: {exc}", err=True)
        sys.exit(1)
    finally:
        registry.close()
    click.echo(f"token {token_id} revoked")
