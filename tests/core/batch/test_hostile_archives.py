"""Hostile archives are refused member by member with a rejected response naming the member."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.archives import write_tar, write_zip
from tests.conftest import MESSAGES, customs

GOOD = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()


def responses(
    archive: Path, *extra: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> dict[str, dict]:
    result = customs(
        "validate",
        "--format",
        "jsonl",
        "--no-progress",
        *extra,
        str(archive),
        env=None if env is None else {**os.environ, **env},
        cwd=cwd,
    )
    assert result.returncode == 1, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    return {r["message"]["source"].split("!", 1)[1]: r for r in out}


def assert_refused(response: dict, member: str, *needles: str) -> None:
    assert response["status"] == "rejected" and response["message"]["type"] == "unknown"
    (finding,) = response["findings"]
    assert finding["rule"] == "CORE-SYNTAX-001"
    assert repr(member) in finding["message"], finding["message"]
    for needle in needles:
        assert needle in finding["message"], finding["message"]


def zip_with_symlink(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ok.xml", GOOD)
        archive.writestr("../../etc/passwd", b"root:x:0:0")
        archive.writestr("/etc/cron.d/evil", b"* * * * * root true")
        link = zipfile.ZipInfo("link.xml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("inner.zip", b"PK\x03\x04 not followed")
    return path


def tar_with_links(path: Path) -> Path:
    def special(archive: tarfile.TarFile) -> None:
        for name, kind in (
            ("link.xml", tarfile.SYMTYPE),
            ("hard.xml", tarfile.LNKTYPE),
            ("fifo.xml", tarfile.FIFOTYPE),
        ):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind != tarfile.FIFOTYPE else ""
            archive.addfile(info)

    return write_tar(
        path,
        [
            ("ok.xml", GOOD),
            ("../../etc/passwd", b"root:x:0:0"),
            ("/etc/cron.d/evil", b"* * * * * root true"),
            ("inner.tar.gz", b"\x1f\x8b not followed"),
        ],
        special,
    )


@pytest.mark.parametrize("jobs", ["-j1", "-j2"])
def test_zip_traversal_absolute_symlink_and_nested_members_are_refused(
    tmp_path: Path, jobs: str
) -> None:
    out = responses(zip_with_symlink(tmp_path / "evil.zip"), jobs, cwd=tmp_path)
    assert out["ok.xml"]["message"]["type"] == "bill_of_entry"
    assert_refused(out["../../etc/passwd"], "../../etc/passwd", "path traversal")
    assert_refused(out["/etc/cron.d/evil"], "/etc/cron.d/evil", "absolute path")
    assert_refused(out["link.xml"], "link.xml", "symbolic link")
    assert_refused(out["inner.zip"], "inner.zip", "nested archive not followed")
    assert sorted(os.listdir(tmp_path)) == ["evil.zip"]  # nothing unpacked


def test_tar_traversal_absolute_links_and_special_files_are_refused(tmp_path: Path) -> None:
    out = responses(tar_with_links(tmp_path / "evil.tar.gz"), cwd=tmp_path)
    assert out["ok.xml"]["message"]["type"] == "bill_of_entry"
    assert_refused(out["../../etc/passwd"], "../../etc/passwd", "path traversal")
    assert_refused(out["/etc/cron.d/evil"], "/etc/cron.d/evil", "absolute path")
    assert_refused(out["link.xml"], "link.xml", "symbolic link", "/etc/passwd")
    assert_refused(out["hard.xml"], "hard.xml", "hard link")
    assert_refused(out["fifo.xml"], "fifo.xml", "special file")
    assert_refused(out["inner.tar.gz"], "inner.tar.gz", "nested archive")
    assert sorted(os.listdir(tmp_path)) == ["evil.tar.gz"]


def test_zip_bomb_is_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xml", b"<x>" + b"\0" * (8 * 1024 * 1024) + b"</x>")
        zf.writestr("ok.xml", GOOD)
    info = zipfile.ZipFile(archive).getinfo("bomb.xml")
    assert info.file_size / info.compress_size > 200  # it is a bomb by the default bound
    out = responses(archive, cwd=tmp_path)
    assert_refused(out["bomb.xml"], "bomb.xml", "compression ratio", "zip bomb")
    assert out["ok.xml"]["message"]["type"] == "bill_of_entry"


def test_zip_member_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    write_zip(archive, [("liar.xml", GOOD)])
    raw = bytearray(archive.read_bytes())
    info = zipfile.ZipFile(archive).getinfo("liar.xml")
    small = (100).to_bytes(4, "little")
    raw[info.header_offset + 22 : info.header_offset + 26] = small  # local header: size
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24 : central + 28] = small  # central directory: uncompressed size
    archive.write_bytes(bytes(raw))
    out = responses(archive, cwd=tmp_path)
    assert_refused(out["liar.xml"], "liar.xml")


@pytest.mark.parametrize("corrupt", [False, True], ids=["sound", "bad-crc"])
def test_a_compressed_tar_inflating_past_its_budget_is_refused_whole(
    tmp_path: Path, corrupt: bool
) -> None:
    """Its integrity check, at the end of the stream, is never reached: no member of it may be
    used — not even with --commit (a corrupt bomb once had its first members stored)."""
    archive = write_tar(
        tmp_path / "bomb.tar.gz",
        [("a.xml", GOOD), ("b.xml", b"\0" * (2 * 1024 * 1024)), ("c.xml", GOOD)],
    )
    if corrupt:
        raw = bytearray(archive.read_bytes())
        raw[-8] ^= 0xFF  # the gzip CRC-32
        archive.write_bytes(bytes(raw))
    db = tmp_path / "r.db"
    result = customs(
        "validate",
        "--format",
        "jsonl",
        "--no-progress",
        "--commit",
        "--db",
        f"sqlite:///{db}",
        str(archive),
        env={**os.environ, "CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO": "50"},
        cwd=tmp_path,
    )
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    (line,) = result.stdout.decode().splitlines()
    response = json.loads(line)
    assert response["message"]["source"] == str(archive) and response["status"] == "rejected"
    message = response["findings"][0]["message"]
    assert "inflates to more than" in message and "nothing in it was checked" in message
    with sqlite3.connect(db) as stored:  # nothing of it was committed
        assert stored.execute("SELECT count(*) FROM ledger_submission").fetchone() == (0,)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_member_over_the_size_bound_is_refused(tmp_path: Path, kind: str) -> None:
    members = [("big.xml", GOOD + b" " * 4000), ("ok.xml", GOOD)]
    path = tmp_path / f"a.{kind}"
    archive = write_zip(path, members) if kind == "zip" else write_tar(path, members)
    out = responses(
        archive, env={"CUSTOMS_ENGINE_MAX_FILE_BYTES": str(len(GOOD) + 10)}, cwd=tmp_path
    )
    assert_refused(out["big.xml"], "big.xml", f"above the {len(GOOD) + 10}-byte bound")
    assert out["ok.xml"]["message"]["type"] == "bill_of_entry"


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
def test_unreadable_archive_is_one_rejected_response_naming_it(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"corrupt{suffix}"
    path.write_bytes(b"not an archive at all")
    result = customs("validate", "--format", "jsonl", str(path), cwd=tmp_path)
    assert result.returncode == 1 and b"Traceback" not in result.stderr
    (line,) = result.stdout.decode().splitlines()
    response = json.loads(line)
    assert response["message"]["source"] == str(path) and response["status"] == "rejected"
    assert str(path) in response["findings"][0]["message"]


def test_truncated_tar_keeps_the_members_before_the_damage(tmp_path: Path) -> None:
    full = io.BytesIO()
    with tarfile.open(fileobj=full, mode="w") as archive:
        for name in ("a.xml", "b.xml"):
            info = tarfile.TarInfo(name)
            info.size = len(GOOD)
            archive.addfile(info, io.BytesIO(GOOD))
    path = tmp_path / "cut.tar"
    path.write_bytes(full.getvalue()[: 512 + len(GOOD) + 512 + 100])
    result = customs("validate", "--format", "jsonl", str(path), cwd=tmp_path)
    assert b"Traceback" not in result.stderr
    sources = [json.loads(line)["message"]["source"] for line in result.stdout.splitlines()]
    assert sources[0] == f"{path}!a.xml"
    assert len(sources) >= 2  # b.xml cut short, or the archive reported as corrupt


def test_small_compressible_members_are_not_mistaken_for_bombs(tmp_path: Path) -> None:
    padded = GOOD.replace(b"</BillOfEntry>", b"<!--" + b" " * 600_000 + b"--></BillOfEntry>")
    for archive in (
        write_zip(tmp_path / "a.zip", [("a.xml", padded)]),
        write_tar(tmp_path / "a.tar.gz", [("a.xml", padded)]),
    ):
        assert archive.stat().st_size * 200 < len(padded) or archive.suffix == ".zip"
        result = customs("validate", "--format", "jsonl", str(archive), cwd=tmp_path)
        (line,) = result.stdout.splitlines()
        assert json.loads(line)["message"]["type"] == "bill_of_entry"
