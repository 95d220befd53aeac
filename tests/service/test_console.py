"""The web console, server-side: lists, filters, pages, upload, sign-in with a token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .conftest import AUTHORISATION, BOE, IGM, bill
from .test_api import bearer, token


def test_recent_validations_filtered_by_status_and_rule(client: TestClient) -> None:
    client.post("/v1/validations?name=be.xml", content=BOE.read_bytes())
    client.post("/v1/validations?name=igm.xml", content=IGM.read_bytes())
    page = client.get("/").text
    assert "be.xml" in page and "igm.xml" in page
    assert "CORE-BOE-NOTE-002" in page and "Customs Act" in page  # findings, legal references
    only_query = client.get("/?status=query").text
    assert "be.xml" in only_query and "igm.xml" not in only_query
    by_rule = client.get("/?rule=core-boe-note-002").text
    assert "be.xml" in by_rule and "igm.xml" not in by_rule
    assert "No validations match" in client.get("/?rule=NO-SUCH-RULE").text
    assert "No validations match" in client.get("/?rule=%25").text  # LIKE wildcards are text


def test_upload_form_validates_and_shows_the_validation(client: TestClient) -> None:
    answered = client.post(
        "/upload", files={"file": ("be.xml", BOE.read_bytes())}, follow_redirects=False
    )
    assert answered.status_code == 303
    page = client.get(answered.headers["location"]).text
    assert "Validation of be.xml" in page and "CORE-BOE-NOTE-002" in page
    assert client.post("/upload", files={"file": ("", b"")}).status_code == 400


def test_authorisation_page_shows_ledger_entries(client: TestClient, registry_url: str) -> None:
    committer = token(registry_url, "commit")
    for body in (IGM.read_bytes(), bill("BE-CONSOLE-1")):
        client.post("/v1/validations?commit=true", content=body, headers=bearer(committer))
    page = client.get(f"/authorisations/{AUTHORISATION}").text
    assert "BE-CONSOLE-1" in page and "1000000.00" in page
    assert "80 NOS / INR 4000000.00" in page
    assert client.get("/").text.count(f"/authorisations/{AUTHORISATION}") == 1
    assert client.get("/authorisations/NOPE").status_code == 404


def test_an_authorisation_whose_number_holds_a_slash_has_its_page(
    client: TestClient, registry_url: str
) -> None:
    """Registry numbers may hold ``/`` (the API takes them as they are or as ``%2F``): the
    console's page for one was a 404, though the console links to it."""
    from customs_engine.core.registry import SqlRegistry
    from customs_engine.testing import authorisation

    store = SqlRegistry.open(registry_url)
    try:
        record = authorisation("IMS", "IMS/AUD/0004", quantity=10, value_inr=1000)
        store.replace_records([record], source="test")
    finally:
        store.close()
    for path in ("/authorisations/IMS/AUD/0004", "/authorisations/IMS%2FAUD%2F0004"):
        page = client.get(path)
        assert page.status_code == 200, page.text
        assert "IMS/AUD/0004" in page.text


def test_with_require_token_the_console_asks_for_one(
    make_client: Callable[..., TestClient], registry_url: str
) -> None:
    client = make_client(require_token=True)
    asked = client.get("/")
    assert asked.status_code == 401 and 'name="token"' in asked.text
    assert client.post("/token", data={"token": "ce_bad_token"}).status_code == 401
    reader = token(registry_url, "validate")
    signed_in = client.post("/token", data={"token": reader}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie now carries the token
