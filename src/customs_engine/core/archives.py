"""Reading ``.zip`` and ``.tar[.gz|.bz2|.xz]`` archives member by member, without unpacking them.

Members are streamed into memory one at a time (never written to disk) and handed on in sorted
path order. Anything hostile becomes an :class:`~customs_engine.core.inputs.InputFile` with a
``problem`` naming the member, so the run reports it as a rejected message and carries on:

* a name that is absolute or climbs out of the archive (``..``), a symbolic or hard link, a device
  or other special file;
* a member above the per-member size bound — checked against the declared size before reading and
  against the bytes actually produced while decompressing (a zip may lie about its size);
* a zip member whose declared size is more than ``max_ratio`` times its compressed size (a zip
  bomb); a tar member declaring more than ``max_ratio`` times the whole compressed archive stops
  the archive (skipping it would mean inflating it). Both apply above ``ratio_floor`` bytes, so
  small, very compressible messages are not mistaken for bombs;
* encrypted or corrupt members, and archives that cannot be read at all;
* an archive inside an archive: nested archives are **not followed** (depth 1), which also defuses
  recursive bombs such as 42.zip.

Order: zip members are sorted from the central directory. A tar stream has no index, so a first
pass over its headers checks whether the members are already in sorted order (memory O(1)); if
they are — the usual case for archives written by tools, and for ``tar --sort=name`` — a second
pass streams them. Otherwise a header index is built and members are read by seeking, which costs
memory per member and, for compressed tars, repeated decompression: such archives are correct but
slow.
"""

from __future__ import annotations

import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from customs_engine.core.inputs import InputFile, Limits

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_kind(name: str, head: bytes) -> str | None:
    """``"zip"``, ``"tar"`` or ``None``, from the name or (for standard input) the first bytes."""
    lower = name.lower()
    if lower.endswith(".zip") or head.startswith(_ZIP_MAGIC):
        return "zip"
    if is_archive_name(lower) or head.startswith(_GZIP_MAGIC) or head[257:262] == b"ustar":
        return "tar"
    return None


def member_problem(name: str) -> str | None:
    """Why a member name is refused, or ``None``. Backslashes count as separators (Windows zips)."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "absolute path refused (archive members must be relative)"
    if ".." in _parts(name):
        return "path traversal refused ('..' would leave the archive)"
    if is_archive_name(normal):
        return "nested archive not followed (archives are opened one level deep)"
    return None


def _skipped(name: str) -> bool:
    """Directories and hidden files (``.DS_Store``, ``__MACOSX/._x``) are not messages."""
    parts = _parts(name)
    return not parts or name.endswith("/") or any(
        p.startswith(".") or p == "__MACOSX" for p in parts)


def _parts(name: str) -> list[str]:
    """Path components (``pathlib`` would intern every one: memory growing with the archive)."""
    return [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]


def is_message_member(name: str) -> bool:
    """Whether a member yields a response: every non-skipped member, and every refused one."""
    return not _skipped(name) or member_problem(name) is not None


@dataclass(frozen=True)
class ArchiveReader:
    """Streams the members of one archive as input files named ``<archive>!<member>``."""

    name: str
    limits: Limits
    make_file: Callable[..., InputFile]

    def member(self, member: str, data: bytes = b"", problem: str | None = None) -> InputFile:
        return self.make_file(f"{self.name}!{member}", data, problem)

    def refused(self, member: str, why: str) -> InputFile:
        return self.member(member, problem=f"archive member {member!r} of {self.name}: {why}")

    def whole(self, why: str) -> InputFile:
        return self.make_file(self.name, b"", f"archive {self.name} {why}")

    # -- zip ------------------------------------------------------------------------------------

    def zip_members(self, source: IO[bytes]) -> Iterator[InputFile]:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            yield self.whole(f"is not a readable zip archive: {exc}")
            return
        with archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if is_message_member(info.filename):
                    yield self._zip_member(archive, info)

    def _zip_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> InputFile:
        name = info.filename
        mode = info.external_attr >> 16
        why = member_problem(name)
        if why is None and stat.S_ISLNK(mode):
            why = "symbolic link refused"
        elif why is None and info.flag_bits & 0x1:
            why = "encrypted member refused"
        if why is None:
            why = self.limits.size_problem(info.file_size)
        if why is None and info.file_size > self.limits.ratio_floor and (
                info.file_size > self.limits.max_ratio * max(info.compress_size, 1)):
            ratio = info.file_size // max(info.compress_size, 1)
            why = (f"compression ratio {ratio}:1 is above {self.limits.max_ratio}:1 "
                   "(zip bomb defence, CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO)")
        if why is not None:
            return self.refused(name, why)
        try:
            with archive.open(info) as stream:
                data = self._read_bounded(stream, info.file_size)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
                ValueError) as exc:
            return self.refused(name, f"cannot be read: {exc}")
        if isinstance(data, str):
            return self.refused(name, data)
        return self.member(name, data)

    def _read_bounded(self, stream: IO[bytes], declared: int) -> bytes | str:
        """The member's bytes, or why not: never more than the declared size and the bound.

        The declared size is checked against the bound before this is called, so one read of
        at most ``bound + 1`` bytes is safe; a member producing more than it declared is refused.
        """
        limit = min(declared, self.limits.max_file_bytes)
        data = stream.read(limit + 1)
        if len(data) <= limit:
            return data
        if limit == declared:
            return f"decompresses beyond its declared {declared} bytes"
        return self.limits.size_problem(len(data)) or "too large"

    # -- tar ------------------------------------------------------------------------------------

    def tar_members(self, open_source: Callable[[], IO[bytes]], compressed_size: int
                    ) -> Iterator[InputFile]:
        try:
            in_order = self._tar_in_order(open_source)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            yield self.whole(f"is not a readable tar archive: {exc}")
            return
        with open_source() as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            try:
                members = (_headers(tar) if in_order
                           else iter(sorted(_headers(tar, keep=True), key=lambda m: m.name)))
                for info in members:
                    if info.isdir() or not is_message_member(info.name):
                        continue
                    if info.size > self.limits.ratio_floor and (
                            info.size > self.limits.max_ratio * max(compressed_size, 1)):
                        yield self.refused(info.name, f"declares {info.size} bytes, more than "
                                           f"{self.limits.max_ratio} times the compressed "
                                           "archive: the rest of the archive is refused "
                                           "(decompression bomb defence)")
                        return
                    yield self._tar_member(tar, info)
            except (tarfile.TarError, OSError, EOFError) as exc:
                yield self.whole(f"is truncated or corrupt: {exc}")

    def _tar_in_order(self, open_source: Callable[[], IO[bytes]]) -> bool:
        """Whether the members are already sorted; raises only if this is not a tar at all.

        Damage further on is left to the second pass, which reports it after the members before.
        """
        previous = ""
        with open_source() as raw, tarfile.open(fileobj=raw, mode="r:*") as tar:
            try:
                for info in _headers(tar):
                    if info.name < previous:
                        return False
                    previous = info.name
            except (tarfile.TarError, OSError, EOFError):
                pass
        return True

    def _tar_member(self, tar: tarfile.TarFile, info: tarfile.TarInfo) -> InputFile:
        name = info.name
        why = member_problem(name)
        if why is None and info.issym():
            why = f"symbolic link refused (to {info.linkname!r})"
        elif why is None and info.islnk():
            why = f"hard link refused (to {info.linkname!r})"
        elif why is None and not info.isfile():
            why = "special file refused (device, FIFO or other non-regular member)"
        if why is None:
            why = self.limits.size_problem(info.size)
        if why is not None:
            return self.refused(name, why)
        stream = tar.extractfile(info)
        if stream is None:
            return self.refused(name, "has no data")
        data = self._read_bounded(stream, info.size)
        if isinstance(data, str):
            return self.refused(name, data)
        return self.member(name, data)


def _headers(tar: tarfile.TarFile, *, keep: bool = False) -> Iterator[tarfile.TarInfo]:
    """Tar headers one by one; ``TarFile`` keeps every header it reads, so drop them as we go."""
    kept: list[tarfile.TarInfo] = []
    while True:
        info = tar.next()
        tar.members = []  # type: ignore[attr-defined]
        if info is None:
            break
        if keep:
            kept.append(info)
        else:
            yield info
    yield from kept
