"""``customs serve`` as a real process: the body limit on the wire."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

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
