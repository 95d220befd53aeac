"""Which database a run uses — answered without importing SQLAlchemy (start-up time matters)."""

from __future__ import annotations

import os
import re
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


class EmptyUrl(ValueError):
    """An empty database URL was given (``--db ""``, ``CUSTOMS_DB=``): not a URL, and never
    taken to mean the default database (a script whose variable is unset or misspelt would
    otherwise write to the per-user registry)."""


def resolve_url(url: str | None) -> str:
    """``--db``, else ``CUSTOMS_DB``, else the default database in the user data directory
    (:class:`EmptyUrl` when the one given is empty, see :func:`given_url`)."""
    return given_url(url) or default_url()


def given_url(url: str | None) -> str | None:
    """The URL given: ``--db`` (``url``), else ``CUSTOMS_DB``; ``None`` when neither is.
    :class:`EmptyUrl`, naming where it came from, when the one given is empty or blank."""
    if url is not None:
        if not url.strip():
            raise EmptyUrl("--db is empty: give a database URL, or leave --db out")
        return url
    given = os.environ.get(ENV_VAR)
    if given is not None and not given.strip():
        raise EmptyUrl(
            f"the environment variable {ENV_VAR} is set but empty: give a database URL, or unset it"
        )
    return given


def in_memory(url: str) -> bool:
    """Whether ``url`` is an in-memory SQLite database (``sqlite://``, ``sqlite:///:memory:``,
    ``mode=memory``): whatever is written to it is gone when the process ends."""
    return _is_sqlite(url) and sqlite_path(url) is None


def _is_sqlite(url: str) -> bool:
    scheme, sep, _ = url.partition("://")
    return bool(sep) and scheme.split("+", 1)[0].lower() == "sqlite"


#: query parameters that carry a password (libpq's ``password`` and ``sslpassword``, other
#: drivers' ``passwd`` and ``pwd``)
_SECRET_QUERY = re.compile(r"([?&](?:password|passwd|pwd|sslpassword)=)[^&#]*", re.IGNORECASE)


def shown_url(url: str) -> str:
    """``url`` as messages and ``registry where`` show it: a password in it masked (``***``),
    in the user information (``user:***@host``) and in the query (``?password=***``)."""
    scheme, sep, rest = url.partition("://")
    if sep:
        # the user information ends at the last "@" before the query (a password may hold "/")
        at = rest.partition("?")[0].rfind("@")
        user, colon, _password = rest[: max(at, 0)].partition(":")
        if at >= 0 and colon:
            rest = f"{user}:***{rest[at:]}"
    return _SECRET_QUERY.sub(r"\1***", f"{scheme}{sep}{rest}")


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
    if not _is_sqlite(url):
        return None
    path, _, query = url.partition("://")[2].partition("?")
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
    if not _is_sqlite(url):
        return True
    database = sqlite_path(url)
    return database is not None and Path(database).exists()
