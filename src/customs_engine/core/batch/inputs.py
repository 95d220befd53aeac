"""Where messages come from: files, directories (recursive), archives, or standard input.

Paths are processed in the order given. Within a directory tree or an archive, manifests come
first, then everything else (Bills of Entry), each group in sorted path order: a Bill of Entry is
checked against the manifests already noted. Whether a file is a manifest is sniffed from its first
bytes (a directory is walked twice, reading only the first few KiB of each file the first time), so
memory stays flat. Every path is checked before the run starts, so an unreadable one, or one that is
not a regular file or directory (a FIFO, a device such as ``/dev/zero``), stops it with a usage
error (exit code 2) instead of half a result. Inside a directory tree, an unreadable sub-directory
or file is a rejected response naming it; dot-files, symbolic links and special files are skipped
and listed in the run summary with the reason. Inputs are produced one at a time, so memory does
not grow with the size of a directory tree or an archive
(see :mod:`customs_engine.core.batch.archives`).

Bounds (environment, read when a run starts):

* ``CUSTOMS_ENGINE_MAX_FILE_BYTES`` (default 64 MiB) — a file or archive member above it gets a
  rejected response instead of being read;
* ``CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO`` (default 200) and ``CUSTOMS_ENGINE_RATIO_FLOOR_BYTES``
  (default 1 MiB) — a zip member larger than the floor that expands more than this is refused;
  one archive may inflate to this ratio times its own size (at least the floor) in all;
* ``CUSTOMS_ENGINE_MAX_ARCHIVE_BYTES`` (default 2 GiB) — and never to more than this.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from customs_engine.core.batch.archives import (
    HEAD_BYTES,
    ArchiveReader,
    Classifier,
    archive_kind,
    is_archive_name,
    is_message_member,
)

STDIN = "-"
STDIN_NAME = "<stdin>"
MAX_FILE_ENV = "CUSTOMS_ENGINE_MAX_FILE_BYTES"
MAX_RATIO_ENV = "CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO"
RATIO_FLOOR_ENV = "CUSTOMS_ENGINE_RATIO_FLOOR_BYTES"
MAX_ARCHIVE_ENV = "CUSTOMS_ENGINE_MAX_ARCHIVE_BYTES"
#: the least a read asks for (beyond the file's size when it grows while read)
READ_CHUNK = 64 * 1024


class InputError(Exception):
    """A path that cannot be read (usage error, exit code 2)."""


@dataclass(frozen=True)
class InputFile:
    """One file to validate: its display name and its bytes (or why they are missing)."""

    name: str
    data: bytes
    problem: str | None = None
    #: why this directory entry is not read at all (no response; listed in the run summary)
    skipped: str | None = None

    def __post_init__(self) -> None:
        shown = shown_name(self.name)
        if shown is not self.name:
            object.__setattr__(self, "name", shown)


#: what a name cannot show as it is: control characters, and the surrogates by which Python
#: keeps the bytes of a file name that are not UTF-8
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def shown_name(name: str) -> str:
    r"""A file or member name as answers and logs show it: bytes that are not UTF-8 (``b\xff.xml``
    on disk, in a tar) and control characters (a line feed) written as escapes (``\n``), so
    that every writer can write it and a log line stays one line."""
    if not _UNSHOWABLE.search(name):
        return name

    def escaped(found: re.Match[str]) -> str:
        code = ord(found.group())
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (os and tarfile: surrogateescape)
            return f"\\x{code - 0xDC00:02x}"
        return repr(found.group())[1:-1]  # as the text answers write it: \\n, \\x1b

    return _UNSHOWABLE.sub(escaped, name)


@dataclass(frozen=True)
class Limits:
    """How much one input may hold, and how far a compressed member may expand."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 200
    ratio_floor: int = 1024 * 1024
    max_archive_bytes: int = 2 * 1024 * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if environ is None else environ
        default = cls()
        try:
            return cls(
                max_file_bytes=int(env.get(MAX_FILE_ENV, default.max_file_bytes)),
                max_ratio=int(env.get(MAX_RATIO_ENV, default.max_ratio)),
                ratio_floor=int(env.get(RATIO_FLOOR_ENV, default.ratio_floor)),
                max_archive_bytes=int(env.get(MAX_ARCHIVE_ENV, default.max_archive_bytes)),
            )
        except ValueError as exc:
            raise InputError(f"bad size bound in the environment: {exc}") from exc

    def archive_budget(self, compressed_size: int) -> int:
        """How many bytes an archive of ``compressed_size`` bytes may inflate to, in all."""
        return min(self.max_archive_bytes, max(self.ratio_floor, self.max_ratio * compressed_size))

    def size_problem(self, size: int) -> str | None:
        if size <= self.max_file_bytes:
            return None
        return f"{size} bytes is above the {self.max_file_bytes}-byte bound ({MAX_FILE_ENV})"


def special_file_problem(mode: int) -> str | None:
    """Why a path of this ``st_mode`` is not read: only regular files (and directories) are."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = (
        "FIFO"
        if stat.S_ISFIFO(mode)
        else "character device"
        if stat.S_ISCHR(mode)
        else "block device"
        if stat.S_ISBLK(mode)
        else "socket"
        if stat.S_ISSOCK(mode)
        else "special file"
    )
    return f"{kind}, not a regular file"


def check_paths(paths: Sequence[str]) -> None:
    if not paths:
        raise InputError("no PATH given (use - for standard input)")
    if list(paths).count(STDIN) > 1:
        raise InputError("- (standard input) is given more than once: it can be read once")
    for raw in paths:
        if raw == STDIN:
            continue
        try:
            mode = os.stat(raw).st_mode
        except FileNotFoundError:
            raise InputError(f"path not found: {raw}") from None
        except OSError as exc:
            raise InputError(f"path not readable: {raw}: {exc.strerror}") from None
        why = special_file_problem(mode)
        if why is not None:
            raise InputError(f"{raw}: {why} (refused: it could block or never end)")
        if not os.access(raw, os.R_OK) or (stat.S_ISDIR(mode) and not os.access(raw, os.X_OK)):
            raise InputError(f"path not readable: {raw}")


def read_bounded(path: str | Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file. The file is opened without blocking (a FIFO
    swapped in after a check must not hang the run) and refused unless it is a regular file.
    Raises :class:`OSError`; a special file raises ``OSError`` with the reason as ``strerror``."""
    fd = _open_regular(path)
    try:
        return _read_fd(fd, os.fstat(fd), limit)
    finally:
        os.close(fd)


def _open_regular(path: str | Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))


def _read_fd(fd: int, status: os.stat_result, limit: int) -> bytes:
    """:func:`read_bounded` of an open file whose ``fstat`` is ``status``."""
    why = special_file_problem(status.st_mode)
    if why is not None:
        raise OSError(0, why)
    # reads sized by the file (one byte more, to see a file that grew), not by the bound: a
    # read of ``limit + 1`` would allocate the whole bound for every small file
    left = limit + 1
    chunk_size = max(min(status.st_size + 1, left), READ_CHUNK)
    chunks = []
    while left > 0:
        chunk = os.read(fd, min(left, chunk_size))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _walk(directory: str) -> Iterator[InputFile | str]:
    """Regular files below ``directory`` in sorted path order, as paths; what is not read comes
    as an :class:`InputFile`: skipped (dot-files, symbolic links, special files) or with a problem
    (a sub-directory that cannot be listed), in its place in the order.

    One directory's listing is held at a time. A sub-directory sorts as its name plus ``/``, so
    the order equals sorting the full paths as strings (``a.txt`` before ``a/b``). Plain strings,
    not ``pathlib`` (which interns every path component for the life of the process).
    """
    base = directory.rstrip("/") + "/"
    try:
        entries = list(os.scandir(directory))
    except OSError as exc:
        yield InputFile(directory, b"", f"cannot read directory: {exc.strerror or exc}")
        return
    keyed: list[tuple[str, str | None]] = []  # name ("/" after a directory), why skipped
    for entry in entries:
        try:
            if entry.name.startswith("."):
                why: str | None = "hidden (dot-file)"
            elif entry.is_symlink():
                why = "symbolic link, not followed"
            elif entry.is_dir(follow_symlinks=False):
                keyed.append((entry.name + "/", None))
                continue
            elif entry.is_file(follow_symlinks=False):
                why = None  # a regular file (known from the listing, without a stat call)
            else:
                why = special_file_problem(entry.stat(follow_symlinks=False).st_mode)
        except OSError as exc:
            why = f"cannot be examined: {exc.strerror or exc}"
        keyed.append((entry.name, why))
    del entries
    for name, why in sorted(keyed):
        if name.endswith("/"):
            yield from _walk(base + name[:-1])
        elif why is not None:
            yield InputFile(base + name, b"", skipped=why)
        else:
            yield base + name


def read_file(path: str | Path, name: str, limits: Limits | None = None) -> InputFile:
    limits = limits or Limits.from_env()
    try:
        fd = _open_regular(path)
    except OSError as exc:
        return _unopened(path, name, limits, exc)
    try:
        status = os.fstat(fd)
        why = limits.size_problem(status.st_size)
        if why is not None:
            return InputFile(name, b"", f"file {why}")
        data = _read_fd(fd, status, limits.max_file_bytes)
    except OSError as exc:
        return InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    why = limits.size_problem(len(data))
    return InputFile(name, b"", f"file {why}") if why else InputFile(name, data)


def _unopened(path: str | Path, name: str, limits: Limits, exc: OSError) -> InputFile:
    """A file that cannot be opened: too large, if its size says so (what a ``stat`` sees without
    opening it), else the reason it cannot be opened."""
    try:
        why = limits.size_problem(os.stat(path).st_size)
    except OSError:
        why = None
    if why is not None:
        return InputFile(name, b"", f"file {why}")
    return InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")


def _head(path: str) -> bytes:
    try:
        return read_bounded(path, HEAD_BYTES - 1)
    except OSError:
        return b""  # reading it in full reports the problem


def _open_binary(path: str) -> IO[bytes]:
    return open(path, "rb")


def _archive(
    path: str, name: str, limits: Limits, is_manifest: Classifier | None
) -> Iterator[InputFile]:
    reader = ArchiveReader(name, limits, InputFile, is_manifest)
    try:
        head = read_bounded(path, 511)
        size = os.stat(path).st_size
    except OSError as exc:
        yield InputFile(name, b"", f"cannot read archive: {exc.strerror or exc}")
        return
    if archive_kind(name, head) == "zip":
        with open(path, "rb") as handle:
            yield from _some(reader, reader.zip_members(handle, size))
    else:
        yield from _some(reader, reader.tar_members(partial(_open_binary, path), size))


def _some(reader: ArchiveReader, files: Iterator[InputFile]) -> Iterator[InputFile]:
    """An archive's files; an archive that yields none (empty, or only folders, dot-files and
    ``__MACOSX`` entries) is answered as a file holding no message, never as a run that
    checked nothing and found nothing wrong."""
    empty = True
    for file in files:
        empty = False
        yield file
    if empty:
        yield reader.whole(
            "holds no message file (an archive's folders, dot-files and __MACOSX entries are "
            "not read)"
        )


def _stdin(
    limits: Limits, stream: IO[bytes] | None, is_manifest: Classifier | None
) -> Iterator[InputFile]:
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
    reader = ArchiveReader(STDIN_NAME, limits, InputFile, is_manifest)
    if kind == "zip":
        yield from _some(reader, reader.zip_members(io.BytesIO(data), len(data)))
    else:
        yield from _some(reader, reader.tar_members(lambda: io.BytesIO(data), len(data)))


def iter_file(
    path: str,
    name: str,
    limits: Limits | None = None,
    is_manifest: Classifier | None = None,
    *,
    named: bool = True,
) -> Iterator[InputFile]:
    """One file on disk shown as ``name`` (an upload, a watched file): an archive member by
    member with every protection above, else the file itself. An archive or compressed file is
    known by its name, as ``customs validate FILE`` knows it, so that a file answers the same
    under the same name; one that came without a name (``named`` false: an upload that named
    none) by its first bytes, as standard input is."""
    limits = limits or Limits.from_env()
    if named:
        archive = is_archive_name(name)
    else:
        try:
            head = read_bounded(path, 511)
        except OSError as exc:
            yield InputFile(name, b"", f"cannot read file: {exc.strerror or exc}")
            return
        archive = archive_kind("", head) is not None
    if archive:
        yield from _archive(path, name, limits, is_manifest)
    else:
        yield read_file(path, name, limits)


def _directory(
    directory: str, limits: Limits, is_manifest: Classifier | None
) -> Iterator[InputFile]:
    """A directory tree: its manifests, then the rest (archives opened in their place). Each
    file is sniffed once: the second walk skips the manifests the first one read."""
    manifests: set[str] = set()
    if is_manifest is not None:
        for item in _walk(directory):
            if (
                isinstance(item, str)
                and not is_archive_name(os.path.basename(item))
                and (is_manifest(_head(item), item))
            ):
                manifests.add(item)
                yield read_file(item, item, limits)
    for item in _walk(directory):
        if not isinstance(item, str):
            yield item
        elif is_archive_name(os.path.basename(item)):
            yield from _archive(item, item, limits, is_manifest)
        elif item not in manifests:
            yield read_file(item, item, limits)


def iter_inputs(
    paths: Sequence[str],
    limits: Limits | None = None,
    stdin: IO[bytes] | None = None,
    is_manifest: Classifier | None = None,
) -> Iterator[InputFile]:
    """Every input file of ``paths``, one at a time, in the documented order.

    ``is_manifest(head, name)`` tells manifests from the first bytes of a file; without it a
    directory or archive is read in plain sorted path order.
    """
    limits = limits or Limits.from_env()
    for raw in paths:
        if raw == STDIN:
            yield from _stdin(limits, stdin, is_manifest)
        elif os.path.isdir(raw):
            yield from _directory(raw, limits, is_manifest)
        elif is_archive_name(os.path.basename(raw)):
            yield from _archive(raw, raw, limits, is_manifest)
        else:
            yield read_file(raw, raw, limits)


def count_files(paths: Sequence[str]) -> int | None:
    """How many input files ``paths`` hold, for the progress ETA; ``None`` when only reading
    would tell (standard input, tar archives)."""
    total = 0
    for raw in paths:
        if raw == STDIN:
            return None
        for file in _walk(raw) if os.path.isdir(raw) else iter([raw]):
            if not isinstance(file, str):
                total += file.skipped is None
                continue
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
