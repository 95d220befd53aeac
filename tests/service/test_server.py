"""``customs serve`` as a real process: the body limit on the wire."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from customs_engine.cli import main

from .conftest import Server


def _exchange(server: Server, head: bytes, chunks: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head)
        for chunk in chunks:
            connection.sendall(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = connection.recv(65536)
            if not data:
                break
            answer += data
    return answer


def test_413_before_the_body_is_sent(registry_url: str, serve: Callable[..., Server]) -> None:
    server = serve(registry_url, "--max-body", "1000").wait()
    # a declared length above the limit: answered before a byte of the body is sent
    declared = _exchange(
        server,
        b"POST /v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
        [],
    )
    assert declared.startswith(b"HTTP/1.1 413")
    assert json.loads(declared.split(b"\r\n\r\n", 1)[1])["limit"] == 1000
    # chunked, no length: refused once past the limit, while most of the body is never sent
    chunk = b"190\r\n" + b"y" * 400 + b"\r\n"
    streamed = _exchange(
        server,
        b"POST /v1/validations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        [chunk] * 3,
    )
    assert streamed.startswith(b"HTTP/1.1 413")
    assert b"application/problem+json" in streamed


def test_two_workers_share_their_metrics(registry_url: str, serve: Callable[..., Server]) -> None:
    """``--workers 2``: uvicorn worker processes built from the environment; /metrics adds up
    every worker's counts (prometheus-client multiprocess mode)."""
    import httpx

    from .conftest import IGM

    server = serve(registry_url, "--workers", "2").wait()
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for _ in range(6):  # new connections: the kernel spreads them over both workers
            with httpx.Client(base_url=server.base, timeout=60) as fresh:
                assert fresh.post("/v1/validations", content=IGM.read_bytes()).status_code == 201
        metrics = client.get("/metrics").text
    assert 'customs_messages_total{status="accepted"} 6.0' in metrics


def _tcp_rows(port: int, state: str) -> list[list[str]]:
    """Linux: the rows of /proc/net/tcp{,6} whose local port is ``port``, in ``state``."""
    from pathlib import Path

    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                rows.append(fields)
    return rows


def _listeners(port: int) -> int:
    return len(_tcp_rows(port, "0A"))


def _established(port: int) -> dict[int, int]:
    """Linux: how many established connections to ``port`` each process holds."""
    inodes = {fields[9] for fields in _tcp_rows(port, "01")}
    held: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        count = sum(link == f"socket:[{inode}]" for link in links for inode in inodes)
        if count:
            held[int(pid)] = count
    return held


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_two_workers_share_a_burst_of_keep_alive_connections(
    registry_url: str, serve: Callable[..., Server]
) -> None:
    """Sixteen keep-alive connections opened at once reach both workers (each listens on its
    own SO_REUSEPORT socket; with one shared socket the first worker to wake took them all)."""
    server = serve(registry_url, "--workers", "2").wait()
    deadline = time.monotonic() + 120
    while _listeners(server.port) < 2:  # /healthz answers once the first worker is up
        assert time.monotonic() < deadline, "the second worker never listened"
        time.sleep(0.1)
    connections = [
        socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(16)
    ]
    try:
        for connection in connections:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        for connection in connections:
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        held = _established(server.port)
        workers = {pid: n for pid, n in held.items() if pid != os.getpid()}
        assert sum(workers.values()) == 16
        assert len(workers) == 2, workers  # all on one worker: 2 chances in 65,536
    finally:
        for connection in connections:
            connection.close()


def test_a_second_server_on_a_port_in_use_stops(
    registry_url: str, serve: Callable[..., Server]
) -> None:
    """SO_REUSEPORT never lets a second ``customs serve --workers`` share a busy port."""
    first = serve(registry_url, "--workers", "2").wait()
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "serve",
            "--db",
            registry_url,
            "--port",
            str(first.port),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert second.returncode == 3
    assert "in use" in second.stderr
    assert "Traceback" not in second.stderr


def test_serve_on_a_database_it_cannot_write_stops_with_one_line(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only registry (as the service finds it when it opens it to write results and the
    ledger): one line naming the database and its reason, exit code 2, no traceback."""
    from sqlalchemy.exc import OperationalError

    from customs_engine.service.app import Service

    def refused(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))

    monkeypatch.setattr(Service, "open", refused)
    result = CliRunner().invoke(main, ["serve", "--db", sqlite_url, "--port", "0"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"customs: cannot serve from the registry {sqlite_url}: "
        "attempt to write a readonly database"
    ]
