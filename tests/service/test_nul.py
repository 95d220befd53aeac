"""A NUL (U+0000) in a URL path, an upload's name, a token or a message's own fields.

PostgreSQL refuses a text parameter holding a NUL with an error, even in a look-up: every such
request once got 503 "the registry database does not answer" (send again: the same answer,
forever), where SQLite answered 201 or 404; a committing upload named ``a%00.zip`` was committed
and then never answered. Now both backends answer alike.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from customs_engine.cli import main
from customs_engine.core.plugin_host import PluginHost
from customs_engine.core.registry import SqlRegistry
from customs_engine.service.app import Service, Settings, create_app

from .conftest import AUTHORISATION, BOE, IGM, seed
from .test_api import bearer, problem, token

BACKENDS = ["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest) -> str:
    registry: str = request.getfixturevalue(request.param)
    seed(registry)
    return registry


@pytest.fixture
def api(url: str, host: PluginHost) -> Iterator[TestClient]:
    service = Service.open(Settings(db=url), host)
    try:
        yield TestClient(create_app(service), raise_server_exceptions=False)
    finally:
        service.close()


@pytest.fixture
def nul_reference(tmp_path: Path) -> Path:
    """The example Bill of Entry in EDIFACT, its UNH message reference holding a NUL."""
    converted = CliRunner().invoke(main, ["convert", "--to", "edifact", str(BOE)])
    assert converted.exit_code == 0, converted.output
    data = converted.stdout_bytes
    assert b"UNH+BE-I" in data
    path = tmp_path / "nul-ref.edi"
    path.write_bytes(data.replace(b"UNH+BE-I", b"UNH+BE-\x00", 1))
    return path


def entries(url: str) -> list[tuple[str, int, object, object]]:
    store = SqlRegistry.open(url)
    try:
        return store.debits_of("IMS", AUTHORISATION)
    finally:
        store.close()


def test_a_nul_in_a_path_is_not_found(api: TestClient) -> None:
    assert "A\x00B" in problem(api.get("/v1/registry/A%00B"), 404)["detail"]
    problem(api.get("/v1/validations/%00"), 404)
    problem(api.get("/v1/validations/ab%00cd?format=text"), 404)


def test_a_message_holding_a_nul_is_rejected_as_a_syntax_error(
    api: TestClient, url: str, nul_reference: Path
) -> None:
    committer = token(url, "commit")
    for query in ("", "&commit=true"):
        reply = api.post(
            f"/v1/validations?name=nul-ref.edi{query}",
            content=nul_reference.read_bytes(),
            headers=bearer(committer),
        )
        assert reply.status_code == 201, reply.text
        answer = reply.json()
        assert answer["status"] == "rejected"
        assert answer["message"]["reference"] == "BE-\x00EB2D502E17"
        assert any(
            f["rule"].startswith("CORE-SYNTAX") and "U+0000" in f["message"]
            for f in answer["findings"]
        )
        stored = api.get(reply.headers["location"])
        assert stored.status_code == 200 and stored.json() == answer
    assert entries(url) == []
    # in an archive, the messages after it are checked (the run once stopped there)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("a-nul-ref.edi", nul_reference.read_bytes())
        packed.writestr("b-boe.xml", BOE.read_bytes())
    reply = api.post("/v1/validations?name=both.zip", content=archive.getvalue())
    assert reply.status_code == 201, reply.text
    assert [r["status"] for r in reply.json()] == ["rejected", "query"]
    # and the CLI on the same database answers the same (it once exited 2: "database failed")
    cli = CliRunner().invoke(
        main, ["validate", "--db", url, "--commit", "--format", "json", str(nul_reference)]
    )
    assert cli.exit_code == 1, cli.output
    assert json.loads(cli.stdout)["status"] == "rejected"
    assert entries(url) == []


def test_a_nul_in_the_upload_name_is_escaped_and_a_commit_answered(
    api: TestClient, url: str
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("igm.xml", IGM.read_bytes())
        packed.writestr("boe.xml", BOE.read_bytes())
    committer = token(url, "commit")
    answers = []
    for _ in range(2):  # the second is a replay: answered, nothing debited again
        reply = api.post(
            "/v1/validations?name=a%00.zip&commit=true",
            content=archive.getvalue(),
            headers=bearer(committer),
        )
        assert reply.status_code == 201, reply.text
        answers.append(reply.json())
        assert [r["message"]["source"] for r in answers[-1]] == [
            "a\\x00.zip!igm.xml",
            "a\\x00.zip!boe.xml",
        ]
        assert api.get(reply.headers["location"]).json() == answers[-1]
    assert answers[0] == answers[1]
    assert len(entries(url)) == 1


def test_a_token_holding_a_nul_is_refused_not_a_database_failure(api: TestClient) -> None:
    for headers in (
        bearer("ce_\x00_x"),
        {"Cookie": 'customs_token="ce_\\000ab_x"'},  # a quoted cookie's octal escape
    ):
        reply = api.post("/v1/validations?commit=true", content=b"x", headers=headers)
        assert "unknown or revoked" in problem(reply, 401)["detail"]


def test_the_console_finds_nothing_by_a_nul_either(api: TestClient) -> None:
    """Its pages read the same stores: a page for a path or filter holding a NUL, never the
    "database does not answer" page."""
    assert api.get("/validations/%00").status_code == 404
    assert api.get("/authorisations/A%00B").status_code == 404
    assert api.get("/?rule=A%00").status_code == 200
