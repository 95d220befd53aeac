"""Archives built in the test's temporary directory from the project's example messages
(the ``mixed_zip`` / ``mixed_tar`` fixtures of ``tests/conftest.py`` use them)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from customs_engine.testing import make_engine, render
from tests.conftest import MESSAGES

NOT_A_MESSAGE = b"this is a note, not a customs message\n"
BROKEN_XML = b"<BillOfEntry xmlns='urn:customs-engine:icegate:v1'><PortCode>INNSA1"
EXAMPLE_FILES = len(list(MESSAGES.glob("*.xml")))
#: messages in the examples: a file may hold several under <Messages>
EXAMPLE_MESSAGES = sum(
    p.read_bytes().count(b"<BillOfEntry ") + p.read_bytes().count(b"<ImportGeneralManifest ")
    for p in MESSAGES.glob("*.xml")
)
#: the mixed archives: every example message, a non-message, a broken and an EDIFACT member
MIXED_MESSAGES = EXAMPLE_MESSAGES + 3


def as_edifact(path: Path) -> bytes:
    """An example message rendered as UN/EDIFACT by the installed adapter (``customs convert``)."""
    (parsed,) = make_engine().parse(path.read_bytes(), path.name)
    assert parsed.message is not None
    return render(parsed.message, "edifact")


def mixed_members() -> list[tuple[str, bytes]]:
    """Every example message (one in a nested directory), one of them again as EDIFACT, a
    non-message and a broken member."""
    members = [(f"2026/03/{p.name}", p.read_bytes()) for p in sorted(MESSAGES.glob("*.xml"))]
    members[0] = (f"2026/03/deeper/{Path(members[0][0]).name}", members[0][1])
    members += [
        ("2026/03/notes.txt", NOT_A_MESSAGE),
        ("2026/broken.xml", BROKEN_XML),
        ("2026/04/be-laptops.edi", as_edifact(MESSAGES / "02-be-laptops-ims.xml")),
    ]
    return members


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def write_overlapping_zip(path: Path, member: bytes, copies: int) -> Path:
    """A zip whose central directory lists ``member`` (``a.xml``) and then ``copies`` more
    entries (``copyNN.xml``) that all point at the same compressed bytes: a zip bomb by
    overlapping entries."""
    width = len(str(copies))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", member)
        first = archive.filelist[0]
        for n in range(copies):
            clone = zipfile.ZipInfo(f"copy{n:0{width}d}.xml", first.date_time)
            for attr in (
                "compress_type",
                "CRC",
                "compress_size",
                "file_size",
                "header_offset",
                "external_attr",
                "flag_bits",
                "create_system",
            ):
                setattr(clone, attr, getattr(first, attr))
            archive.filelist.append(clone)
    return path


def write_tar(
    path: Path,
    members: list[tuple[str, bytes]],
    special: Callable[[tarfile.TarFile], None] | None = None,
) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if special is not None:
            special(archive)
    return path
