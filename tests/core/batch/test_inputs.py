"""Inputs: directories, archives streamed member by member in sorted order, standard input."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from customs_engine.core.batch import archives, inputs
from customs_engine.core.batch.archives import MemberOrder
from customs_engine.core.batch.inputs import (
    InputFile,
    Limits,
    count_files,
    iter_inputs,
    read_file,
)
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


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)],
)
def test_a_compressed_single_file_is_read_as_the_file_it_holds(
    tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]
) -> None:
    message = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    (tmp_path / "drop").mkdir()
    packed = tmp_path / "drop" / f"be.xml{suffix}"
    packed.write_bytes(compress(message))
    unnamed = tmp_path / "be.bin"  # known by its first bytes, as an unnamed upload or stdin
    unnamed.write_bytes(compress(message))
    for file in (
        *iter_inputs([str(packed)]),
        *iter_inputs([str(tmp_path / "drop")]),
        *inputs.iter_file(str(unnamed), "upload", named=False),
        *iter_inputs(["-"], stdin=io.BytesIO(compress(message))),
    ):
        assert file.problem is None and file.data == message
    # the names the answers carry: the compressed file's own
    assert names(list(iter_inputs([str(packed)]))) == [str(packed)]


def test_a_compressed_single_file_keeps_every_bound(tmp_path: Path) -> None:
    big = tmp_path / "big.xml.gz"
    big.write_bytes(gzip.compress(b"<x>" + b"a" * 5000 + b"</x>"))
    (file,) = iter_inputs([str(big)], Limits(max_file_bytes=1000, max_ratio=1000))
    assert file.data == b""
    assert file.problem == (
        f"{big} inflates to 5007 bytes is above the 1000-byte bound (CUSTOMS_ENGINE_MAX_FILE_BYTES)"
    )
    (bomb,) = iter_inputs([str(big)], Limits(max_ratio=2, ratio_floor=0))
    assert bomb.data == b"" and "decompression bomb defence" in (bomb.problem or "")
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(gzip.compress(b"<x/>" * 100)[:-6])
    (damaged,) = iter_inputs([str(cut)])
    assert damaged.data == b"" and "stream ends early" in (damaged.problem or "")


def test_a_compressed_tar_is_still_an_archive_even_when_empty(tmp_path: Path) -> None:
    empty = write_tar(tmp_path / "empty.tar.gz", [])
    (file,) = iter_inputs([str(empty)])
    assert file.name == str(empty) and "holds no message file" in (file.problem or "")
    one = write_tar(tmp_path / "one.tgz", [("a.xml", b"<a/>")])
    assert names(list(iter_inputs([str(one)]))) == [f"{one}!a.xml"]


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


def test_read_file_opens_once_and_reports_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small.xml"
    small.write_bytes(b"<x/>")
    big = tmp_path / "big.xml"
    big.write_bytes(b"a" * 2000)
    limits = Limits(max_file_bytes=1000)
    assert read_file(small, "s", limits) == InputFile("s", b"<x/>")
    assert read_file(big, "b", limits).problem == (
        "file 2000 bytes is above the 1000-byte bound (CUSTOMS_ENGINE_MAX_FILE_BYTES)"
    )
    missing = read_file(tmp_path / "gone.xml", "g", limits)
    assert missing.problem == "cannot read file: No such file or directory"
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    assert read_file(fifo, "p", limits).problem == "cannot read file: FIFO, not a regular file"

    # a file that cannot be opened: its size is still checked first, as a stat sees it
    def refused(path: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "_open_regular", refused)
    assert read_file(big, "b", limits).problem == (
        "file 2000 bytes is above the 1000-byte bound (CUSTOMS_ENGINE_MAX_FILE_BYTES)"
    )
    assert read_file(small, "s", limits).problem == "cannot read file: Permission denied"


def test_a_directory_listing_tells_regular_files_from_special_ones(tmp_path: Path) -> None:
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(b"<x/>")
    os.mkfifo(tmp_path / "c.xml")
    (tmp_path / "d.xml").symlink_to(tmp_path / "a.xml")
    walked = list(inputs._walk(str(tmp_path)))
    assert walked[:2] == [f"{tmp_path}/a.xml", f"{tmp_path}/b.xml"]
    assert [(f.name, f.skipped) for f in walked[2:] if isinstance(f, InputFile)] == [
        (f"{tmp_path}/c.xml", "FIFO, not a regular file"),
        (f"{tmp_path}/d.xml", "symbolic link, not followed"),
    ]


ORDER_CASES = [
    (1, "b.xml", 30, "b, not a manifest"),
    (0, "z.xml", 50, "z, a manifest"),
    (1, "a.xml", 70, "a, second copy"),
    (1, "a.xml", 10, "a, first copy"),
    (1, "\udcff-undecodable.xml", 5, "a name tarfile kept with surrogateescape"),
    (1, "é.xml", 1, "non-ASCII"),
    (0, "m.xml", 90, "m, a manifest"),
]
ORDER_EXPECTED = [
    "m, a manifest",
    "z, a manifest",
    "a, first copy",
    "a, second copy",
    "b, not a manifest",
    "non-ASCII",
    "a name tarfile kept with surrogateescape",
]


@pytest.mark.parametrize("in_memory", [100, 3, 1])
def test_member_order_is_manifests_then_name_then_place_in_memory_or_spilled(
    in_memory: int,
) -> None:
    order = MemberOrder(in_memory)
    for rank, name, place, detail in ORDER_CASES:
        order.add(rank, name, place, (place, detail))
    found = list(order)
    assert [detail for _name, (_place, detail) in found] == ORDER_EXPECTED
    assert ("\udcff-undecodable.xml", (5, ORDER_EXPECTED[-1])) in found


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_large_archive_index_is_sorted_on_disk_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = mixed_members() + [(f"2026/05/{n:03d}.xml", b"<x/>") for n in range(40, 0, -1)]
    members += [("2026/05/007.xml", b"<second copy/>")]  # a name twice: archive order holds

    def manifest(head: bytes, name: str) -> bool:
        return b"ImportGeneralManifest" in head

    for archive in (
        write_zip(tmp_path / "m.zip", list(reversed(members))),
        write_tar(tmp_path / "m.tar.gz", list(reversed(members))),
    ):
        held = [(f.name, f.data) for f in iter_inputs([str(archive)], is_manifest=manifest)]
        monkeypatch.setattr(archives, "MEMBERS_IN_MEMORY", 4)
        spilled = [(f.name, f.data) for f in iter_inputs([str(archive)], is_manifest=manifest)]
        monkeypatch.undo()
        assert spilled == held
        assert len(held) == len(members)
        firsts = [name for name, data in held if b"ImportGeneralManifest" in data]
        assert firsts and [name for name, _ in held[: len(firsts)]] == firsts


def test_names_that_are_not_utf8_are_shown_with_escapes(tmp_path: Path) -> None:
    """A name the file system or a tar keeps as bytes that are not UTF-8 could not be written in
    a JSON answer: the run stopped after committing. It is shown with ``\\xNN`` escapes."""
    import json
    import tarfile

    from tests.conftest import customs

    message = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    folder = tmp_path / "drop"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"be\xff.xml"), "wb") as handle:
        handle.write(message)
    packed = tmp_path / "odd.tar"
    with tarfile.open(packed, "w", format=tarfile.GNU_FORMAT, errors="surrogateescape") as tar:
        member = tarfile.TarInfo("b\udcfe\nx.xml")
        member.size = len(message)
        tar.addfile(member, io.BytesIO(message))
    assert names(list(iter_inputs([str(folder), str(packed)]))) == [
        f"{folder}/be\\xff.xml",
        f"{packed}!b\\xfe\\nx.xml",
    ]
    result = customs(
        "validate",
        "--format",
        "json",
        "--db",
        f"sqlite:///{tmp_path / 'r.db'}",
        str(folder),
        str(packed),
    )
    assert result.returncode == 1, result.stderr  # answered (queried), not stopped (exit 3)
    sources = [r["message"]["source"] for r in json.loads(result.stdout)]
    assert sources == [f"{folder}/be\\xff.xml", f"{packed}!b\\xfe\\nx.xml"]


def test_an_archive_without_a_message_file_is_answered_not_passed_over(tmp_path: Path) -> None:
    """Empty, or holding only what is never read (folders, dot-files, ``__MACOSX``): answered as
    a file holding no message (it was "0 messages, every one accepted", moved to ``.done``)."""
    hidden = [(".hidden.xml", b"<x/>"), ("__MACOSX/be.xml", b"<x/>"), ("dir/.x/be.xml", b"<x/>")]
    for archive in (
        write_zip(tmp_path / "empty.zip", []),
        write_zip(tmp_path / "hidden.zip", hidden),
        write_tar(tmp_path / "hidden.tar", hidden),
    ):
        (file,) = iter_inputs([str(archive)])
        assert file.data == b"" and file.problem == (
            f"archive {archive} holds no message file (an archive's folders, dot-files and "
            "__MACOSX entries are not read)"
        )
    (stdin,) = iter_inputs(["-"], stdin=io.BytesIO((tmp_path / "hidden.zip").read_bytes()))
    assert "holds no message file" in (stdin.problem or "")


def test_standard_input_given_twice_is_a_usage_error() -> None:
    """The second ``-`` was answered as an empty file (rejected, exit 1)."""
    from customs_engine.core.batch.inputs import InputError, check_paths

    check_paths(["-"])
    with pytest.raises(InputError, match=r"standard input\) is given more than once"):
        check_paths(["-", str(MESSAGES), "-"])


def test_a_plain_message_named_as_compressed_is_still_read(tmp_path: Path) -> None:
    """``be.xml.gz`` that holds the message uncompressed was read before single compressed files
    were: it still is, on every path (the name was taken for the format)."""
    message = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    for suffix in (".gz", ".BZ2", ".xz"):
        named = tmp_path / f"be.xml{suffix}"
        named.write_bytes(message)
        (file,) = iter_inputs([str(named)])
        assert file.problem is None and file.data == message
        (upload,) = inputs.iter_file(str(named), f"upload{suffix}")
        assert upload.problem is None and upload.data == message
    broken = tmp_path / "not.tar.gz"  # a tar's name is still a tar's
    broken.write_bytes(message)
    (file,) = iter_inputs([str(broken)])
    assert "is not a readable tar archive" in (file.problem or "")


def test_a_named_file_is_known_by_its_name_as_the_cli_knows_it(tmp_path: Path) -> None:
    """An upload or watched file with a name is read as ``customs validate`` reads a file of
    that name: ``foo.xml`` holding a zip, ``foo.json`` holding gzip are those files as they are
    (the service once opened them by their first bytes, and answered otherwise than the CLI);
    only an upload without a name is known by its first bytes, as standard input is."""
    message = (MESSAGES / "02-be-laptops-ims.xml").read_bytes()
    zipped = write_zip(tmp_path / "foo.xml", [("a.xml", message), ("b.xml", message)])
    gzipped = tmp_path / "foo.json"
    gzipped.write_bytes(gzip.compress(message))
    for path in (zipped, gzipped):
        (cli,) = iter_inputs([str(path)])
        (named,) = inputs.iter_file(str(path), str(path))
        assert named == cli and named.data == path.read_bytes()
    assert names(list(inputs.iter_file(str(zipped), "upload", named=False))) == [
        "upload!a.xml",
        "upload!b.xml",
    ]
    assert names(list(iter_inputs(["-"], stdin=io.BytesIO(zipped.read_bytes())))) == [
        "<stdin>!a.xml",
        "<stdin>!b.xml",
    ]
    (unnamed,) = inputs.iter_file(str(gzipped), "upload", named=False)
    assert unnamed.data == message


def test_an_empty_zip_on_standard_input_is_known_as_a_zip() -> None:
    """A zip holding nothing starts with its end record, not a member's header: it was "format
    not recognised" on standard input and in the service."""
    empty = io.BytesIO()
    import zipfile

    zipfile.ZipFile(empty, "w").close()
    (file,) = iter_inputs(["-"], stdin=io.BytesIO(empty.getvalue()))
    assert "holds no message file" in (file.problem or "")
