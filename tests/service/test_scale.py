"""Scale-out: two ``customs serve`` processes on one registry, eight clients committing at once.

IMS-2026-00042 has 100 units; each client commits a Bill of Entry of 20: never more than 5 may be
accepted, whatever the interleaving, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from click.testing import CliRunner

from customs_engine.cli import main
from customs_engine.core.registry import SqlRegistry

from .conftest import AUTHORISATION, IGM, Server, bill, seed
from .test_api import bearer, token

CLIENTS = 8


@pytest.mark.parametrize(
    "backend", ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]
)
def test_eight_committing_clients_on_two_servers_never_over_debit(
    backend: str, request: pytest.FixtureRequest, serve: Callable[..., Server]
) -> None:
    url = request.getfixturevalue(backend)
    seed(url)
    assert CliRunner().invoke(main, ["validate", "--db", url, "--commit", str(IGM)]).exit_code == 0
    committer = token(url, "commit")
    servers = [serve(url), serve(url)]
    for server in servers:
        server.wait()
    start = threading.Barrier(CLIENTS)
    statuses: dict[int, str] = {}

    def client(n: int) -> None:
        base = servers[n % 2].base
        body = bill(f"BE-SCALE-{n}", quantity=20)
        start.wait()
        try:
            answered = httpx.post(
                f"{base}/v1/validations?commit=true",
                content=body,
                headers=bearer(committer),
                timeout=120,
            )
        except httpx.HTTPError as error:  # kept, so that a failure says what each client saw
            statuses[n] = f"{base}: {error!r}"
            return
        if answered.status_code == 201:
            statuses[n] = answered.json()["status"]
        else:
            statuses[n] = f"{base}: HTTP {answered.status_code} {answered.text[:500]}"

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == CLIENTS
    assert set(statuses.values()) <= {"accepted", "rejected"}, (
        statuses,
        [server.log() for server in servers],
    )
    accepted = sorted(n for n, status in statuses.items() if status == "accepted")
    assert len(accepted) == 5  # never more; and no fewer, since nothing else can refuse them
    assert {status for status in statuses.values()} == {"accepted", "rejected"}
    store = SqlRegistry.open(url)
    debits = store.debits_of("IMS", AUTHORISATION)
    store.close()
    assert sorted(int(d[0].rsplit("-", 1)[1]) for d in debits) == accepted
    assert sum(d[2] for d in debits) == 100
