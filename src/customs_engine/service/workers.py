"""``customs serve --workers N``: uvicorn worker processes, each listening on its own socket.

uvicorn's own multi-worker mode gives every worker one shared listening socket, and an asyncio
server accepts every pending connection when its loop wakes up: a burst of keep-alive
connections (a client's threads, a reverse proxy's pool) lands on whichever worker woke first
and stays there while the others idle — measured with two workers and four clients: 8.15 s of
CPU in one worker, 0.06 s in the other (``benchmarks/RESULTS.md``). Here each worker opens its
own socket on the address with ``SO_REUSEPORT``, and the kernel spreads new connections over
them (by a hash of each client's address and port). uvicorn's supervisor still starts, watches,
restarts and stops the workers.

Where ``SO_REUSEPORT`` does not exist (Windows), the workers share one socket as in uvicorn.
"""

from __future__ import annotations

import inspect
import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` beside the other workers' (``listen`` comes from the
    server that serves on it)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class Address(socket.socket):
    """The supervisor's hold on the address: bound with ``SO_REUSEPORT`` but never listening, so
    it keeps the port (and resolves ``--port 0``) without taking any connection. It reaches each
    worker process as its address only: unpickled there, it is that worker's own new socket."""

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        host, port = self.getsockname()[:2]
        return (listener, (host, port))


def address(host: str, port: int) -> Address:
    """Hold ``host:port`` for the workers; :class:`OSError` when something else listens there.

    ``SO_REUSEPORT`` would let this server share a port another server (another ``customs
    serve``) already uses, silently splitting its traffic: the port is first bound without it,
    which fails on a port in use (and resolves port 0), then held with it."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sock = Address(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def run(config: uvicorn.Config) -> None:
    """Serve ``config`` (an import string, ``workers`` > 1) until stopped."""
    from uvicorn.supervisors import Multiprocess

    if not reuse_port_supported():
        sock = config.bind_socket()  # logs why and exits when it cannot
    else:
        try:
            sock = address(config.host, config.port)
        except OSError as exc:
            logging.getLogger("uvicorn.error").error(exc)
            sys.exit(STARTUP_FAILURE)
    try:
        if "target" in inspect.signature(Multiprocess).parameters:  # older uvicorn releases
            target = uvicorn.Server(config).run
            Multiprocess(config, target=target, sockets=[sock]).run()  # type: ignore[call-arg,unused-ignore]
        else:
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
