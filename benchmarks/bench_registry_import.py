"""Time and peak memory of ``customs registry import`` for a large generated file.

Writes ``--rows`` authorisation rows (CSV or JSON Lines) to a temporary directory, imports them
into a fresh SQLite file (or ``--db URL``) with a fresh ``customs`` process, and prints the wall
time and the process's peak RSS (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, so the
generator's own memory is not counted).

    python benchmarks/bench_registry_import.py --rows 1000000
    python benchmarks/bench_registry_import.py --rows 1000000 --format jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "kind,scheme,number,iec,issued_on,valid_until,hs_codes,quantity,unit,value_inr,port_code"


def write(path: Path, rows: int, fmt: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        if fmt == "csv":
            handle.write(HEADER + "\n")
        for n in range(rows):
            values = [
                "authorisation",
                "IMS",
                f"IMS-2026-{n:08}",
                "AAPFU0939F",
                "2026-01-05",
                "2026-12-31",
                "84713010 84713090",
                str(100 + n % 900),
                "NOS",
                f"{5000000 + n}.00",
                "INNSA1",
            ]
            if fmt == "csv":
                handle.write(",".join(values) + "\n")
            else:
                handle.write(json.dumps(dict(zip(HEADER.split(","), values, strict=True))) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        source = Path(folder) / f"rows.{args.format}"
        write(source, args.rows, args.format)
        db = args.db or f"sqlite:///{Path(folder) / 'customs.db'}"
        load = os.getloadavg()[0]
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "customs_engine.cli",
                "registry",
                "import",
                "--db",
                db,
                str(source),
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(result.stdout.strip() or result.stderr.strip()[:500])
    print(
        f"rows={args.rows} format={args.format} db={'given' if args.db else 'sqlite file'} "
        f"exit={result.returncode} wall={wall:.1f}s peak_rss={peak_kib / 1024:.1f}MiB "
        f"file={source.name} load_avg={load:.2f}"
    )


if __name__ == "__main__":
    main()
