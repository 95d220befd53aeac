"""Hostile inputs: time and peak memory of ``customs validate`` on the worst inputs of issue 18.

Each case is generated in a temporary directory, holds at most 64 MiB of inflated data, and runs
as a fresh ``customs validate --format jsonl -o /dev/null --no-progress`` process with a 30 s
timeout (a case that hits it is reported as TIMEOUT). Wall time is measured around the process;
peak RSS is the process's own ``ru_maxrss`` from ``os.wait4``, taken by a small wrapper process
(with ``-j`` the workers are not included: every case runs with ``-j1`` unless it names ``-j``).
The table is printed as Markdown for ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/bench_hostile.py [CASE ...]      # default: every case
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the hostile archives are built by the tests' helpers

from tests.archives import write_overlapping_zip  # noqa: E402

EXAMPLES = ROOT / "examples" / "messages"
GOOD = (EXAMPLES / "02-be-laptops-ims.xml").read_bytes()
IGM = (EXAMPLES / "01-igm-innsa1-2234567.xml").read_bytes()
NOTE = b"a note, not a customs message\n"
MIB = 1024 * 1024
TIMEOUT = 30.0


def tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def edifact_bill() -> bytes:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "convert",
            str(EXAMPLES / "02-be-laptops-ims.xml"),
            "--to",
            "edifact",
        ],
        capture_output=True,
        check=True,
    )
    return result.stdout


# -- the cases: each writes its input and returns (arguments, inflated bytes) -----------------


def edifact_escapes(tmp: Path, mib: int = 16) -> tuple[list[str], int]:
    """Item 12: 16 MiB of escaped segment terminators (``?'``) in one FTX."""
    bill = edifact_bill().decode()
    body = "a?'" * (mib * MIB // 3)
    text = bill.replace("FTX+AAA+++", "FTX+AAA+++" + body, 1)
    path = tmp / "escapes.edi"
    path.write_text(text)
    return [str(path)], len(text)


def edifact_escapes_48(tmp: Path) -> tuple[list[str], int]:
    """Item 12, larger: 48 MiB of ``a?'`` in one FTX (did not finish in 30 s before streaming)."""
    return edifact_escapes(tmp, 48)


def tar_long_name(tmp: Path) -> tuple[list[str], int]:
    """Item 13: a GNU long-name header declaring 60 MiB, in a .tar.gz of about 60 KB."""
    header = tarfile.TarInfo("././@LongLink")
    header.type = tarfile.GNUTYPE_LONGNAME
    header.size = 60 * MIB
    raw = header.tobuf(tarfile.USTAR_FORMAT) + b"a" * header.size + tar_bytes([("z.xml", GOOD)])
    path = tmp / "longname.tar.gz"
    path.write_bytes(gzip.compress(raw, compresslevel=9))
    return [str(path)], len(raw)


def pax_header(tmp: Path) -> tuple[list[str], int]:
    """Item 13: a pax extended header of 60 MiB, uncompressed."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type = tarfile.XHDTYPE
    header.size = 60 * MIB
    raw = header.tobuf(tarfile.USTAR_FORMAT) + b"9 a=bcde\n" * (header.size // 9)
    raw += bytes(-len(raw) % 512) + tar_bytes([("z.xml", GOOD)])
    path = tmp / "pax.tar"
    path.write_bytes(raw)
    return [str(path)], len(raw)


def zip_overlap(tmp: Path) -> tuple[list[str], int]:
    """Item 14: 20,000 central-directory entries pointing at one 1 MiB member (20 GiB if each
    were inflated)."""
    path = tmp / "overlap.zip"
    member = GOOD.replace(
        b"</BillOfEntry>", b"<!--" + b" " * (MIB - len(GOOD) - 30) + b"--></BillOfEntry>"
    )
    write_overlapping_zip(path, member, 20_000)
    return [str(path)], len(member)


def tar_gz_reverse(tmp: Path) -> tuple[list[str], int]:
    """Item 14: a reverse-sorted .tar.gz of 8,000 members (short notes: the archive reading is
    measured, not the checks of 8,000 Bills of Entry)."""
    raw = tar_bytes([(f"m-{n:05d}.txt", NOTE) for n in reversed(range(8000))])
    path = tmp / "reverse.tar.gz"
    path.write_bytes(gzip.compress(raw))
    return [str(path)], len(raw)


def tar_damaged(tmp: Path) -> tuple[list[str], int]:
    """Item 5: 2,000 members (short notes), the header of every 100th damaged."""
    raw = bytearray(tar_bytes([(f"m-{n:05d}.txt", NOTE) for n in range(2000)]))
    step = 512 + -(-len(NOTE) // 512) * 512
    for n in range(50, 2000, 100):
        raw[n * step + 148 : n * step + 156] = b"0000000\0"
    path = tmp / "damaged.tar"
    path.write_bytes(bytes(raw))
    return [str(path)], len(raw)


def tar_gz_crc(tmp: Path) -> tuple[list[str], int]:
    """Item 7: 8,000 members in stored gzip blocks, one quantity flipped (CRC fails)."""
    raw = tar_bytes([(f"be-{n:05d}.xml", GOOD) for n in range(8000)])
    data = bytearray(gzip.compress(raw, compresslevel=0))
    at = data.rindex(b">60</Quantity>") + 1
    data[at] = ord("9")
    path = tmp / "crc.tar.gz"
    path.write_bytes(bytes(data))
    return [str(path)], len(raw)


def zip_corrupt(tmp: Path) -> tuple[list[str], int]:
    """Item 15: 2,000 deflate and LZMA members, every one with a corrupt stream."""
    path = tmp / "corrupt.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(2000):
            archive.writestr(
                f"be-{n:05d}.xml", GOOD, zipfile.ZIP_DEFLATED if n % 2 else zipfile.ZIP_LZMA
            )
    raw = bytearray(path.read_bytes())
    for info in zipfile.ZipFile(path).infolist():
        start = info.header_offset + 30 + len(info.filename)
        for at in range(start + 2, start + 30):
            raw[at] ^= 0x55
    path.write_bytes(bytes(raw))
    return [str(path)], 2000 * len(GOOD)


def tar_xz_corrupt(tmp: Path) -> tuple[list[str], int]:
    """Item 15: a .tar.xz of 12,000 members (random comments keep it within the inflate budget)
    corrupted in the middle."""
    raw = tar_bytes(
        [
            (
                f"be-{n:05d}.xml",
                GOOD.replace(
                    b"</BillOfEntry>",
                    b"<!--" + os.urandom(600).hex().encode() + b"--></BillOfEntry>",
                ),
            )
            for n in range(12_000)
        ]
    )
    data = bytearray(lzma.compress(raw))
    for at in range(len(data) // 2, len(data) // 2 + 64):
        data[at] ^= 0x55
    path = tmp / "corrupt.tar.xz"
    path.write_bytes(bytes(data))
    return [str(path)], len(raw)


def extreme_dates(tmp: Path) -> tuple[list[str], int]:
    """Item 16: 1,000 Bills of Entry with dates at the ends of the calendar, -j2."""
    drop = tmp / "dates"
    drop.mkdir()
    for n in range(1000):
        stamp = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00")[n % 2]
        (drop / f"be-{n:04d}.xml").write_bytes(
            re.sub(rb"<PresentedAt>[^<]*", b"<PresentedAt>" + stamp.encode(), GOOD)
        )
    return ["-j2", str(drop)], 1000 * len(GOOD)


def utf16_doctype(tmp: Path) -> tuple[list[str], int]:
    """Item 21: a UTF-16 billion-laughs document."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE lolz ['
        + "".join(entities)
        + ']>\n<BillOfEntry xmlns="urn:customs-engine:icegate:v1">&lol9;</BillOfEntry>\n'
    )
    path = tmp / "laughs16.xml"
    path.write_bytes(text.encode("utf-16"))
    return [str(path)], path.stat().st_size


def special_files(tmp: Path) -> tuple[list[str], int]:
    """Items 6 and 18: a FIFO as --config (refused, exit 2, no hang)."""
    fifo = tmp / "config.fifo"
    os.mkfifo(fifo)
    return ["--config", str(fifo), str(EXAMPLES / "02-be-laptops-ims.xml")], 0


def dev_zero(tmp: Path) -> tuple[list[str], int]:
    """Item 18: /dev/zero as the input path."""
    return ["/dev/zero"], 0


def xml_one_line_failures(tmp: Path) -> tuple[list[str], int]:
    """One-line (minified) <Messages> of 24,000 Bills of Entry (30 MB, under the XML bound),
    each failing the schema twice: every failure is placed by line and column."""
    body = b"".join(line.strip() for line in GOOD.split(b"?>", 1)[1].splitlines())
    bad = body.replace(b"<HSCode>84713010<", b"<HSCode>1<").replace(b"<Mode>SEA<", b"<Mode>X<")
    data = b'<Messages xmlns="urn:customs-engine:icegate:v1">' + bad * 24000 + b"</Messages>"
    path = tmp / "minified.xml"
    path.write_bytes(data)
    return [str(path)], len(data)


def scmtr_many_failures(tmp: Path) -> tuple[list[str], int]:
    """An SCE declaration of 20,000 manifest lines whose last 200 each break the schema: 100
    failures reported, each placed by line and column in one pass over the text."""
    line = {
        "MCRef": {"lineNo": 0, "blNo": "BL", "blDt": "20200101", "consolidatedIndctr": "S"},
        "trnsprtDocMsr": {"nmbrOfPkgs": 1, "typsOfPkgs": "PKG", "grossWeight": 1.5},
    }
    lines = []
    for n in range(20000):
        entry = json.loads(json.dumps(line))
        entry["MCRef"]["lineNo"] = n + 1 if n < 19800 else str(n + 1)
        lines.append(entry)
    document = {
        "headerField": {"messageID": "SACHM22", "reportingEvent": "SCE"},
        "master": {"decRef": {"msgTyp": "F", "rptngEvent": "SCE"}, "mastrCnsgmtDec": lines},
    }
    path = tmp / "F_SACHM22_SCE_HOSTILE_1_20200101_DEC.json"
    path.write_text(json.dumps(document, indent=2))
    return [str(path)], path.stat().st_size


CASES: dict[str, Callable[[Path], tuple[list[str], int]]] = {
    "edifact_escapes": edifact_escapes,
    "edifact_escapes_48": edifact_escapes_48,
    "tar_long_name": tar_long_name,
    "pax_header": pax_header,
    "zip_overlap": zip_overlap,
    "tar_gz_reverse": tar_gz_reverse,
    "tar_damaged": tar_damaged,
    "tar_gz_crc": tar_gz_crc,
    "zip_corrupt": zip_corrupt,
    "tar_xz_corrupt": tar_xz_corrupt,
    "extreme_dates": extreme_dates,
    "utf16_doctype": utf16_doctype,
    "special_files": special_files,
    "dev_zero": dev_zero,
    "xml_one_line_failures": xml_one_line_failures,
    "scmtr_many_failures": scmtr_many_failures,
}


#: run by a fresh, small interpreter: Linux counts the memory a process had before ``exec`` in
#: its peak RSS, so the command is started from a process that holds none of the bench's data
WRAPPER = """
import os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
status = ""
while True:
    pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
    if pid:
        break
    if time.perf_counter() - started > float(sys.argv[1]):
        process.kill()
        pid, wait_status, usage = os.wait4(process.pid, 0)
        status = "TIMEOUT"
        break
    time.sleep(0.02)
wall = time.perf_counter() - started
print(status or os.waitstatus_to_exitcode(wait_status), wall, usage.ru_maxrss)
"""


def measure(args: list[str], cwd: Path) -> tuple[str, float, float, int]:
    """(exit status or TIMEOUT, wall seconds, peak RSS MiB, responses written)."""
    out = cwd / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "customs_engine.cli",
        "validate",
        "--format",
        "jsonl",
        "-o",
        str(out),
        "--no-progress",
        *args,
    ]
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(TIMEOUT), *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    status, wall, rss = result.stdout.split()
    lines = out.read_bytes().count(b"\n") if out.exists() else 0
    return status, float(wall), int(rss) / 1024, lines


def main(names: list[str]) -> None:
    print("| case | input | inflated | exit | wall s | peak RSS | responses |")
    print("|------|------:|---------:|-----:|-------:|---------:|----------:|")
    for name in names or list(CASES):
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as directory:
            tmp = Path(directory)
            args, inflated = CASES[name](tmp)
            assert inflated <= 64 * MIB, f"{name}: {inflated} bytes is above the 64 MiB budget"
            size = sum(
                Path(a).stat().st_size
                for a in args
                if Path(a).is_file() and not a.startswith("/dev/")
            )
            status, wall, rss, responses = measure(args, tmp)
            print(
                f"| {name} | {size / MIB:.2f} MiB | {inflated / MIB:.2f} MiB | {status} | "
                f"{wall:.2f} | {rss:.0f} MiB | {responses} |",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
