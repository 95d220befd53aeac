"""Where messages come from: files, directories (recursive), archives, or standard input.

Paths are processed in the order given; a directory's files and an archive's members in sorted
path order. Every path is checked before the run starts, so an unreadable one stops it with a usage
error (exit code 2) instead of half a result. Inputs are produced one at a time, so memory does not
grow with the size of a directory tree or an archive (see :mod:`customs_engine.core.archives`).

Bounds (environment, read when a run starts):

* ``CUSTOMS_ENGINE_MAX_FILE_BYTES`` (default 64 MiB) — a file or archive member above it gets a
  rejected response instead of being read;
* ``CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO`` (default 200) and ``CUSTOMS_ENGINE_RATIO_FLOOR_BYTES``
  (default 1 MiB) — a zip member larger than the floor that expands more than this is refused.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from customs_engine.core.archives import (
    ArchiveReader,
    archive_kind,
    is_archive_name,
    is_message_member,
)

STDIN = "-"
STDIN_NAME = "<stdin>"
MAX_FILE_ENV = "CUSTOMS_ENGINE_MAX_FILE_BYTES"
MAX_RATIO_ENV = "CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO"
RATIO_FLOOR_ENV = "CUSTOMS_ENGINE_RATIO_FLOOR_BYTES"


class InputError(Exception):
    """A path that cannot be read (usage error, exit code 2)."""


@dataclass(frozen=True)
class InputFile:
    """One file to validate: its display name and its bytes (or why they are missing)."""

    name: str
    data: bytes
    problem: str | None = None


@dataclass(frozen=True)
class Limits:
    """How much one input may hold, and how far a compressed member may expand."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        default = cls()
        try:
            return cls(
                max_file_bytes=int(env.get(MAX_FILE_ENV, default.max_file_bytes)),
                max_ratio=int(env.get(MAX_RATIO_ENV, default.max_ratio)),
                ratio_floor=int(env.get(RATIO_FLOOR_ENV, default.ratio_floor)),
            )
        except ValueError as exc:
            raise InputError(f"bad size bound in the environment: {exc}") from exc

    def size_problem(self, size: int) -> str | None:
        if size <= self.max_file_bytes:
            return None
        return (f"{size} bytes is above the {self.max_file_bytes}-byte bound "
                f"({MAX_FILE_ENV})")


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


def _walk(directory: str) -> Iterator[str]:
    """Regular files below ``directory`` in sorted path order; links and dot-files are skipped.

    One directory's listing is held at a time. A sub-directory sorts as its name plus ``/``, so
    the order equals sorting the full paths as strings (``a.txt`` before ``a/b``). Plain strings,
    not ``pathlib`` (which interns every path component for the life of the process).
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    keyed = []
    for entry in entries:
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            keyed.append((entry.name + "/", True))
        elif entry.is_file(follow_symlinks=False):
            keyed.append((entry.name, False))
    del entries
    base = directory.rstrip("/") + "/"
    for name, is_dir in sorted(keyed):
        if is_dir:
            yield from _walk(base + name[:-1])
        else:
            yield base + name


def read_file(path: str | Path, name: str, limits: Limits | None = None) -> InputFile:
    limits = limits or Limits.from_env()
    try:
        why = limits.size_problem(os.stat(path).st_size)
        if why is not None:
            return InputFile(name, b"", f"file {why}")
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        return InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")
    why = limits.size_problem(len(data))
    return InputFile(name, b"", f"file {why}") if why else InputFile(name, data)


def _open_binary(path: str) -> IO[bytes]:
    return open(path, "rb")


def _archive(path: str, name: str, limits: Limits) -> Iterator[InputFile]:
    reader = ArchiveReader(name, limits, InputFile)
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
        size = os.stat(path).st_size
    except OSError as exc:
        yield InputFile(name, b"", f"cannot read archive: {exc.strerror or exc}")
        return
    if archive_kind(name, head) == "zip":
        with open(path, "rb") as handle:
            yield from reader.zip_members(handle)
    else:
        yield from reader.tar_members(partial(_open_binary, path), size)


def _stdin(limits: Limits, stream: IO[bytes] | None = None) -> Iterator[InputFile]:
    """Standard input: one message file, or an archive recognised by its first bytes."""
    data = (stream or sys.stdin.buffer).read(limits.max_file_bytes + 1)
    why = limits.size_problem(len(data))
    if why is not None:
        yield InputFile(STDIN_NAME, b"", f"standard input {why}")
        return
    kind = archive_kind("", data[:512])
    if kind is None:
        yield InputFile(STDIN_NAME, data)
        return
    reader = ArchiveReader(STDIN_NAME, limits, InputFile)
    if kind == "zip":
        yield from reader.zip_members(io.BytesIO(data))
    else:
        yield from reader.tar_members(lambda: io.BytesIO(data), len(data))


def iter_file(path: str, name: str, limits: Limits | None = None) -> Iterator[InputFile]:
    """One file on disk shown as ``name`` (an upload, a watched file): an archive, known by its
    name or first bytes, member by member with every protection above; else the file itself."""
    limits = limits or Limits.from_env()
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        yield InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")
        return
    if archive_kind(name, head) is not None:
        yield from _archive(path, name, limits)
    else:
        yield read_file(path, name, limits)


def iter_inputs(paths: Sequence[str], limits: Limits | None = None,
                stdin: IO[bytes] | None = None) -> Iterator[InputFile]:
    """Every input file of ``paths``, one at a time, in the documented order."""
    limits = limits or Limits.from_env()
    for raw in paths:
        if raw == STDIN:
            yield from _stdin(limits, stdin)
            continue
        for file in _walk(raw) if os.path.isdir(raw) else iter([raw]):
            if is_archive_name(os.path.basename(file)):
                yield from _archive(file, file, limits)
            else:
                yield read_file(file, file, limits)


def count_files(paths: Sequence[str]) -> int | None:
    """How many input files ``paths`` hold, for the progress ETA; ``None`` when only reading
    would tell (standard input, tar archives)."""
    total = 0
    for raw in paths:
        if raw == STDIN:
            return None
        for file in _walk(raw) if os.path.isdir(raw) else iter([raw]):
            if not is_archive_name(os.path.basename(file)):
                total += 1
                continue
            if archive_kind(file, b"") != "zip":
                return None
            try:
                with zipfile.ZipFile(file) as archive:
                    total += sum(1 for i in archive.infolist() if is_message_member(i.filename))
            except (zipfile.BadZipFile, OSError):
                total += 1
    return total
