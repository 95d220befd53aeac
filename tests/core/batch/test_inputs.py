"""Inputs: directories, archives streamed member by member in sorted order, standard input."""

from __future__ import annotations

import io
import os
from pathlib import Path

from customs_engine.core.batch.inputs import InputFile, Limits, count_files, iter_inputs
from tests.archives import mixed_members, write_tar, write_zip
from tests.conftest import MESSAGES


def names(files: list[InputFile]) -> list[str]:
    return [f.name for f in files]


def test_directory_order_is_sorted_full_paths_with_dot_files_skipped(tmp_path: Path) -> None:
    for rel in ("b.xml", "a/z.xml", "a.txt", "a/b/c.xml", ".hidden.xml", "a/.git/x.xml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"<x/>")
    files = list(iter_inputs([str(tmp_path)]))
    found = [Path(f.name).relative_to(tmp_path).as_posix() for f in files if not f.skipped]
    assert found == sorted(["b.xml", "a/z.xml", "a.txt", "a/b/c.xml"])
    assert found == ["a.txt", "a/b/c.xml", "a/z.xml", "b.xml"]
    skipped = [
        (Path(f.name).relative_to(tmp_path).as_posix(), f.skipped) for f in files if f.skipped
    ]
    assert skipped == [(".hidden.xml", "hidden (dot-file)"), ("a/.git", "hidden (dot-file)")]


def test_zip_and_tar_members_come_in_sorted_path_order_with_their_bytes(tmp_path: Path) -> None:
    members = mixed_members()
    expected = sorted(members)
    for archive in (
        write_zip(tmp_path / "m.zip", list(reversed(members))),
        write_tar(tmp_path / "m.tar.gz", list(reversed(members))),
        write_tar(tmp_path / "s.tgz", sorted(members)),
    ):
        files = list(iter_inputs([str(archive)]))
        assert [(f.name, f.data) for f in files] == [
            (f"{archive}!{name}", data) for name, data in expected
        ]
        assert all(f.problem is None for f in files)


def test_paths_are_processed_in_the_order_given(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", [("x.xml", b"<x/>")])
    single = MESSAGES / "02-be-laptops-ims.xml"
    assert names(list(iter_inputs([str(single), str(archive)]))) == [
        str(single),
        f"{archive}!x.xml",
    ]


def test_directory_archives_are_opened(tmp_path: Path) -> None:
    write_zip(tmp_path / "2026-03.zip", [("be.xml", b"<x/>")])
    (tmp_path / "2026-04.xml").write_bytes(b"<y/>")
    assert [f.name.removeprefix(f"{tmp_path}/") for f in iter_inputs([str(tmp_path)])] == [
        "2026-03.zip!be.xml",
        "2026-04.xml",
    ]


def test_standard_input_is_one_file_or_an_archive(tmp_path: Path) -> None:
    one = list(iter_inputs(["-"], stdin=io.BytesIO(b"<x/>")))
    assert [(f.name, f.data) for f in one] == [("<stdin>", b"<x/>")]
    blob = write_zip(tmp_path / "in.zip", [("b.xml", b"<b/>"), ("a.xml", b"<a/>")]).read_bytes()
    assert names(list(iter_inputs(["-"], stdin=io.BytesIO(blob)))) == [
        "<stdin>!a.xml",
        "<stdin>!b.xml",
    ]


def test_oversize_file_and_standard_input_are_refused_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"<x>" + b"a" * 5000 + b"</x>")
    limits = Limits(max_file_bytes=1000)
    (file,) = iter_inputs([str(big)], limits)
    assert file.data == b"" and "above the 1000-byte bound" in (file.problem or "")
    (stdin,) = iter_inputs(["-"], limits, stdin=io.BytesIO(big.read_bytes()))
    assert stdin.data == b"" and "above the 1000-byte bound" in (stdin.problem or "")


def test_limits_come_from_the_environment() -> None:
    env = {"CUSTOMS_ENGINE_MAX_FILE_BYTES": "123", "CUSTOMS_ENGINE_MAX_COMPRESSION_RATIO": "7"}
    assert Limits.from_env(env) == Limits(max_file_bytes=123, max_ratio=7)
    assert Limits.from_env({}) == Limits()


def test_count_files_for_the_eta(tmp_path: Path) -> None:
    write_zip(tmp_path / "a.zip", [("1.xml", b"<x/>"), ("d/", b""), ("2.xml", b"<x/>")])
    (tmp_path / "b.xml").write_bytes(b"<x/>")
    assert count_files([str(tmp_path)]) == 3
    write_tar(tmp_path / "c.tar.gz", [("x.xml", b"<x/>")])
    assert count_files([str(tmp_path)]) is None
    assert count_files(["-"]) is None


def test_reading_an_archive_writes_nothing_to_disk(
    tmp_path: Path, mixed_zip: Path, mixed_tar: Path
) -> None:
    before = sorted(os.listdir(tmp_path))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert len(list(iter_inputs([str(mixed_zip), str(mixed_tar)]))) == 2 * len(mixed_members())
    finally:
        os.chdir(cwd)
    assert sorted(os.listdir(tmp_path)) == before
