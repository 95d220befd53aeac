"""Which database a run uses — answered without importing SQLAlchemy (start-up time matters)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote

ENV_VAR = "CUSTOMS_DB"
APP_NAME = "customs-engine"
#: what ``--db`` help texts call the default
DEFAULT_DESCRIPTION = "sqlite:///<user data dir>/customs-engine/customs.db"


def default_path() -> Path:
    """``customs.db`` in the user's data directory (platformdirs: ``$XDG_DATA_HOME`` or
    ``~/.local/share`` on Linux, ``~/Library/Application Support`` on macOS, ``%LOCALAPPDATA%``
    on Windows), so that a run from any working directory finds the same registry."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "customs.db"


def default_url() -> str:
    return f"sqlite:///{default_path()}"


def resolve_url(url: str | None) -> str:
    """``--db``, else ``CUSTOMS_DB``, else the default database in the user data directory."""
    return url or os.environ.get(ENV_VAR) or default_url()


_EXTRA = "pip install 'customs-engine[postgres]'"
#: ``dialect[+driver]`` of a URL → how to install its driver
DRIVERS = {
    "postgresql+psycopg": _EXTRA,
    "postgresql+psycopg2": "pip install psycopg2-binary (the postgres extra installs psycopg 3, "
    "for postgresql+psycopg:// URLs)",
    # SQLAlchemy's default PostgreSQL driver: psycopg 3 from SQLAlchemy 2.1, psycopg2 before
    "postgresql": f"write postgresql+psycopg:// and {_EXTRA}",
}
#: drivers that cannot work: the engine uses its database synchronously
_ASYNCHRONOUS = ("asyncpg", "aiosqlite", "psycopg_async", "asyncmy", "aiomysql")


def missing_driver_hint(url: str) -> str:
    """What to install when the URL's database driver is not there."""
    scheme = url.partition("://")[0].lower() or "?"
    if scheme.partition("+")[2] in _ASYNCHRONOUS:
        return f"{scheme}:// is an asynchronous driver, which the engine cannot use"
    return DRIVERS.get(
        scheme,
        f"install the Python database driver for {scheme!r} (see SQLAlchemy's dialect "
        "documentation)",
    )


def sqlite_path(url: str) -> str | None:
    """The file a SQLite URL names, or ``None`` (in-memory SQLite, other backends).

    With ``uri=true`` the database is an SQLite URI filename
    (``sqlite:///file:/var/customs.db?mode=ro&uri=true``): its path is the file's.
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    path, _, query = rest.partition("?")
    database = path.removeprefix("/")
    options = parse_qs(query)
    if options.get("uri", [""])[-1].lower() == "true" and database.startswith("file:"):
        if options.get("mode", [""])[-1] == "memory":
            return None
        database = database.removeprefix("file:")
        if database.startswith("//"):  # file://host/path: the host is empty or localhost
            database = "/" + database[2:].partition("/")[2]
    database = unquote(database)
    return database if database and database != ":memory:" else None


def sqlite_file_exists(url: str) -> bool:
    """Whether a SQLite URL names an existing file (other backends: always true).

    SQLAlchemy's SQLite URLs are ``sqlite[+driver]://`` then ``/`` then the path, relative
    (``sqlite:///customs.db``) or absolute (``sqlite:////var/customs.db``); an empty path or
    ``:memory:`` is an in-memory database, which never exists beforehand.
    """
    if sqlite_path(url) is None and url.partition("://")[0].split("+", 1)[0].lower() != "sqlite":
        return True
    database = sqlite_path(url)
    return database is not None and Path(database).exists()
