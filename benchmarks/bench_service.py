"""Benchmark ``customs serve`` against ``customs validate`` on the same 10-item Bills of Entry
(run on demand, not in CI). Everything runs on 127.0.0.1, with bounded request counts.

For each ``--workers`` value it starts ``customs serve --workers N`` on a free port of 127.0.0.1
over a SQLite registry holding the example rows, and measures:

* **saturation** — ``--clients`` threads, each on its own keep-alive connection, send
  ``POST /v1/validations`` (one 10-item Bill of Entry each, distinct message ids, no commit)
  back to back until ``--requests`` are answered: validations per second, and the latency
  percentiles at that load;
* **half of saturation** — an open loop sending ``--requests`` requests at half the saturated
  rate, evenly spaced: latency p50/p99 (from the moment each request was due, so queueing counts).

The baseline is ``customs validate --format json -o /dev/null`` over the same messages as files
of a directory, in one process: its own messages/s (measured inside the run, start-up excluded —
the most favourable figure for the command line) and its wall time with start-up.

The load generator shares the machine's cores with the servers (a Python client costs CPU too):
the figures are a floor for what a server on its own cores would do. To tell what limited a
run, each row also gives, for the saturated phase, the CPU time the server processes spent per
request (from ``/proc``, per worker: an uneven split means the kernel handed the keep-alive
connections to one worker), the client's own CPU per request, and how busy the whole machine
was (``/proc/stat``: every process's share, and the hypervisor's steal). A server using less than
its cores while the machine is not busy waits on something other than the CPU.

    python benchmarks/bench_service.py                      # workers 1 and 2, 400 requests
    python benchmarks/bench_service.py --workers 1 --requests 1000 --clients 6
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_archive import boe_xml

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "examples" / "registry" / "registry.csv"
CUSTOMS = [sys.executable, "-m", "customs_engine.cli"]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_of(pid: int) -> list[int]:
    """The server's worker processes (uvicorn's children; none with one worker)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def machine_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) clock ticks of every CPU since boot (``/proc/stat``)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal, sum(values[:8])


class CpuMeter:
    """CPU spent by the server's processes, this client and the whole machine over a phase."""

    def __init__(self, server: int):
        self.workers = workers_of(server)
        self.server = server
        self.started = self._read()

    def _read(self) -> tuple[list[float], float, tuple[int, int, int]]:
        return (
            [process_cpu(pid) for pid in [self.server, *self.workers]],
            time.process_time(),
            machine_ticks(),
        )

    def report(self, requests: int) -> dict[str, object]:
        (server0, client0, machine0), (server1, client1, machine1) = self.started, self._read()
        spent = [after - before for before, after in zip(server0, server1, strict=True)]
        busy, steal, total = (b - a for a, b in zip(machine0, machine1, strict=True))
        return {
            "server_cpu_ms_per_request": round(sum(spent) / requests * 1000, 1),
            "worker_cpu_s": [round(s, 2) for s in spent[1:]] if len(spent) > 1 else None,
            "client_cpu_ms_per_request": round((client1 - client0) / requests * 1000, 2),
            "machine_busy": round(busy / max(total, 1), 2),
            "machine_steal": round(steal / max(total, 1), 2),
        }


def cli_baseline(url: str, folder: Path) -> tuple[float, float]:
    """(messages/s inside the run, wall seconds with start-up)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            *CUSTOMS,
            "validate",
            "--db",
            url,
            "--format",
            "json",
            "-o",
            os.devnull,
            "--no-progress",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    rate = re.search(r"\(([\d.]+) messages/s\)", done.stderr)
    if rate is None:
        raise SystemExit(f"customs validate failed: {done.stderr}")
    return float(rate.group(1)), wall


class Client:
    """One keep-alive connection posting Bills of Entry (opened again when the server closed it
    after its keep-alive timeout, 5 s in uvicorn: an open-loop sender may idle that long)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, body: bytes) -> float:
        started = time.perf_counter()
        try:
            answer = self._send(body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.connection.close()
            answer = self._send(body)
        answer.read()
        if answer.status != 201:
            raise RuntimeError(f"HTTP {answer.status}")
        return time.perf_counter() - started

    def _send(self, body: bytes) -> http.client.HTTPResponse:
        self.connection.request(
            "POST", "/v1/validations", body=body, headers={"Content-Type": "application/xml"}
        )
        return self.connection.getresponse()


def saturate(port: int, bodies: list[bytes], clients: int) -> tuple[float, list[float]]:
    """(validations/s, latencies) with ``clients`` back-to-back senders."""
    latencies: list[float] = []
    lock = threading.Lock()
    queue = iter(bodies)

    def sender() -> None:
        client = Client(port)
        while True:
            with lock:
                body = next(queue, None)
            if body is None:
                return
            took = client.post(body)
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=sender) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(bodies) / (time.perf_counter() - started), latencies


def open_loop(port: int, bodies: list[bytes], rate: float) -> list[float]:
    """Latency of requests sent at ``rate`` per second, counted from when each was due."""
    local = threading.local()

    def send(due: float, body: bytes) -> float:
        if not hasattr(local, "client"):
            local.client = Client(port)
        local.client.post(body)
        return time.perf_counter() - due

    interval = 1.0 / rate
    futures = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        start = time.perf_counter() + 0.05
        for n, body in enumerate(bodies):
            due = start + n * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            futures.append(pool.submit(send, due, body))
        return [future.result() for future in futures]


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [*CUSTOMS, "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("customs serve did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="customs-bench-") as work:
        url = f"sqlite:///{Path(work) / 'registry.db'}"
        subprocess.run(
            [*CUSTOMS, "registry", "import", "--db", url, str(REGISTRY)],
            check=True,
            capture_output=True,
        )
        folder = Path(work) / "messages"
        folder.mkdir()
        bodies = [boe_xml(n) for n in range(args.requests)]
        for n, body in enumerate(bodies):
            (folder / f"be-{n:06d}.xml").write_bytes(body)
        rows: list[dict[str, object]] = []
        cli_rate, cli_wall = cli_baseline(url, folder)
        print(
            f"customs validate: {cli_rate:.1f} messages/s in the run; "
            f"{args.requests} messages in {cli_wall:.2f} s with start-up",
            flush=True,
        )
        for workers in [int(w) for w in args.workers.split(",")]:
            process, port = serve(url, workers)
            try:
                Client(port).post(bodies[0])  # warm-up: first-use set-up in each worker
                saturate(port, bodies[: 4 * workers * args.clients], args.clients)
                meter = CpuMeter(process.pid)
                rate, busy = saturate(port, bodies, args.clients)
                cpu = meter.report(len(bodies))
                half = open_loop(port, bodies, rate / 2)
            finally:
                process.terminate()
                process.wait(timeout=30)
            row = {
                "workers": workers,
                "validations_per_s": round(rate, 1),
                "vs_cli": round(rate / cli_rate, 3),
                "saturated_p50_ms": round(statistics.median(busy) * 1000, 1),
                "saturated_p99_ms": round(percentile(busy, 0.99) * 1000, 1),
                "half_rate_per_s": round(rate / 2, 1),
                "half_p50_ms": round(statistics.median(half) * 1000, 1),
                "half_p99_ms": round(percentile(half, 0.99) * 1000, 1),
                **cpu,
                "load": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
        print(
            json.dumps(
                {
                    "cli_messages_per_s": cli_rate,
                    "cli_wall_s": round(cli_wall, 2),
                    "requests": args.requests,
                    "clients": args.clients,
                    "load": os.getloadavg()[0],
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
