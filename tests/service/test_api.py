"""``customs serve``'s HTTP API: every endpoint, problem documents, 413, token scopes."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.orm import Session

from customs_engine.cli import main
from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.core.registry import SqlRegistry
from customs_engine.core.registry.tables import ValidationRow

from .conftest import AUTHORISATION, BOE, IGM, bill

PROBLEM = "application/problem+json"


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in response.text
    return body  # type: ignore[no-any-return]


def token(url: str, scope: str) -> str:
    result = CliRunner().invoke(main, ["tokens", "create", "--scope", scope, "--db", url])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def test_post_answers_what_customs_validate_writes(client: TestClient, registry_url: str) -> None:
    posted = client.post("/v1/validations?name=02-be-laptops-ims.xml", content=BOE.read_bytes())
    assert posted.status_code == 201
    assert posted.headers["content-type"] == "application/json"
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "validate",
            "--db",
            registry_url,
            "--format",
            "json",
            "02-be-laptops-ims.xml",
        ],
        cwd=BOE.parent,
        capture_output=True,
        check=False,
    )
    assert posted.content == cli.stdout
    response = posted.json()
    assert response["message"]["reference"] == "BE-INNSA1-000123"
    assert response["status"] == "query"  # its IGM is not stored: noting cannot be checked
    # the stored result is the same document
    stored = client.get(posted.headers["location"])
    assert stored.status_code == 200 and stored.content == posted.content
    assert posted.headers["x-validation-id"] in posted.headers["location"]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/x-ndjson, */*;q=0.1", "application/jsonl"),
        ("application/jsonl;q=0, application/json", "application/json"),  # q=0: not acceptable
        ("application/json, application/jsonl;q=0.5", "application/json"),  # JSON preferred
        ("*/*", "application/json"),
    ],
)
def test_accept_chooses_json_lines_by_its_quality(
    client: TestClient, accept: str, media_type: str
) -> None:
    answered = client.post("/v1/validations", content=IGM.read_bytes(), headers={"Accept": accept})
    assert answered.status_code == 201 and answered.headers["content-type"] == media_type


def test_json_lines_by_accept_and_other_formats(client: TestClient) -> None:
    lines = client.post(
        "/v1/validations", content=IGM.read_bytes() + b"", headers={"Accept": "application/jsonl"}
    )
    assert lines.headers["content-type"] == "application/jsonl"
    assert [json.loads(line)["message"]["type"] for line in lines.text.splitlines()] == ["manifest"]
    xml = client.post("/v1/validations?format=xml", content=BOE.read_bytes())
    assert xml.status_code == 201 and xml.text.startswith("<?xml")
    assert problem(client.post("/v1/validations?format=pdf", content=b"x"), 400)["type"].endswith(
        "unknown-format"
    )


def test_an_archive_is_one_run_with_the_cli_protections(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a-igm.xml", IGM.read_bytes())
        archive.writestr("b-bill.xml", bill("BE-ZIP-1"))
        archive.writestr("../escape.xml", BOE.read_bytes())
    answered = client.post(
        "/v1/validations",
        content=buffer.getvalue(),
        headers={"Content-Disposition": 'attachment; filename="batch.zip"'},
    )
    responses = {r["message"]["source"]: r for r in answered.json()}
    # the IGM earlier in the same request notes the bill (as in one CLI run)
    assert responses["batch.zip!b-bill.xml"]["status"] == "accepted"
    escape = next(r for source, r in responses.items() if "escape" in source)
    assert escape["status"] == "rejected"
    assert "traversal" in escape["findings"][0]["message"]


@pytest.mark.parametrize("body", [b"", b"<BillOfEntry><Port", b"\x00\xff garbage \x81"])
def test_a_malformed_body_gets_a_rejected_response(client: TestClient, body: bytes) -> None:
    answered = client.post("/v1/validations", content=body)
    assert answered.status_code == 201
    (rule,) = {f["rule"] for f in answered.json()["findings"]}
    assert rule == "CORE-SYNTAX-001" and answered.json()["status"] == "rejected"


def test_a_form_upload_is_refused_with_415_and_nothing_stored(
    client: TestClient, registry_url: str
) -> None:
    """``curl -F file=@be.xml`` sends a form: read as the file, a good Bill of Entry would be
    answered "rejected" and stored so; the API says how to send it instead."""
    answered = client.post("/v1/validations", files={"file": ("be.xml", BOE.read_bytes())})
    refused = problem(answered, 415)
    assert "--data-binary" in refused["detail"]
    assert refused["detail"].startswith("a multipart/form-data body is a form upload")
    store = SqlRegistry.open(registry_url)
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM service_validation")).scalar()
    store.close()
    assert stored == 0
    sent = client.post("/v1/validations?name=be.xml", content=BOE.read_bytes())
    assert sent.status_code == 201 and sent.json()["status"] != "rejected"


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"],
)
def test_curl_data_binary_default_content_type_is_read_as_the_file(
    client: TestClient, content_type: str
) -> None:
    """``curl --data-binary @FILE`` (what the 415 advice says) sends the file as the body under
    curl's default ``application/x-www-form-urlencoded``: that body is the file itself, not a
    form upload, and is validated as any other body is."""
    sent = client.post(
        "/v1/validations?name=be.xml",
        content=BOE.read_bytes(),
        headers={"Content-Type": content_type},
    )
    assert sent.status_code == 201
    assert sent.json()["message"]["type"] == "bill_of_entry"
    assert sent.json()["status"] != "rejected"
    assert "CORE-SYNTAX-001" not in {f["rule"] for f in sent.json()["findings"]}
    # a url-encoded form's fields are the bytes of the body, read as a (malformed) file
    form = client.post("/v1/validations", data={"file": "x"})
    assert form.status_code == 201 and form.json()["status"] == "rejected"


def test_a_body_over_the_limit_gets_413_without_being_read(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(max_body=1000)
    declared = client.post("/v1/validations", content=b"x" * 1001)
    assert problem(declared, 413)["limit"] == 1000

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):  # no Content-Length: refused once past the limit
            yield b"y" * 400

    problem(client.post("/v1/validations", content=chunks()), 413)
    assert client.post("/v1/validations", content=b"x" * 999).status_code == 201


def test_every_error_is_a_problem_document(make_client: Callable[..., TestClient]) -> None:
    client = make_client(raise_server_exceptions=False)
    assert problem(client.get("/nowhere"), 404)["instance"] == "/nowhere"
    problem(client.get("/v1/validations/0123abcd"), 404)
    problem(client.get("/v1/registry/NO-SUCH-NUMBER"), 404)
    problem(client.put("/v1/validations"), 405)
    # a malformed query value, whichever: 422 invalid-request naming it (as_of was 400)
    for query, where in (("as_of=10-03-2026", "as_of"), ("commit=perhaps", "commit")):
        malformed = problem(client.post(f"/v1/validations?{query}", content=b"x"), 422)
        assert malformed["type"].endswith(":invalid-request")
        assert malformed["errors"][0]["loc"] == ["query", where] and where in malformed["detail"]
    service = client.app.state.service  # type: ignore[attr-defined]

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    service.validator.run_uploads = broken
    failed = problem(client.post("/v1/validations", content=b"x"), 500)
    assert "secret internals" not in failed["detail"]

    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise LedgerError("message BE-1: registry database failed: connection refused")

    service.validator.run_uploads = database_gone
    gone = problem(client.post("/v1/validations", content=b"x"), 503)
    assert gone["type"].endswith("registry-unavailable") and "BE-1" in gone["detail"]
    service.validator.registry = SqlRegistry(create_engine("sqlite:////no/such/dir/x.db"))
    problem(client.get("/healthz"), 503)


def test_a_registry_database_that_fails_under_any_request_is_503(
    client: TestClient, registry_url: str
) -> None:
    """Not only a run: a token's look-up, a stored result, the registry and the console read
    the database too; when it fails the answer is 503 (send again), not 500 — above all for a
    committing client, the one told to send again on 503."""
    committer = token(registry_url, "commit")
    service = client.app.state.service  # type: ignore[attr-defined]
    service.tokens.engine = create_engine("sqlite:////no/such/dir/x.db")
    for reply in (
        client.post(
            "/v1/validations?commit=true", content=IGM.read_bytes(), headers=bearer(committer)
        ),
        client.post("/v1/validations", content=IGM.read_bytes(), headers=bearer(committer)),
    ):
        gone = problem(reply, 503)
        assert gone["type"].endswith("registry-unavailable")
        assert "send the request again" in gone["detail"]
    service.results.engine = create_engine("sqlite:////no/such/dir/x.db")
    assert problem(client.get("/v1/validations/abc"), 503)["type"].endswith("registry-unavailable")


def test_commit_needs_a_commit_token(
    client: TestClient, registry_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    validate_only, committer = token(registry_url, "validate"), token(registry_url, "commit")
    refused = problem(client.post("/v1/validations?commit=true", content=IGM.read_bytes()), 401)
    assert "commit scope" in refused["detail"]
    problem(
        client.post(
            "/v1/validations?commit=true", content=IGM.read_bytes(), headers=bearer(validate_only)
        ),
        403,
    )
    problem(
        client.post(
            "/v1/validations", content=IGM.read_bytes(), headers=bearer(committer[:-2] + "xx")
        ),
        401,
    )
    problem(
        client.post(
            "/v1/validations",
            content=IGM.read_bytes(),
            headers={"Authorization": f"Basic {committer}"},
        ),
        401,
    )
    store = SqlRegistry.open(registry_url)
    assert store.debits_of("IMS", AUTHORISATION) == []  # nothing refused reached the ledger
    for body in (IGM.read_bytes(), bill("BE-COMMIT-1")):
        assert (
            client.post(
                "/v1/validations?commit=true", content=body, headers=bearer(committer)
            ).status_code
            == 201
        )
    assert [d[0] for d in store.debits_of("IMS", AUTHORISATION)] == ["BE-COMMIT-1"]
    # the registry endpoint shows the debit and what remains
    entry = client.get(f"/v1/registry/{AUTHORISATION}").json()
    (record,) = entry["records"]
    (entry,) = record["entries"]
    assert (
        entry["kind"],
        entry["message_id"],
        entry["item"],
        entry["quantity"],
        entry["value_inr"],
    ) == ("debit", "BE-COMMIT-1", 1, "20", "1000000.00")
    assert (record["remaining_quantity"], record["remaining_value"]) == ("80", "4000000.00")
    # the secrets are stored hashed and never logged
    with store.engine.connect() as connection:
        stored = " ".join(
            str(v) for row in connection.execute(text("SELECT * FROM service_token")) for v in row
        )
    store.close()
    for secret in (validate_only, committer):
        # ce_<id>_<secret>: the secret itself may hold "_" (URL-safe base64)
        assert secret.removeprefix("ce_").partition("_")[2] not in stored
        assert secret not in caplog.text


def test_a_revoked_token_is_refused(client: TestClient, registry_url: str) -> None:
    committer = token(registry_url, "admin")
    assert (
        client.post(
            "/v1/validations?commit=true", content=IGM.read_bytes(), headers=bearer(committer)
        ).status_code
        == 201
    )
    token_id = committer.split("_")[1]
    listed = CliRunner().invoke(main, ["tokens", "list", "--db", registry_url]).stdout
    assert token_id in listed and committer.removeprefix("ce_").partition("_")[2] not in listed
    revoked = CliRunner().invoke(main, ["tokens", "revoke", token_id, "--db", registry_url])
    assert revoked.exit_code == 0
    assert "revoked" in CliRunner().invoke(main, ["tokens", "list", "--db", registry_url]).stdout
    problem(
        client.post(
            "/v1/validations?commit=true", content=IGM.read_bytes(), headers=bearer(committer)
        ),
        401,
    )
    assert (
        CliRunner().invoke(main, ["tokens", "revoke", "nope", "--db", registry_url]).exit_code == 1
    )


def test_require_token_closes_validation_too(
    make_client: Callable[..., TestClient], registry_url: str
) -> None:
    client = make_client(require_token=True)
    problem(client.post("/v1/validations", content=BOE.read_bytes()), 401)
    problem(client.get("/v1/rules"), 401)
    assert client.get("/").status_code == 401  # the console asks for a token
    assert client.get("/healthz").status_code == 200
    reader = token(registry_url, "validate")
    assert (
        client.post("/v1/validations", content=BOE.read_bytes(), headers=bearer(reader)).status_code
        == 201
    )
    problem(
        client.post(
            "/v1/validations?commit=true", content=BOE.read_bytes(), headers=bearer(reader)
        ),
        403,
    )


def test_reference_endpoints_match_the_cli(client: TestClient) -> None:
    cli_rules = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)
    assert client.get("/v1/rules").json() == cli_rules
    assert {r["scheme"] for r in client.get("/v1/rules?scheme=IMS").json()} == {"ims"}
    cli_plugins = json.loads(CliRunner().invoke(main, ["plugins", "--format", "json"]).stdout)
    assert client.get("/v1/plugins").json() == cli_plugins


def test_health_metrics_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    client.post("/v1/validations", content=BOE.read_bytes())
    metrics = client.get("/metrics").text
    assert 'customs_messages_total{status="query"} 1.0' in metrics
    assert 'customs_findings_total{rule="CORE-BOE-NOTE-002"} 1.0' in metrics
    assert (
        'customs_http_requests_total{method="POST",route="/v1/validations",status="201"} 1.0'
    ) in metrics
    assert 'customs_http_request_duration_seconds_count{route="/v1/validations"} 1.0' in metrics
    docs = client.get("/docs").text
    assert "/_swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/_swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/_swagger/favicon.png").status_code == 200
    assert "/v1/validations" in client.get("/openapi.json").json()["paths"]


def test_results_are_kept_for_the_retention_period(client: TestClient, registry_url: str) -> None:
    old = client.post("/v1/validations", content=BOE.read_bytes()).headers["x-validation-id"]
    new = client.post("/v1/validations", content=IGM.read_bytes()).headers["x-validation-id"]
    store = SqlRegistry.open(registry_url)
    with Session(store.engine) as session, session.begin():
        session.execute(
            update(ValidationRow)
            .where(ValidationRow.validation_id == old)
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
    problem(client.get(f"/v1/validations/{old}"), 404)
    assert client.get(f"/v1/validations/{new}").status_code == 200
    service = client.app.state.service  # type: ignore[attr-defined]
    assert service.results.purge() == 1
    with store.engine.connect() as connection:
        left = connection.execute(text("SELECT count(*) FROM service_validation_message")).scalar()
    store.close()
    assert left == 1


def test_an_archive_is_read_manifests_first_as_by_the_cli(
    client: TestClient, registry_url: str, tmp_path: Path
) -> None:
    """A Bill of Entry packed before its IGM: both the CLI and the service read the IGM first,
    so the bill is noted against it, and both answer byte for byte alike."""
    archive = tmp_path / "bill-first.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("a-bill.xml", bill("BE-ORDER-1"))
        packed.writestr("b-igm.xml", IGM.read_bytes())
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "customs_engine.cli",
            "validate",
            "--db",
            registry_url,
            "--format",
            "json",
            archive.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    posted = client.post(f"/v1/validations?name={archive.name}", content=archive.read_bytes())
    assert posted.status_code == 201
    assert posted.content == cli.stdout
    responses = posted.json()
    assert [r["message"]["source"] for r in responses] == [
        "bill-first.zip!b-igm.xml",
        "bill-first.zip!a-bill.xml",
    ]
    assert responses[1]["status"] == "accepted"  # noted against the IGM read before it


def test_a_registry_number_with_a_slash_is_reachable(client: TestClient) -> None:
    """CBIC notification numbers contain "/": reachable as written and percent-encoded."""
    for path in ("/v1/registry/CBIC-12/2026-CUS(NT)", "/v1/registry/CBIC-12%2F2026-CUS(NT)"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["number"] == "CBIC-12/2026-CUS(NT)"
        [rate] = body["records"]
        assert (rate["kind"], rate["currency"], rate["rate"]) == ("exchange_rate", "USD", "83.25")
    missing = problem(client.get("/v1/registry/CBIC-99/2026-CUS(NT)"), 404)
    assert missing["detail"] == "CBIC-99/2026-CUS(NT) is not in the registry"


def test_rules_of_an_unknown_scheme_are_a_problem_like_the_cli(client: TestClient) -> None:
    cli = CliRunner().invoke(main, ["rules", "--scheme", "nope"])
    assert cli.exit_code == 2
    body = problem(client.get("/v1/rules?scheme=nope"), 404)
    assert body["detail"] == cli.stderr.strip().removeprefix("customs: ")
    assert body["detail"].startswith("no loaded plugin declares scheme 'nope'; loaded schemes: ")


def test_a_413_from_content_length_is_counted_under_its_route(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(max_body=1000)
    problem(client.post("/v1/validations", content=b"x" * 1001), 413)
    metrics = client.get("/metrics").text
    assert (
        'customs_http_requests_total{method="POST",route="/v1/validations",status="413"} 1.0'
    ) in metrics
    assert 'route="unmatched"' not in metrics


def test_a_413_on_a_console_page_is_counted_under_its_route(
    make_client: Callable[..., TestClient],
) -> None:
    # the console's routes come from a router included in the app: routing looks into it, and
    # so must the refusal from Content-Length
    client = make_client(max_body=1000)
    refused = client.post("/upload", files={"file": ("big.xml", b"x" * 5000)})
    assert refused.status_code == 413
    metrics = client.get("/metrics").text
    assert 'customs_http_requests_total{method="POST",route="/upload",status="413"} 1.0' in metrics
    assert 'route="unmatched"' not in metrics
