"""Benchmark ``customs validate`` over generated Bill of Entry archives (run on demand, not in CI).

For each size and wire format it generates an archive of 10-item Bills of Entry (cached in
``--workdir``), then runs, in a fresh process each time::

    customs validate --format jsonl -o /dev/null --no-progress -jN ARCHIVE

and reports messages per second, wall and CPU time, and peak memory, for each ``N``.

How it measures:

* wall time — around the subprocess;
* CPU — ``os.wait4`` of the ``customs`` process: user + system time of it and of the worker
  processes it waited for;
* peak RSS (largest process) — ``ru_maxrss`` from the same ``wait4``: the maximum over the process
  and its waited-for workers, not their sum. Linux counts into it the RSS of the forking parent
  at ``fork`` time, so it is meaningful only while this script stays small;
* peak RSS of the main process alone — its ``VmHWM`` (high-water mark since ``exec``), sampled
  with the tree (immune to the parent's size; may miss growth in the last 20 ms);
* peak tree RSS (sum) — ``/proc/<pid>/status`` VmRSS of the process and its children summed, sampled
  every 20 ms (may miss a short spike);
* ``--ceiling`` — two independent ``-j1`` runs at once versus one: the parallel gain the machine
  offers at that moment (shared cores and other users' load keep it below 2x). ``-j2 / -j1`` can
  only be judged against it.

EDIFACT archives are generated always; they are benchmarked only when an ``edifact`` adapter is
installed (``customs plugins``), otherwise skipped with a message.

    python benchmarks/bench_batch.py                       # 1k and 10k, XML and EDIFACT, -j1 -j2
    python benchmarks/bench_batch.py --sizes 100000 --formats xml --ceiling
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_archive import write_archive

SAMPLE_SECONDS = 0.02


@dataclass
class Result:
    size: int
    fmt: str
    jobs: int
    messages: int
    wall: float
    cpu: float
    max_rss_kib: int
    tree_rss_kib: int
    hwm_kib: int = 0

    @property
    def rate(self) -> float:
        return self.messages / self.wall


def customs_command() -> list[str]:
    found = shutil.which("customs", path=str(Path(sys.executable).parent)) or shutil.which(
        "customs"
    )
    return [found] if found else [sys.executable, "-m", "customs_engine.cli"]


def installed_formats() -> set[str]:
    out = subprocess.run(
        [*customs_command(), "plugins", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {plugin["name"] for plugin in json.loads(out)}


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _rss_kib(pid: int, field: str = "VmRSS:") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kib(current)
        stack.extend(_children(current))
    return total


def validate_command(archive: Path, jobs: int) -> list[str]:
    return [
        *customs_command(),
        "validate",
        "--format",
        "jsonl",
        "-o",
        os.devnull,
        "--no-progress",
        f"-j{jobs}",
        str(archive),
    ]


def ceiling(archive: Path, alone: float) -> float:
    """What two independent ``-j1`` runs at once achieve over one: the most any parallel run can
    gain on this machine right now (other users' load and shared cores lower it below 2)."""
    started = time.perf_counter()
    both = [
        subprocess.Popen(
            validate_command(archive, 1), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    for process in both:
        process.wait()
    return 2 * alone / (time.perf_counter() - started)


def run_once(archive: Path, size: int, fmt: str, jobs: int) -> Result:
    command = validate_command(archive, jobs)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    os.set_blocking(process.stderr.fileno(), False)
    peak_tree = peak_hwm = 0
    captured = b""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak_tree = max(peak_tree, tree_rss_kib(process.pid))
        peak_hwm = max(peak_hwm, _rss_kib(process.pid, "VmHWM:"))
        captured += process.stderr.read() or b""
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - started
    captured += process.stderr.read() or b""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"customs failed with exit code {code}:\n{captured.decode(errors='replace')}")
    summary = re.search(r"^customs: (\d+) messages? in ", captured.decode(), re.MULTILINE)
    messages = int(summary.group(1)) if summary else size
    return Result(
        size,
        fmt,
        jobs,
        messages,
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss,
        peak_tree,
        peak_hwm,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000",
        help="comma-separated message counts (e.g. 1000,10000,100000)",
    )
    parser.add_argument("--formats", default="xml,edifact")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument(
        "--kind",
        choices=["tar.gz", "zip", "dir"],
        default="tar.gz",
        help="archive kind to generate",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/customs-bench"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per point; the best is kept")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also run two -j1 at once: the parallel gain the machine allows now",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    formats = args.formats.split(",")
    installed = installed_formats()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M:%S')}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}; {' '.join(customs_command())}"
    )
    results: list[Result] = []
    for fmt in formats:
        if fmt == "edifact" and "edifact" not in installed:
            print("# skipping EDIFACT: no 'edifact' adapter plugin is installed")
            continue
        for size in sizes:
            suffix = "" if args.kind == "dir" else f".{args.kind}"
            archive = args.workdir / f"be-{fmt}-{size}{suffix}"
            if not archive.exists():
                write_archive(archive, size, fmt)
            for n in jobs:
                best = min(
                    (run_once(archive, size, fmt, n) for _ in range(args.repeat)),
                    key=lambda r: r.wall,
                )
                results.append(best)
                print(
                    f"{fmt:8} {size:>7} -j{n}: {best.rate:8.1f} msg/s  wall {best.wall:7.2f} s"
                    f"  cpu {best.cpu:7.2f} s  peak RSS {best.max_rss_kib / 1024:6.1f} MiB "
                    f"(tree {best.tree_rss_kib / 1024:6.1f} MiB)  load "
                    f"{os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                if args.ceiling and n == 1:
                    print(
                        f"{fmt:8} {size:>7} two -j1 at once: {ceiling(archive, best.wall):.2f}x "
                        "the throughput of one (machine ceiling now)",
                        flush=True,
                    )
    _ratios(results)
    return 0


def _ratios(results: list[Result]) -> None:
    by_key = {(r.fmt, r.size, r.jobs): r for r in results}
    for r in results:
        one = by_key.get((r.fmt, r.size, 1))
        if r.jobs != 1 and one is not None:
            print(f"{r.fmt} {r.size}: -j{r.jobs} / -j1 throughput = {r.rate / one.rate:.2f}x")
    for r in results:
        smallest = min(
            (x for x in results if x.fmt == r.fmt and x.jobs == r.jobs), key=lambda x: x.size
        )
        if r.size != smallest.size:
            print(
                f"{r.fmt} -j{r.jobs}: peak RSS {r.size} / {smallest.size} = "
                f"{r.max_rss_kib / smallest.max_rss_kib:.2f}x (largest process), "
                f"{r.tree_rss_kib / max(smallest.tree_rss_kib, 1):.2f}x (tree)"
            )


if __name__ == "__main__":
    sys.exit(main())
