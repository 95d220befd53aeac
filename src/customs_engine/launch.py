"""The ``customs`` console script: the command line, with a Ctrl-C that lands while it is still
being imported (loading click, pydantic and the models takes a moment) answered like one that
lands later — a ``customs:`` line and exit status 130 — instead of Python's traceback."""

from __future__ import annotations

import sys

#: exit status of an interrupted command (128 + SIGINT), as :mod:`customs_engine.cli` uses
EXIT_INTERRUPTED = 130


def main() -> None:
    try:
        from customs_engine.cli import main as command_line
    except KeyboardInterrupt:
        sys.stderr.write("customs: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    command_line()
