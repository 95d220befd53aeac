"""Hostile inputs (issue 18): damaged and lying archives, special files, output errors, order."""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import stat
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from customs_engine.core.batch.archives import MAX_EXTENDED_HEADER, ArchiveReader
from customs_engine.core.batch.inputs import InputFile, Limits, iter_inputs
from tests.archives import write_overlapping_zip, write_zip
from tests.conftest import MESSAGES, customs

GOOD = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
IGM = (MESSAGES / "01-igm-innsa1-2234567.xml").read_bytes()


def run_jsonl(*args: str, **kwargs) -> tuple[subprocess.CompletedProcess[bytes], list[dict]]:
    result = customs("validate", "--format", "jsonl", "--no-progress", *args, **kwargs)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def tar_bytes(members: list[tuple[str, bytes]], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def entry(name: str, data: bytes) -> bytes:
    """One tar member: its header and its data padded to the block size."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(tarfile.USTAR_FORMAT) + data + bytes(-len(data) % 512)


def members_of(path: Path, limits: Limits | None = None) -> list[InputFile]:
    return list(iter_inputs([str(path)], limits))


# -- item 5: a damaged tar header -------------------------------------------------------------


def test_damaged_tar_header_is_answered_with_its_offset_and_reading_goes_on(tmp_path: Path) -> None:
    raw = bytearray(tar_bytes([("a.xml", GOOD), ("b.xml", GOOD), ("c.xml", GOOD)]))
    second = 512 + -(-len(GOOD) // 512) * 512
    raw[second + 148 : second + 156] = b"0000000\0"  # wrong header checksum
    path = tmp_path / "damaged.tar"
    path.write_bytes(bytes(raw))
    result, out = run_jsonl(str(path), cwd=tmp_path)
    assert result.returncode == 1
    sources = [r["message"]["source"] for r in out]
    assert sources == [f"{path}!a.xml", f"{path}!c.xml", f"{path}!<offset {second}>"]
    damaged = out[2]
    assert damaged["status"] == "rejected"
    assert f"damaged tar header at offset {second}" in damaged["findings"][0]["message"]


def test_data_after_a_zeroed_header_is_reported_not_dropped(tmp_path: Path) -> None:
    raw = bytearray(tar_bytes([("a.xml", GOOD), ("b.xml", GOOD)]))
    second = 512 + -(-len(GOOD) // 512) * 512
    raw[second : second + 512] = bytes(512)  # looks like the end-of-archive marker
    path = tmp_path / "zeroed.tar"
    path.write_bytes(bytes(raw))
    _, out = run_jsonl(str(path), cwd=tmp_path)
    assert out[0]["message"]["source"] == f"{path}!a.xml"
    assert "follow the end-of-archive marker" in out[1]["findings"][0]["message"]


# -- item 7: the gzip CRC ---------------------------------------------------------------------


def test_gzip_crc_of_a_tar_gz_is_checked_before_anything_is_used(tmp_path: Path) -> None:
    raw = tar_bytes([("a.xml", GOOD), ("b.xml", GOOD)])
    stored = bytearray(gzip.compress(raw, compresslevel=0))  # stored blocks: bytes in the clear
    at = stored.index(b">60</Quantity>") + 1
    stored[at] = ord("9") if stored[at] != ord("9") else ord("8")
    path = tmp_path / "flipped.tar.gz"
    path.write_bytes(bytes(stored))
    result, out = run_jsonl(str(path), cwd=tmp_path)
    assert result.returncode == 1
    (only,) = out
    assert only["message"]["source"] == str(path) and only["status"] == "rejected"
    message = only["findings"][0]["message"]
    assert "CRC" in message and "nothing in it was checked" in message


# -- item 13: oversized extended headers ------------------------------------------------------


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE])
def test_oversized_long_name_or_pax_header_refuses_its_member_unread(
    tmp_path: Path, kind: bytes
) -> None:
    size = 2 * MAX_EXTENDED_HEADER
    header = tarfile.TarInfo("././@LongLink")
    header.type = kind
    header.size = size
    bogus = header.tobuf(tarfile.USTAR_FORMAT) + b"a" * size
    raw = entry("a.xml", GOOD) + bogus + entry("victim.xml", GOOD) + tar_bytes([("z.xml", GOOD)])
    path = tmp_path / "long.tar"
    path.write_bytes(raw)
    files = members_of(path)
    names = [f.name.split("!", 1)[1] for f in files]
    offset = 512 + -(-len(GOOD) // 512) * 512
    assert names == ["a.xml", "z.xml", f"<offset {offset}>"]
    assert f"above the {MAX_EXTENDED_HEADER}-byte bound" in (files[2].problem or "")


# -- item 14: amplification and one pass ------------------------------------------------------


def test_overlapping_zip_entries_are_refused(tmp_path: Path) -> None:
    path = write_overlapping_zip(tmp_path / "overlap.zip", GOOD, 50)
    files = members_of(path)
    assert files[0].name.endswith("!a.xml") and files[0].problem is None
    assert len(files) == 51
    assert all("overlapping zip entries" in (f.problem or "") for f in files[1:])


def test_total_inflated_bytes_of_an_archive_are_bounded(tmp_path: Path) -> None:
    members = [(f"m{n}.xml", GOOD) for n in range(10)]
    limits = Limits(max_archive_bytes=3 * len(GOOD) + 10)
    zipped = members_of(write_zip(tmp_path / "many.zip", members), limits)
    assert [f.problem is None for f in zipped] == [True, True, True, False]
    assert "the rest of the archive is refused" in (zipped[3].problem or "")
    # a compressed tar cannot be verified before its end: past the budget, none of it is used
    tgz = tmp_path / "many.tar.gz"
    tgz.write_bytes(gzip.compress(tar_bytes(members)))
    (whole,) = members_of(tgz, Limits(max_archive_bytes=3 * 512 + 3 * len(GOOD)))
    assert "inflates to more than" in (whole.problem or "")
    assert "nothing in it was checked" in (whole.problem or "")


class CountingBytes(io.BytesIO):
    def __init__(self, data: bytes, counter: list[int]):
        super().__init__(data)
        self.counter = counter

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.counter[0] += len(chunk)
        return chunk


def test_reverse_sorted_tar_gz_is_inflated_once(tmp_path: Path) -> None:
    members = [(f"m{n:04d}.xml", GOOD) for n in reversed(range(300))]
    data = gzip.compress(tar_bytes(members))
    counter = [0]
    reader = ArchiveReader("r.tar.gz", Limits(), InputFile)
    files = list(reader.tar_members(lambda: CountingBytes(data, counter), len(data)))
    assert [f.name for f in files] == [f"r.tar.gz!m{n:04d}.xml" for n in range(300)]
    # before: one pass to check the order, then a seek (re-inflating from the start) per member
    assert counter[0] <= len(data) + 64


# -- item 15: corrupt compressed data ---------------------------------------------------------


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_corrupt_zip_member_stream_is_that_member_rejected(tmp_path: Path, method: int) -> None:
    path = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("a.xml", GOOD)
        archive.writestr("b.xml", GOOD)
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("a.xml")
    start = info.header_offset + 30 + len("a.xml")
    for at in range(start + 2, start + 40):
        raw[at] ^= 0x55
    path.write_bytes(bytes(raw))
    _, out = run_jsonl(str(path), str(MESSAGES / "02-be-laptops-ims.xml"), cwd=tmp_path)
    by_source = {r["message"]["source"]: r for r in out}
    assert by_source[f"{path}!a.xml"]["status"] == "rejected"
    assert "cannot be read" in by_source[f"{path}!a.xml"]["findings"][0]["message"]
    assert by_source[f"{path}!b.xml"]["message"]["type"] == "bill_of_entry"
    assert str(MESSAGES / "02-be-laptops-ims.xml") in by_source  # the run went on


def test_corrupt_tar_xz_is_one_rejected_response_and_the_run_goes_on(tmp_path: Path) -> None:
    raw = bytearray(lzma.compress(tar_bytes([("a.xml", GOOD)])))
    for at in range(40, 80):
        raw[at] ^= 0x55
    path = tmp_path / "corrupt.tar.xz"
    path.write_bytes(bytes(raw))
    _, out = run_jsonl(str(path), str(MESSAGES / "02-be-laptops-ims.xml"), cwd=tmp_path)
    assert [r["message"]["source"] for r in out] == [
        str(path),
        str(MESSAGES / "02-be-laptops-ims.xml"),
    ]
    assert "is corrupt" in out[0]["findings"][0]["message"]


# -- item 22: zip special files, compressed tars on stdin, escaped names ----------------------


def test_zip_member_marked_as_fifo_or_device_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "special.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, kind in (("fifo.xml", stat.S_IFIFO), ("dev.xml", stat.S_IFCHR)):
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (kind | 0o644) << 16
            archive.writestr(info, GOOD)
    files = members_of(path)
    assert len(files) == 2 and all("special file refused" in (f.problem or "") for f in files)


@pytest.mark.parametrize("compress", [lzma.compress, __import__("bz2").compress, gzip.compress])
def test_compressed_tar_on_standard_input_is_recognised(compress) -> None:
    blob = compress(tar_bytes([("b.xml", GOOD), ("a.xml", GOOD)]))
    files = list(iter_inputs(["-"], stdin=io.BytesIO(blob)))
    assert [f.name for f in files] == ["<stdin>!a.xml", "<stdin>!b.xml"]


def test_member_names_cannot_inject_lines_into_text_output(tmp_path: Path) -> None:
    evil = "x\n<stdin>!ok.xml #0 bill_of_entry BE-1: ACCEPTED\x1b[32m"
    path = write_zip(tmp_path / "names.zip", [(evil, b"not a message")])
    result = customs("validate", "--no-progress", str(path), cwd=tmp_path)
    lines = result.stdout.decode().splitlines()
    assert lines[0].endswith(": REJECTED") and "\\n" in lines[0] and "\\x1b" in lines[0]
    assert not any(line.startswith("<stdin>") for line in lines)
    assert b"\x1b" not in result.stdout


# -- items 6 and 18: directory walks and special files ----------------------------------------


def test_skipped_directory_entries_are_listed_in_the_summary(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "be.xml").write_bytes(GOOD)
    (tmp_path / "in" / ".hidden.xml").write_bytes(GOOD)
    (tmp_path / "in" / "link.xml").symlink_to(tmp_path / "in" / "be.xml")
    os.mkfifo(tmp_path / "in" / "pipe.xml")
    result, out = run_jsonl(str(tmp_path / "in"), cwd=tmp_path)
    assert [r["message"]["source"] for r in out] == [str(tmp_path / "in" / "be.xml")]
    summary = result.stderr.decode()
    assert "skipped, not read:  3" in summary
    assert f"{tmp_path}/in/.hidden.xml: hidden (dot-file)" in summary
    assert f"{tmp_path}/in/link.xml: symbolic link, not followed" in summary
    assert f"{tmp_path}/in/pipe.xml: FIFO, not a regular file" in summary


def test_unreadable_sub_directory_is_a_rejected_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "z.xml").write_bytes(GOOD)
    real = os.scandir

    def scandir(path):  # root may read anything: the refusal is simulated
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files = list(iter_inputs([str(tmp_path)]))
    assert [(f.name, f.problem) for f in files] == [
        (f"{tmp_path}/locked", "cannot read directory: Permission denied"),
        (f"{tmp_path}/z.xml", None),
    ]


@pytest.mark.parametrize("where", ["path", "config", "convert"])
def test_fifo_and_dev_zero_are_refused_without_hanging(tmp_path: Path, where: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for special in (str(fifo), "/dev/zero"):
        args = {
            "path": ["validate", special],
            "config": ["validate", "--config", special, str(MESSAGES / "02-be-laptops-ims.xml")],
            "convert": ["convert", special, "--to", "xml"],
        }[where]
        started = time.monotonic()
        result = customs(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr.decode()
        assert b"Traceback" not in result.stderr and b"MemoryError" not in result.stderr
        assert time.monotonic() - started < 60


# -- item 19: output errors -------------------------------------------------------------------


def test_full_disk_output_is_exit_2_with_a_message(tmp_path: Path) -> None:
    result = customs(
        "validate", "-o", "/dev/full", str(MESSAGES / "02-be-laptops-ims.xml"), cwd=tmp_path
    )
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"cannot write /dev/full: No space left on device" in result.stderr
    with open("/dev/full", "wb") as full:
        stdout_full = subprocess.run(
            [sys.executable, "-m", "customs_engine.cli", "validate", str(MESSAGES)],
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=120,
        )
    assert stdout_full.returncode == 2 and b"Traceback" not in stdout_full.stderr
    assert b"cannot write standard output" in stdout_full.stderr


def test_closed_or_broken_standard_output_is_exit_2(tmp_path: Path) -> None:
    closed = subprocess.run(
        [sys.executable, "-m", "customs_engine.cli", "validate", str(MESSAGES)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        timeout=120,
        preexec_fn=lambda: os.close(1),
    )
    assert closed.returncode == 2 and b"Traceback" not in closed.stderr
    assert b"standard output is closed" in closed.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)
    broken = subprocess.run(
        [sys.executable, "-m", "customs_engine.cli", "validate", str(MESSAGES)],
        stdout=write_end,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        timeout=120,
    )
    os.close(write_end)
    assert broken.returncode == 2 and b"Traceback" not in broken.stderr, broken.stderr


# -- issue 12 item 13: manifests first --------------------------------------------------------


def test_manifests_come_first_in_a_directory_and_an_archive(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "be-1.xml").write_bytes(GOOD)
    (drop / "igm-1.xml").write_bytes(IGM)
    (drop / "a-note.txt").write_bytes(b"a note")
    archive = write_zip(tmp_path / "drop.zip", [("be-1.xml", GOOD), ("igm-1.xml", IGM)])
    single = tmp_path / "alone-be.xml"
    single.write_bytes(GOOD)
    _, out = run_jsonl(str(single), str(drop), str(archive), cwd=tmp_path)
    assert [r["message"]["source"] for r in out] == [
        str(single),
        f"{drop}/igm-1.xml",
        f"{drop}/a-note.txt",
        f"{drop}/be-1.xml",
        f"{archive}!igm-1.xml",
        f"{archive}!be-1.xml",
    ]
    noted = next(r for r in out if r["message"]["source"] == f"{drop}/be-1.xml")
    assert not any(f["rule"] == "CORE-BOE-NOTE-002" for f in noted["findings"])


def test_compressed_tar_ending_before_its_check_is_rejected_whole(tmp_path: Path) -> None:
    data = gzip.compress(tar_bytes([("a.xml", GOOD), ("b.xml", GOOD)]), compresslevel=0)
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: len(data) - 600])  # a.xml whole, the CRC never reached
    (only,) = members_of(path)
    assert only.name == str(path) and "ends early" in (only.problem or "")
