"""Options several ``customs`` commands share, declared once (click only: cheap to import)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from customs_engine.core.registry.urls import DEFAULT_DESCRIPTION, EmptyUrl, given_url

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = f"Registry database URL (default: $CUSTOMS_DB, else {DEFAULT_DESCRIPTION})."


def _given_db(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An empty ``--db`` or ``CUSTOMS_DB`` is a usage error (exit code 2), never the default
    database; the message names the one that was given (click hands a blank ``CUSTOMS_DB`` in
    as the option's value)."""
    from_environment = ctx.get_parameter_source(param.name or "db") is ParameterSource.ENVIRONMENT
    try:
        given_url(None if from_environment else value)
    except EmptyUrl as exc:
        raise click.UsageError(str(exc)) from None
    return value


#: ``--db`` (the registry database; ``$CUSTOMS_DB`` when not given)
db_option = click.option("--db", envvar="CUSTOMS_DB", help=DB_HELP, callback=_given_db)
#: ``--commit`` (keep what a run accepted in the registry database)
commit_option = click.option(
    "--commit", is_flag=True, help="Persist IGMs and authorisation debits."
)


def config_option(what: str = "") -> Callable[[F], F]:
    """``--config FILE`` (one TOML table per plugin), read by ``cli.load_config``; ``what``
    adds to the help (``"e.g. [ices_flatfile] igm_number"``)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help=f"TOML file: one table per plugin{f' ({what})' if what else ''}.",
    )
