"""Reading ``.zip`` and ``.tar[.gz|.bz2|.xz]`` archives member by member, without unpacking them,
and single compressed files (``.gz``, ``.bz2``, ``.xz``) as the one file they hold.

Members are read into memory one at a time and handed on manifests first, then everything else,
each group in sorted path order (a Bill of Entry needs its manifest noted first); whether a member
is a manifest is sniffed from its first bytes. Anything hostile becomes an
:class:`~customs_engine.core.batch.inputs.InputFile` with a ``problem`` naming the member, so
the run reports it as a rejected message and carries on:

* a name that is absolute or climbs out of the archive (``..``), a symbolic or hard link, a device,
  FIFO or other special file (also a zip member whose Unix mode says so), a sparse tar member;
* a member above the per-member size bound — checked against the declared size before reading and
  against the bytes actually produced while decompressing (a zip may lie about its size);
* a zip member whose declared size is more than ``max_ratio`` times its compressed size (a zip
  bomb), and zip entries sharing their compressed data (overlapping entries). Small, very
  compressible members (below ``ratio_floor``) are not mistaken for bombs;
* more inflated bytes in one archive than its budget: ``max_ratio`` times the archive's size (at
  least ``ratio_floor``), and never above ``max_archive_bytes``. The member that would pass the
  budget is refused together with the rest of the archive;
* encrypted or corrupt members, and archives that cannot be read at all;
* an archive inside an archive: nested archives are **not followed** (depth 1).

Tar archives are read in one pass: a compressed tar is inflated once into an anonymous temporary
file (never named on disk, gone when closed) while its integrity check is verified — the gzip
CRC-32 and length, the xz and bzip2 checks. A compressed stream that fails its check, ends
before it, or inflates beyond the archive's budget (so that its check is never reached) rejects
the whole archive (one rejected response, nothing in it checked: which member is damaged cannot be
known). An uncompressed tar that ends early keeps the members before the
cut. The tar headers are then indexed by seeking (a name and two numbers per member, moved to a
temporary database past :data:`MEMBERS_IN_MEMORY` members, so memory stays flat however many);
extended headers (GNU long names, pax) above :data:`MAX_EXTENDED_HEADER` bytes refuse their
member instead of being read, and a damaged header is answered with a rejected response naming
its offset; reading goes on at the next valid header, as GNU tar does.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import re
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

from customs_engine.core.temporary import TemporaryStore

if TYPE_CHECKING:
    from customs_engine.core.batch.inputs import InputFile, Limits

#: names read as archives; a single compressed file (``.gz`` that holds no tar) is read as the one
#: file it holds, with the same inflation bounds
ARCHIVE_SUFFIXES = (
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".gz",
    ".bz2",
    ".xz",
)
_ZIP_MAGIC = b"PK\x03\x04"
#: a zip holding nothing starts with its end record
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
#: a single compressed file's name (``be.edi.gz``), not a compressed tar's
_COMPRESSED_NAME = re.compile(r"(?<!\.tar)\.(gz|bz2|xz)$", re.IGNORECASE)
#: compressed-stream magic numbers and the module that reads each
_COMPRESSED: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
#: how many first bytes of a member are read to sniff what kind of message it holds
HEAD_BYTES = 4096
#: a GNU long-name/long-link or pax header above this is refused, not read (path names are at
#: most a few KiB; nothing legitimate comes near this)
MAX_EXTENDED_HEADER = 1024 * 1024
_EXTENDED = (
    tarfile.GNUTYPE_LONGNAME,
    tarfile.GNUTYPE_LONGLINK,
    tarfile.XHDTYPE,
    tarfile.XGLTYPE,
    tarfile.SOLARIS_XHDTYPE,
)
_CHUNK = 1024 * 1024
_BLOCK = tarfile.BLOCKSIZE
#: where a tar header keeps its type flag (one byte)
_TYPE_FLAG = 156

#: ``is_manifest(head, name)``: whether a member's first bytes are a manifest's
Classifier = Callable[[bytes, str], bool]


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_kind(name: str, head: bytes) -> str | None:
    """``"zip"``, ``"tar"`` or ``None``, from the name or (for standard input) the first bytes."""
    lower = name.lower()
    if lower.endswith(".zip") or head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return "zip"
    if is_archive_name(lower) or _compression(head) is not None or head[257:262] == b"ustar":
        return "tar"
    return None


#: archive members indexed in memory before the index moves to a temporary database
MEMBERS_IN_MEMORY = 10_000


class MemberOrder(TemporaryStore):
    """The members of one archive, handed back manifests first, then by name, then by place in
    the archive (``rank``, ``name``, ``place``), each with what its reader needs (``detail``).

    Sorting needs every name at once; an archive of millions of members would hold them all, so
    past :data:`MEMBERS_IN_MEMORY` the index moves to a private temporary SQLite database, which
    sorts it (names stored as their UTF-8 bytes, undecodable ones kept with ``surrogatepass``: the
    bytes compare in the same order as the names).
    """

    schema = (
        "CREATE TABLE members (seq INTEGER PRIMARY KEY, rank INTEGER NOT NULL, name BLOB NOT NULL,"
        " place INTEGER NOT NULL, detail BLOB NOT NULL)"
    )

    def __init__(self, in_memory: int | None = None):
        self.in_memory = in_memory or MEMBERS_IN_MEMORY
        self._held: list[tuple[int, str, int, Any]] = []

    def add(self, rank: int, name: str, place: int, detail: Any) -> None:
        self._held.append((rank, name, place, detail))
        if len(self._held) >= self.in_memory:
            self._spill()

    def _spill(self) -> None:
        rows = [
            (rank, name.encode("utf-8", "surrogatepass"), place, pickle.dumps(detail))
            for rank, name, place, detail in self._held
        ]
        self._database().executemany(
            "INSERT INTO members (rank, name, place, detail) VALUES (?, ?, ?, ?)", rows
        )
        self._held.clear()

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """``(name, detail)`` of every member, in order."""
        try:
            if self._db is None:
                self._held.sort(key=lambda entry: entry[:3])
                for _rank, name, _place, detail in self._held:
                    yield name, detail
                return
            self._spill()
            for name, detail in self._db.execute(
                "SELECT name, detail FROM members ORDER BY rank, name, place, seq"
            ):
                yield name.decode("utf-8", "surrogatepass"), pickle.loads(detail)
        finally:
            self._held.clear()
            self.close()


def _compression(head: bytes) -> str | None:
    return next((kind for magic, kind in _COMPRESSED if head.startswith(magic)), None)


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
    return (
        not parts or name.endswith("/") or any(p.startswith(".") or p == "__MACOSX" for p in parts)
    )


def _parts(name: str) -> list[str]:
    """Path components (``pathlib`` would intern every one: memory growing with the archive)."""
    return [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]


def is_message_member(name: str) -> bool:
    """Whether a member yields a response: every non-skipped member, and every refused one."""
    return not _skipped(name) or member_problem(name) is not None


class _Budget:
    """Inflated bytes one archive may still produce."""

    def __init__(self, limits: Limits, compressed_size: int):
        self.total = limits.archive_budget(compressed_size)
        self.left = self.total

    def limit(self) -> str:
        return (
            f"inflates to more than {self.total} bytes (its size times "
            "CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO, at most CUSTOMS_ENGINE_MAX_ARCHIVE_BYTES)"
        )

    def refusal(self) -> str:
        """A zip member past the budget: the members before it were each verified (a zip member
        carries its own CRC), the rest is refused."""
        return (
            f"the archive {self.limit()}: the rest of the archive is refused, from this member "
            "on (decompression bomb defence)"
        )


@dataclass(frozen=True)
class ArchiveReader:
    """Streams the members of one archive as input files named ``<archive>!<member>``."""

    name: str
    limits: Limits
    make_file: Callable[..., InputFile]
    is_manifest: Classifier | None = None

    def member(self, member: str, data: bytes = b"", problem: str | None = None) -> InputFile:
        return self.make_file(f"{self.name}!{member}", data, problem)

    def refused(self, member: str, why: str) -> InputFile:
        return self.member(member, problem=f"archive member {member!r} of {self.name}: {why}")

    def damaged(self, offset: int, why: str) -> InputFile:
        return self.make_file(f"{self.name}!<offset {offset}>", b"", f"archive {self.name}: {why}")

    def whole(self, why: str) -> InputFile:
        return self.make_file(self.name, b"", f"archive {self.name} {why}")

    def rank(self, head: bytes, name: str) -> int:
        """0 for a manifest, 1 for anything else."""
        return 0 if self.is_manifest is not None and self.is_manifest(head, name) else 1

    # -- zip ------------------------------------------------------------------------------------

    def zip_members(self, source: IO[bytes], compressed_size: int) -> Iterator[InputFile]:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            yield self.whole(f"is not a readable zip archive: {exc}")
            return
        budget = _Budget(self.limits, compressed_size)
        with archive:
            overlapping = _overlapping(archive.infolist())
            ranked = MemberOrder()
            for index, info in enumerate(archive.infolist()):
                if not is_message_member(info.filename):
                    continue
                why = overlapping.get(index) or self._zip_problem(info)
                rank = 1 if why is not None else self.rank(_zip_head(archive, info), info.filename)
                ranked.add(rank, info.filename, index, (index, why))
            infos = archive.infolist()
            for name, (index, why) in ranked:
                info = infos[index]
                if why is not None:
                    yield self.refused(name, why)
                    continue
                if info.file_size > budget.left:
                    yield self.refused(name, budget.refusal())
                    return
                budget.left -= info.file_size
                yield self._zip_member(archive, info)

    def _zip_problem(self, info: zipfile.ZipInfo) -> str | None:
        name = info.filename
        mode = info.external_attr >> 16
        why = member_problem(name)
        if why is None and stat.S_ISLNK(mode):
            why = "symbolic link refused"
        elif (
            why is None
            and info.create_system == 3
            and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR)
        ):
            why = "special file refused (the zip marks it a device, FIFO or socket)"
        elif why is None and info.flag_bits & 0x1:
            why = "encrypted member refused"
        if why is None:
            why = self.limits.size_problem(info.file_size)
        if (
            why is None
            and info.file_size > self.limits.ratio_floor
            and (info.file_size > self.limits.max_ratio * max(info.compress_size, 1))
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            why = (
                f"compression ratio {ratio}:1 is above {self.limits.max_ratio}:1 "
                "(zip bomb defence, CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO)"
            )
        return why

    def _zip_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> InputFile:
        name = info.filename
        try:
            with archive.open(info) as stream:
                data = self._read_bounded(stream, info.file_size)
        except _ZIP_ERRORS as exc:
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

    def tar_members(
        self, open_source: Callable[[], IO[bytes]], compressed_size: int
    ) -> Iterator[InputFile]:
        budget = _Budget(self.limits, compressed_size)
        with open_source() as raw:
            kind = _compression(raw.read(8))
            raw.seek(0)
            if kind is None:
                if _COMPRESSED_NAME.search(self.name) and not _holds_tar(raw.read(_BLOCK)):
                    # named as compressed but not: the message file it is (it was read so)
                    raw.seek(0)
                    yield self._single(raw)
                    return
                raw.seek(0)
                yield from self._tar_index(raw)
                return
            with tempfile.TemporaryFile() as spill:
                fatal = _inflate(raw, kind, spill, budget)
                if fatal is not None:
                    yield self.whole(f"{fatal}; nothing in it was checked")
                    return
                spill.seek(0)
                if not _holds_tar(spill.read(_BLOCK)):
                    yield self._single(spill)
                    return
                spill.seek(0)
                yield from self._tar_index(spill)

    def _single(self, spill: IO[bytes]) -> InputFile:
        """A compressed file that holds no tar archive (``be-0001.edi.gz``): the one message file
        it holds, answered under the compressed file's own name."""
        size = spill.seek(0, 2)
        why = self.limits.size_problem(size)
        if why is not None:
            return self.make_file(self.name, b"", f"{self.name} inflates to {why}")
        spill.seek(0)
        return self.make_file(self.name, spill.read())

    def _tar_index(self, source: IO[bytes]) -> Iterator[InputFile]:
        """Index the headers of an uncompressed, seekable tar, then yield members in order."""
        end = source.seek(0, 2)
        reader = _HeaderReader(source)
        entries = MemberOrder()
        trailing: list[InputFile] = []
        oversized = _oversized(source, 0)
        if oversized is not None:
            trailing.append(self._skip_oversized(reader, 0, oversized))
        source.seek(reader.offset)
        try:
            tar = tarfile.open(fileobj=cast(IO[bytes], reader), mode="r:")  # noqa: SIM115 - nothing to close
        except _TAR_ERRORS as exc:
            if not trailing:
                yield self.whole(f"is not a readable tar archive: {exc}")
                return
            tar = None
        if tar is not None:
            tar.members = []  # type: ignore[attr-defined]  # one header at a time
            self._tar_headers(tar, reader, end, entries, trailing)
        for name, (offset, size, why) in entries:
            if why is not None:
                yield self.refused(name, why)
                continue
            source.seek(offset)
            data = source.read(size)
            if len(data) < size:
                yield self.refused(name, "is cut short: the archive ends inside it")
                continue
            yield self.member(name, data)
        yield from trailing

    def _tar_headers(
        self,
        tar: tarfile.TarFile,
        reader: _HeaderReader,
        end: int,
        entries: MemberOrder,
        trailing: list[InputFile],
    ) -> None:
        while True:
            offset = tar.offset
            # (the first member was read when the archive was opened: tar.next() returns it)
            first_pending = getattr(tar, "firstmember", None) is not None
            oversized = None if first_pending else _oversized(reader.raw, offset)
            if oversized is not None:
                trailing.append(self._skip_oversized(reader, offset, oversized))
                tar.offset = reader.offset
                if tar.offset >= end:
                    return
                continue
            error: str | None = None
            try:
                info = tar.next()
            except _TAR_ERRORS as exc:
                info, error = None, str(exc)
            tar.members = []  # type: ignore[attr-defined]
            if info is None:
                resume = self._after_last_header(tar.offset, end, error, reader.raw, trailing)
                if resume is None:
                    return
                tar.offset = resume
                continue
            if info.isdir() or not is_message_member(info.name):
                continue
            why = self._tar_problem(info)
            if why is None and info.offset_data + info.size > end:
                why = "is cut short: the archive ends inside it"
                entries.add(1, info.name, 0, (0, 0, why))
                return
            head = b""
            if why is None and self.is_manifest is not None:
                reader.raw.seek(info.offset_data)
                head = reader.raw.read(min(info.size, HEAD_BYTES))
            rank = 1 if why else self.rank(head, info.name)
            entries.add(rank, info.name, info.offset_data, (info.offset_data, info.size, why))

    def _after_last_header(
        self,
        offset: int,
        end: int,
        error: str | None,
        raw: IO[bytes],
        trailing: list[InputFile],
    ) -> int | None:
        """At a header tarfile could not read: the real end, or damage. Returns where the next
        valid header starts (read on), or ``None`` to stop."""
        raw.seek(offset)
        block = raw.read(_BLOCK)
        if not block.strip(b"\0") and error is None:
            garbage = _first_nonzero(raw, offset + len(block), end)
            if garbage is not None:
                trailing.append(
                    self.damaged(
                        garbage,
                        (
                            f"{end - garbage} bytes of data follow the end-of-archive marker "
                            "at offset "
                            f"{offset} (a damaged or zeroed header?): not read"
                        ),
                    )
                )
            return None
        if len(block) < _BLOCK:
            trailing.append(
                self.damaged(
                    offset, f"is truncated: {len(block)} bytes of a header at offset {offset}"
                )
            )
            return None
        header = _header_at(block)
        if header is not None and header.type in _EXTENDED:
            # a long-name or pax header chain tarfile could not read: skip it and its member
            trailing.append(
                self.damaged(
                    offset,
                    (
                        f"the extended header at offset {offset} cannot be read ({error}): "
                        "its member "
                        "is refused unread"
                    ),
                )
            )
            after = _skip_member(raw, offset)
            return after if after < end else None
        resume = _next_header(raw, offset + _BLOCK, end)
        detail = f" ({error})" if error else ""
        if resume is None:
            trailing.append(
                self.damaged(
                    offset,
                    (
                        f"damaged tar header at offset {offset}{detail}; no valid header follows "
                        f"({end - offset} bytes not read)"
                    ),
                )
            )
            return None
        trailing.append(
            self.damaged(
                offset,
                (
                    f"damaged tar header at offset {offset}{detail}: "
                    "the member it starts is refused; "
                    f"reading goes on at the next valid header, offset {resume}"
                ),
            )
        )
        return resume

    def _skip_oversized(self, reader: _HeaderReader, offset: int, size: int) -> InputFile:
        """Skip an extended header too large to read and the member it belongs to."""
        reader.offset = _skip_member(reader.raw, offset)
        return self.damaged(
            offset,
            (
                f"the extended (long name or pax) header at offset {offset} is {size} bytes, above "
                f"the {MAX_EXTENDED_HEADER}-byte bound: its member is refused unread"
            ),
        )

    def _tar_problem(self, info: tarfile.TarInfo) -> str | None:
        why = member_problem(info.name)
        if why is None and info.issym():
            why = f"symbolic link refused (to {info.linkname!r})"
        elif why is None and info.islnk():
            why = f"hard link refused (to {info.linkname!r})"
        elif why is None and info.issparse():
            why = "sparse member refused"
        elif why is None and not info.isfile():
            why = "special file refused (device, FIFO or other non-regular member)"
        return why or self.limits.size_problem(info.size)


#: what reading a damaged archive or compressed stream raises
_STREAM_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, lzma.LZMAError)
_ZIP_ERRORS = (*_STREAM_ERRORS, NotImplementedError, RuntimeError)
_TAR_ERRORS = (tarfile.TarError, *_STREAM_ERRORS, UnicodeError)


def _zip_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as stream:
            return stream.read(HEAD_BYTES)
    except _ZIP_ERRORS:
        return b""  # reading it in full reports the problem


def _overlapping(infos: list[zipfile.ZipInfo]) -> dict[int, str]:
    """Entries whose data lies inside an earlier entry's (the central directory can point many
    entries at one member: a small file inflating without bound)."""
    problems: dict[int, str] = {}
    order = sorted(range(len(infos)), key=lambda i: infos[i].header_offset)
    previous: zipfile.ZipInfo | None = None
    for index in order:
        info = infos[index]
        if previous is not None and info.header_offset < (
            previous.header_offset + 30 + previous.compress_size
        ):
            problems[index] = (
                f"shares its data with member {previous.filename!r} "
                "(overlapping zip entries: zip bomb defence)"
            )
            continue
        previous = info
    return problems


def _holds_tar(block: bytes) -> bool:
    """Whether an inflated stream starting with ``block`` is a tar archive: a POSIX or GNU
    header, an old-style header whose checksum holds, or the zero blocks of an empty archive."""
    if block[257:262] == b"ustar" or (len(block) == _BLOCK and not block.strip(b"\0")):
        return True
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except _TAR_ERRORS:
        return False
    return True


def _inflate(raw: IO[bytes], kind: str, spill: IO[bytes], budget: _Budget) -> str | None:
    """Decompress ``raw`` into ``spill`` within the budget. Returns why nothing of it may be
    used (``None``: all of it may): the stream is corrupt, or it inflates beyond the budget —
    its integrity check, at the end, is then never reached."""
    opener: Callable[[IO[bytes]], Any] = {
        "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
        "bzip2": lambda f: bz2.BZ2File(f),
        "xz": lambda f: lzma.LZMAFile(f),  # noqa: SIM115 - opened by the with below
    }[kind]
    written = 0
    try:
        with opener(raw) as stream:
            while True:
                chunk = stream.read(min(_CHUNK, budget.left + 1))
                if not chunk:
                    return None
                if len(chunk) > budget.left:
                    return (
                        f"{budget.limit()}, so its {kind} integrity check is never reached "
                        "(decompression bomb defence)"
                    )
                spill.write(chunk)
                written += len(chunk)
                budget.left -= len(chunk)
    except EOFError as exc:
        # the integrity check at the end was never reached: nothing before it is verified
        return f"is corrupt: its {kind} stream ends early after {written} inflated bytes ({exc})"
    except _ZIP_ERRORS as exc:
        return f"is corrupt: its {kind} stream fails after {written} inflated bytes: {exc}"


class _HeaderReader:
    """The tar file as ``tarfile`` sees it while reading headers: a read larger than an extended
    header may be (a long name or pax header declaring gigabytes) fails instead of allocating."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > MAX_EXTENDED_HEADER:
            raise tarfile.HeaderError(f"a header read of {size} bytes is above the bound")
        return self.raw.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def _oversized(raw: IO[bytes], offset: int) -> int | None:
    """The size of the extended header at ``offset`` when it is above the bound."""
    raw.seek(offset)
    block = raw.read(_BLOCK)
    if block[_TYPE_FLAG : _TYPE_FLAG + 1] not in _EXTENDED:  # most members: no second parse
        return None
    info = _header_at(block)
    if info is not None and info.type in _EXTENDED and info.size > MAX_EXTENDED_HEADER:
        return info.size
    return None


def _header_at(block: bytes) -> tarfile.TarInfo | None:
    if len(block) < _BLOCK or not block.strip(b"\0"):
        return None
    try:
        return tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
    except (tarfile.HeaderError, ValueError, UnicodeError):
        return None


def _padded(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


def _skip_member(raw: IO[bytes], offset: int) -> int:
    """Offset after the extended headers starting at ``offset`` and the member they precede."""
    while True:
        raw.seek(offset)
        info = _header_at(raw.read(_BLOCK))
        if info is None:
            return offset
        offset += _BLOCK + (
            _padded(info.size)
            if info.type in _EXTENDED or info.isreg() or info.type not in tarfile.SUPPORTED_TYPES
            else 0
        )
        if info.type not in _EXTENDED:
            return offset


def _next_header(raw: IO[bytes], offset: int, end: int) -> int | None:
    """The first block at or after ``offset`` that is a valid tar header (GNU tar resyncs so)."""
    while offset + _BLOCK <= end:
        raw.seek(offset)
        if _header_at(raw.read(_BLOCK)) is not None:
            return offset
        offset += _BLOCK
    return None


def _first_nonzero(raw: IO[bytes], offset: int, end: int) -> int | None:
    raw.seek(offset)
    while offset < end:
        chunk = raw.read(_CHUNK)
        if not chunk:
            return None
        stripped = chunk.lstrip(b"\0")
        if stripped:
            return offset + len(chunk) - len(stripped)
        offset += len(chunk)
    return None
