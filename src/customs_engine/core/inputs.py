"""Where messages come from: files, directories (recursive, sorted), or standard input.

Paths are processed in the order given, a directory's files in sorted path order. Every path is
checked before the run starts, so an unreadable one stops it with a usage error (exit code 2)
instead of half a result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"
#: files above this size are not read into memory; they get a rejected response instead
MAX_FILE_BYTES = int(os.environ.get("CUSTOMS_ENGINE_MAX_FILE_BYTES", 64 * 1024 * 1024))


class InputError(Exception):
    """A path that cannot be read (usage error, exit code 2)."""


@dataclass(frozen=True)
class InputFile:
    """One file to validate: its display name and its bytes (or why they are missing)."""

    name: str
    data: bytes
    problem: str | None = None


def check_paths(paths: Sequence[str]) -> None:
    if not paths:
        raise InputError("no PATH given (use - for standard input)")
    for raw in paths:
        if raw == STDIN:
            continue
        path = Path(raw)
        if not path.exists():
            raise InputError(f"path not found: {raw}")
        if not os.access(path, os.R_OK):
            raise InputError(f"path not readable: {raw}")


def _walk(directory: Path) -> Iterator[Path]:
    """Regular files below ``directory`` in sorted path order; links are not followed."""
    found = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            candidate = Path(root, name)
            if candidate.is_file() and not candidate.is_symlink():
                found.append(candidate)
    yield from sorted(found, key=lambda p: p.as_posix())


def read_file(path: Path, name: str) -> InputFile:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return InputFile(name, b"", f"file is {size} bytes, above the {MAX_FILE_BYTES}-byte "
                                        "bound (CUSTOMS_ENGINE_MAX_FILE_BYTES)")
        return InputFile(name, path.read_bytes())
    except OSError as exc:
        return InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")


def iter_inputs(paths: Sequence[str]) -> Iterator[InputFile]:
    for raw in paths:
        if raw == STDIN:
            yield InputFile("<stdin>", sys.stdin.buffer.read(MAX_FILE_BYTES + 1))
            continue
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path):
                yield read_file(file, file.as_posix())
        else:
            yield read_file(path, raw)
