"""End-to-end ``customs validate`` against its parsers' own speed, memory of one large interchange,
and the -j2 gain — side by side in one run (on demand, not in CI).

Each section interleaves its contenders round by round (A, B, A, B, ...), so that the machine's
drift hits both alike, and keeps the best round of each; the spread between a contender's rounds
is printed as the noise.

* ``edifact`` — ``customs validate -j1 --format jsonl -o /dev/null`` (a fresh process, start-up
  included) over a directory of N one-message ten-item CUSDEC files, versus pydifact's
  ``Interchange.from_str`` (and ``get_messages``) over the same files in this process, reading
  included. Ratio = pydifact's time / ours.
* ``xml`` — the same ``customs validate -j1`` over N ten-item ICEGATE XML files, versus lxml
  parsing each file and validating it against the adapter's XSD (schema compiled once). Ratio =
  lxml's time / ours (the share of lxml's throughput we reach).
* ``memory`` — peak RSS (``VmHWM``, sampled every 20 ms) of ``customs validate -j1`` over one
  EDIFACT interchange of 20,000 ten-item BoEs with licences (38 MB in this layout), against its
  size; and of the same over a one-message file (the interpreter and plugins alone).
* ``archive`` — peak RSS of ``-j1`` over a 100k-message XML archive against a 1k one
  (``--archive-sizes``; the 100k run takes minutes).
* ``jobs`` — ``-j2`` versus ``-j1`` over a 10k-message EDIFACT archive, and two ``-j1`` at once
  (the parallel gain the shared machine allows at that moment).

Wall and CPU seconds are both printed (CPU: user + system, ``wait4`` for subprocesses,
``process_time`` in-process). The one-core ratios use CPU seconds: on a shared machine other
users' load inflates wall time, not CPU time. ``-j2 / -j1`` uses wall time, as it must.

    python benchmarks/bench_e2e.py                                  # everything, 3 rounds
    python benchmarks/bench_e2e.py --sections edifact,xml --rounds 5
    python benchmarks/bench_e2e.py --sections archive --archive-sizes 1000,100000
    git worktree add /tmp/before <commit>
    python benchmarks/bench_e2e.py --baseline /tmp/before/src

With ``--baseline`` the installed plugins' entry points load the baseline's modules (its ``src``
comes first on ``PYTHONPATH``); a plugin module that exists only in the newer tree fails to load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import Result, ceiling, run_once
from generate_archive import ITEMS, boe_edifact, write_archive

warnings.filterwarnings("ignore")
SECTIONS = ("edifact", "xml", "memory", "archive", "jobs")


@dataclass
class Timing:
    wall: float
    cpu: float


#: (label, source tree put first on PYTHONPATH or None for the installed one) of each contender
VERSIONS: list[tuple[str, str | None]] = [("customs", None)]


def _customs(path: Path, size: int, fmt: str, jobs: int = 1, src: str | None = None) -> Result:
    saved = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = src
    try:
        return run_once(path, size, fmt, jobs)
    finally:
        if src is not None:
            if saved is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = saved


def _in_process(work: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def _dataset(workdir: Path, fmt: str, count: int) -> Path:
    target = workdir / f"files-{fmt}-{count}"
    if not target.exists():
        partial = workdir / f"files-{fmt}-{count}.partial"
        write_archive(partial, count, fmt)
        partial.rename(target)
    return target


def _spread(values: list[float]) -> str:
    best = min(values)
    return (
        f"best {best:.2f}, rounds {', '.join(f'{v:.2f}' for v in values)} "
        f"(+{(max(values) / best - 1) * 100:.0f}% worst/best)"
    )


def _versus(
    label: str,
    directory: Path,
    fmt: str,
    count: int,
    rounds: int,
    reference_name: str,
    reference: Callable[[], object],
) -> None:
    ours: dict[str, list[Result]] = {name: [] for name, _ in VERSIONS}
    theirs: list[Timing] = []
    for _ in range(rounds):
        for name, src in VERSIONS:
            ours[name].append(_customs(directory, count, fmt, src=src))
        theirs.append(_in_process(reference))
    ref_cpu = [t.cpu for t in theirs]
    print(f"[{label}] {count} files, {rounds} rounds interleaved, load {os.getloadavg()[0]:.2f}")
    print(f"  {reference_name} cpu s : {_spread(ref_cpu)}  -> {count / min(ref_cpu):.0f} msg/s")
    print(f"  {reference_name} wall s: {_spread([t.wall for t in theirs])}")
    for name, results in ours.items():
        cpu = [r.cpu for r in results]
        per_round = [t.cpu / o.cpu for o, t in zip(results, theirs, strict=True)]
        print(f"  {name} validate -j1 cpu s : {_spread(cpu)}  -> {count / min(cpu):.0f} msg/s")
        print(f"  {name} validate -j1 wall s: {_spread([r.wall for r in results])}")
        print(
            f"  {name}: ratio {reference_name} / validate (best cpu): "
            f"{min(ref_cpu) / min(cpu):.2f}x; per round: "
            f"{', '.join(f'{x:.2f}' for x in per_round)}",
            flush=True,
        )


def edifact(workdir: Path, count: int, rounds: int) -> None:
    from pydifact.segmentcollection import Interchange

    directory = _dataset(workdir, "edifact", count)
    files = _files(directory)

    def pydifact_all() -> None:
        for path in files:
            interchange = Interchange.from_str(path.read_text(encoding="utf-8"))
            list(interchange.get_messages())

    _versus("edifact", directory, "edifact", count, rounds, "pydifact from_str", pydifact_all)


def xml(workdir: Path, count: int, rounds: int) -> None:
    from importlib.resources import files as resources

    from lxml import etree

    directory = _dataset(workdir, "xml", count)
    paths = _files(directory)
    xsd = (
        resources("customs_engine.adapters.icegate_xml")
        / "schema"
        / "customs-engine-icegate-v1.xsd"
    )
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)

    def lxml_all() -> None:
        for path in paths:
            document = etree.fromstring(path.read_bytes(), parser)
            if not schema.validate(document):
                raise SystemExit(f"{path} does not validate: {schema.error_log}")

    _versus("xml", directory, "xml", count, rounds, "lxml parse+XSD", lxml_all)


def big_interchange(workdir: Path, count: int, items: int = ITEMS) -> Path:
    """One UNB…UNZ interchange of ``count`` CUSDEC messages of ``items`` goods items each
    (generate_archive's layout)."""
    target = workdir / f"interchange-{count}{'' if items == ITEMS else f'x{items}'}.edi"
    if target.exists():
        return target
    bodies = []
    for index in range(count):
        lines = boe_edifact(index, items).decode().split("'\n")
        bodies.extend(lines[2:-2])  # drop UNA, UNB and UNZ (and the empty tail)
    head = boe_edifact(0).decode().split("'\n")[:2]
    unb = head[1].replace("BE0000000", "BIG")
    text = "'\n".join([head[0], unb, *bodies, f"UNZ+{count}+BIG"]) + "'\n"
    target.write_text(text, encoding="utf-8")
    return target


def memory(workdir: Path, count: int, rounds: int, items: int = ITEMS) -> None:
    path = big_interchange(workdir, count, items)
    single = _dataset(workdir, "edifact", 1)
    size = path.stat().st_size
    print(
        f"[memory] one interchange, {count} BoEs of {items} items, {size / 1e6:.1f} MB, load "
        f"{os.getloadavg()[0]:.2f}"
    )
    for name, src in VERSIONS:
        big = [_customs(path, count, "edifact", src=src) for _ in range(rounds)]
        small = _customs(single, 1, "edifact", src=src)
        peak = min(r.hwm_kib for r in big) * 1024
        base = small.hwm_kib * 1024
        print(
            f"  {name}: peak RSS {peak / 2**20:.1f} MiB = {peak / size:.1f}x the file "
            f"({big[0].messages / min(r.wall for r in big):.0f} msg/s, "
            f"{big[0].messages / min(r.cpu for r in big):.0f} msg/s of CPU); one-message run "
            f"{base / 2**20:.1f} MiB (interpreter + plugins); above it: "
            f"{(peak - base) / size:.1f}x the file",
            flush=True,
        )


def archive(workdir: Path, sizes: list[int]) -> None:
    for name, src in VERSIONS:
        results = []
        for size in sizes:
            path = workdir / f"be-xml-{size}.tar.gz"
            if not path.exists():
                write_archive(path, size, "xml")
            results.append(_customs(path, size, "xml", src=src))
        smallest = results[0]
        for r in results:
            print(
                f"[archive] {name} xml {r.size:>7} -j1: peak RSS {r.hwm_kib / 1024:.1f} MiB "
                f"({r.hwm_kib / smallest.hwm_kib:.2f}x the {smallest.size} one), "
                f"{r.rate:.0f} msg/s, load {os.getloadavg()[0]:.2f}",
                flush=True,
            )


def jobs(workdir: Path, size: int, rounds: int) -> None:
    path = workdir / f"be-edifact-{size}.tar.gz"
    if not path.exists():
        write_archive(path, size, "edifact")
    one: dict[str, list[Result]] = {name: [] for name, _ in VERSIONS}
    two: dict[str, list[Result]] = {name: [] for name, _ in VERSIONS}
    ceilings = []
    for _ in range(rounds):
        for name, src in VERSIONS:
            one[name].append(_customs(path, size, "edifact", 1, src))
            two[name].append(_customs(path, size, "edifact", 2, src))
        ceilings.append(ceiling(path, one[VERSIONS[-1][0]][-1].wall))
    print(
        f"[jobs] edifact {size}, {rounds} rounds, load {os.getloadavg()[0]:.2f}; machine "
        f"ceiling (two -j1 at once): {', '.join(f'{c:.2f}' for c in ceilings)}"
    )
    for name, _ in VERSIONS:
        ratios = [b.rate / a.rate for a, b in zip(one[name], two[name], strict=True)]
        print(f"  {name} -j1 wall s: {_spread([r.wall for r in one[name]])}")
        print(f"  {name} -j2 wall s: {_spread([r.wall for r in two[name]])}")
        print(
            f"  {name} -j2 / -j1 per round: {', '.join(f'{x:.2f}' for x in ratios)} "
            f"(median {statistics.median(ratios):.2f}x); best/best "
            f"{min(r.wall for r in one[name]) / min(r.wall for r in two[name]):.2f}x",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sections",
        default=",".join(s for s in SECTIONS if s != "archive"),
        help=f"comma-separated, of {', '.join(SECTIONS)}",
    )
    parser.add_argument("--files", type=int, default=3000, help="files for edifact and xml")
    parser.add_argument("--interchange", type=int, default=20000, help="BoEs in the big one")
    parser.add_argument(
        "--interchange-items",
        type=int,
        default=ITEMS,
        help="goods items in each BoE of the big one (2: 20,000 BoEs make about 14 MB)",
    )
    parser.add_argument("--archive-sizes", default="1000,100000")
    parser.add_argument("--jobs-size", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/customs-bench"))
    parser.add_argument(
        "--baseline",
        metavar="SRC",
        help="also run, interleaved, the customs_engine of this source tree (e.g. "
        "a `git worktree add /tmp/before <commit>`'s src): before/after",
    )
    args = parser.parse_args(argv)
    # an installed customs has its bytecode cached; without this every run would compile every
    # module again (about a third of start-up here)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.baseline:
        VERSIONS[:] = [("before", args.baseline), ("after", None)]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M:%S')} UTC, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    for section in args.sections.split(","):
        if section == "edifact":
            edifact(args.workdir, args.files, args.rounds)
        elif section == "xml":
            xml(args.workdir, args.files, args.rounds)
        elif section == "memory":
            memory(args.workdir, args.interchange, 1, args.interchange_items)
        elif section == "archive":
            archive(args.workdir, [int(s) for s in args.archive_sizes.split(",")])
        elif section == "jobs":
            jobs(args.workdir, args.jobs_size, args.rounds)
        else:
            parser.error(f"unknown section {section!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
