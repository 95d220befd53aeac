"""Fixtures for the integrator service: a registry with the examples, an app, messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.importer import read_file
from customs_engine.service.app import Service, Settings, create_app
from tests.conftest import MESSAGES, REGISTRY_CSV

IGM = MESSAGES / "01-igm-innsa1-2234567.xml"
BOE = MESSAGES / "02-be-laptops-ims.xml"
AUTHORISATION = "IMS-2026-00042"  # 100 NOS / INR 5000000.00 in the example registry


def bill(message_id: str, quantity: int = 20) -> bytes:
    """The example laptop Bill of Entry under IMS-2026-00042, with its own id and quantity
    (INR 50000 a unit, so 20 units are INR 1000000.00: 5 of them exhaust the authorisation)."""
    text = BOE.read_text()
    text = text.replace('messageId="BE-INNSA1-000123"', f'messageId="{message_id}"')
    text = re.sub(
        r'<Quantity unit="NOS">\d+</Quantity>', f'<Quantity unit="NOS">{quantity}</Quantity>', text
    )
    text = re.sub(
        r'<Value currency="INR">[\d.]+</Value>',
        f'<Value currency="INR">{quantity * 50000}.00</Value>',
        text,
    )
    text = re.sub(r"<ForeignValue [^>]*>[\d.]+</ForeignValue>", "", text)
    return text.encode()


def seed(url: str) -> None:
    """The example registry rows, and the IGM the example bills are noted against."""
    store = SqlRegistry.open(url)
    try:
        store.replace_records(read_file(str(REGISTRY_CSV)), source="examples")
    finally:
        store.close()


@pytest.fixture(scope="session")
def host() -> PluginHost:
    return PluginHost.from_entry_points()


@pytest.fixture
def registry_url(sqlite_url: str) -> str:
    seed(sqlite_url)
    return sqlite_url


@pytest.fixture
def make_client(registry_url: str, host: PluginHost) -> Iterator[Callable[..., TestClient]]:
    services: list[Service] = []

    def make(raise_server_exceptions: bool = True, **settings: object) -> TestClient:
        service = Service.open(
            Settings(db=registry_url, **settings),  # type: ignore[arg-type]
            host,
        )
        services.append(service)
        return TestClient(create_app(service), raise_server_exceptions=raise_server_exceptions)

    yield make
    for service in services:
        service.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


class Server:
    """``customs serve`` in a subprocess on a free port of 127.0.0.1."""

    def __init__(self, url: str, *args: str):
        import socket
        import subprocess
        import sys

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "customs_engine.cli",
                "serve",
                "--db",
                url,
                "--port",
                str(self.port),
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self, timeout: float = 60) -> Server:
        import time

        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"customs serve exited: {self.process.stderr.read()!r}"
                    if self.process.stderr
                    else "customs serve exited"
                )
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("customs serve did not answer /healthz")

    def log(self) -> str:
        """What the server wrote to stderr, stopping it first (for a failure's message: a
        client that saw the connection dropped needs the server's side of the story)."""
        self._end()
        if self.process.stderr is None or self.process.stderr.closed:
            return ""
        return self.process.stderr.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self._end()
        if self.process.stderr:
            self.process.stderr.close()

    def _end(self) -> None:
        """Ask the server to stop, and kill it if it has not within 20 seconds."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except Exception:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(url: str, *args: str) -> Server:
        server = Server(url, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
