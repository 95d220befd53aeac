"""``customs serve`` as HTTP describes it: the OpenAPI document, HEAD, and an upload's name.

The OpenAPI description once had no request body for ``POST /v1/validations`` (Swagger UI at
/docs could not send a file), no bearer scheme, a 422 described as FastAPI's JSON where the
service sends a problem document, and no other error described; HEAD was 405 everywhere; an
upload was opened as an archive by its name or its first bytes where the CLI goes by the name.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from customs_engine.cli import main

from .conftest import BOE, IGM

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def test_openapi_describes_the_body_the_token_and_the_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    post = document["paths"]["/v1/validations"]["post"]
    body = post["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/octet-stream"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    # a bearer token: offered on every /v1 call (needed for commit, or under --require-token)
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    for (path, _method), operation in operations(document).items():
        if path.startswith("/v1/"):
            assert operation["security"] == [{"bearer": []}, {}], path
        # every error it describes is a problem document, none FastAPI's HTTPValidationError
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")) or status == "default":
                assert response["content"] == {
                    "application/problem+json": {"schema": PROBLEM_REF}
                }, (path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert {"400", "401", "403", "413", "415", "422", "503", "default"} <= set(post["responses"])
    assert "404" in document["paths"]["/v1/validations/{validation_id}"]["get"]["responses"]
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    # the answer: the responses (one, or an array), or another output format's text
    created = post["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["anyOf"] == [
        {"$ref": "#/components/schemas/Response"},
        {"type": "array", "items": {"$ref": "#/components/schemas/Response"}},
    ]
    assert {"application/jsonl", "text/csv"} <= set(created["content"])
    assert {"Location", "X-Validation-Id"} <= set(created["headers"])
    assert "findings" in document["components"]["schemas"]["Response"]["properties"]
    as_of = next(p for p in post["parameters"] if p["name"] == "as_of")
    assert {"type": "string", "format": "date"} in as_of["schema"]["anyOf"]


def test_what_openapi_describes_is_what_is_answered(client: TestClient) -> None:
    """The problem documents carry what the schema requires, with the media type it names."""
    required = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]["required"]
    for reply in (
        client.post("/v1/validations?as_of=2026-13-01", content=b"x"),
        client.post("/v1/validations?format=nope", content=b"x"),
        client.post("/v1/validations?commit=true", content=b"x"),
        client.get("/v1/validations/unknown"),
        client.put("/v1/validations"),
    ):
        assert reply.headers["content-type"] == "application/problem+json"
        assert set(required) <= set(reply.json())


def test_head_is_answered_wherever_get_is(client: TestClient) -> None:
    stored = client.post("/v1/validations", content=IGM.read_bytes()).headers["location"]
    for path in (
        "/healthz",
        "/metrics",
        "/v1/rules",
        "/v1/plugins",
        "/v1/registry/IMS-2026-00042",
        stored,
        f"{stored}?format=csv",
        "/openapi.json",
        "/docs",
        "/v1/validations/unknown",  # its 404, headers and all
    ):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if path != "/metrics":  # (the metrics count this very request: their length moves)
            assert head.headers["content-length"] == got.headers["content-length"], path
    # where GET is not allowed, neither is HEAD
    refused = client.head("/v1/validations")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    metrics = client.get("/metrics").text
    assert 'method="HEAD",route="/healthz",status="200"' in metrics


def test_an_upload_is_known_by_its_name_as_by_the_cli(client: TestClient, tmp_path: Path) -> None:
    """The same file under the same name gets the CLI's answer; without a name, an archive or a
    compressed file is still known by its first bytes, as standard input is."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("igm.xml", IGM.read_bytes())
        archive.writestr("boe.xml", BOE.read_bytes())
    files = {"foo.xml": packed.getvalue(), "foo.json": gzip.compress(BOE.read_bytes())}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        cli = CliRunner().invoke(main, ["validate", "--format", "json", str(path)])
        expected = json.loads(cli.stdout)
        for sent in (f"?name={name}", ""):
            headers = {"Content-Disposition": f'attachment; filename="{name}"'} if not sent else {}
            answer = client.post(f"/v1/validations{sent}", content=data, headers=headers).json()
            assert answer["status"] == expected["status"] == "rejected", (name, sent)
            assert answer["findings"] == expected["findings"]
    unnamed = client.post("/v1/validations", content=files["foo.xml"]).json()
    assert [(r["message"]["source"], r["status"]) for r in unnamed] == [
        ("upload!igm.xml", "accepted"),
        ("upload!boe.xml", "accepted"),  # noted against the IGM beside it
    ]
    assert client.post("/v1/validations", content=files["foo.json"]).json()["status"] == "query"
