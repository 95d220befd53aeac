"""Which database a run uses — answered without importing SQLAlchemy (start-up time matters)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

DEFAULT_URL = "sqlite:///customs.db"
ENV_VAR = "CUSTOMS_DB"


def resolve_url(url: str | None) -> str:
    """``--db``, else ``CUSTOMS_DB``, else ``sqlite:///customs.db`` in the working directory."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def sqlite_path(url: str) -> str | None:
    """The file a SQLite URL names, or ``None`` (in-memory SQLite, other backends)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    database = unquote(rest.partition("?")[0].removeprefix("/"))
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
