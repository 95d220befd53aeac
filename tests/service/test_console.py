"""The web console, server-side: lists, filters, pages, upload, sign-in with a token."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from html import unescape

import httpx
from fastapi.testclient import TestClient

from customs_engine.core.ledger.run_state import LedgerError
from customs_engine.service.app import TOKEN_COOKIE

from .conftest import AUTHORISATION, BOE, IGM, bill
from .test_api import bearer, token


def visible(html: str) -> str:
    """A page's text as a reader sees it: tags dropped, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def problem_shown(answer: httpx.Response) -> str:
    """The message a console page shows above its form (it must be a page, not JSON)."""
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    found = re.search(
        r'<div class="problem" id="problem" role="alert">(.*?)</div>', answer.text, re.S
    )
    assert found is not None, answer.text
    return visible(found.group(1))


def validation_page(client: TestClient, answered: httpx.Response) -> str:
    """The console's page of the validation an API or console answer names, as text."""
    validation_id = answered.headers["location"].rsplit("/", 1)[1]
    return visible(client.get(f"/validations/{validation_id}").text)


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
    assert "matches rule NO-SUCH-RULE" in client.get("/?rule=NO-SUCH-RULE").text
    assert "matches rule %" in client.get("/?rule=%25").text  # LIKE wildcards are text


def test_upload_form_validates_and_shows_the_validation(client: TestClient) -> None:
    answered = client.post(
        "/upload", files={"file": ("be.xml", BOE.read_bytes())}, follow_redirects=False
    )
    assert answered.status_code == 303
    page = client.get(answered.headers["location"]).text
    assert "Validation of be.xml" in page and "CORE-BOE-NOTE-002" in page


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
    refused = client.post("/token", data={"token": "ce_bad_token"})
    assert refused.status_code == 401 and 'name="token"' in refused.text
    assert "unknown or revoked" in refused.text
    reader = token(registry_url, "validate")
    signed_in = client.post("/token", data={"token": reader}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    assert client.get("/").status_code == 200  # the cookie now carries the token


def test_several_files_picked_or_dropped_are_validated_as_one_run(client: TestClient) -> None:
    """A drop (or pick) of several files was validated as its last file only: a Bill of Entry
    dropped with its IGM was told the IGM is unknown, and the IGM got no answer. All of them are
    one run now, read as a folder is (manifests first), whatever order they came in."""
    answered = client.post(
        "/upload",
        files=[("file", ("be.xml", BOE.read_bytes())), ("file", ("igm.xml", IGM.read_bytes()))],
        follow_redirects=False,
    )
    assert answered.status_code == 303
    validation_id = answered.headers["location"].rsplit("/", 1)[1]
    responses = client.get(f"/v1/validations/{validation_id}").json()
    assert [r["message"]["source"] for r in responses] == ["igm.xml", "be.xml"]
    assert [r["status"] for r in responses] == ["accepted", "accepted"]  # the IGM is known
    page = validation_page(client, answered)
    assert "Validation of be.xml, igm.xml" in page
    assert "igm.xml #0 manifest IGM-INNSA1-2234567" in page
    assert "be.xml #0 bill_of_entry BE-INNSA1-000123" in page


def test_a_cancellation_and_an_amendment_show_their_credits_and_what_they_are(
    client: TestClient, registry_url: str
) -> None:
    """The console showed debits only: a cancellation's credit back (``credited``) was missing,
    and nothing said the message was a cancellation or an amendment."""
    committer = token(registry_url, "commit")
    original = BOE.read_bytes()
    amended = bill("BE-INNSA1-000123", quantity=30).replace(
        b'function="original"', b'function="amendment"'
    )
    cancel = original.replace(b'function="original"', b'function="cancellation"')
    answers = [
        client.post(
            f"/v1/validations?commit=true&name={name}", content=body, headers=bearer(committer)
        )
        for name, body in (
            ("igm.xml", IGM.read_bytes()),
            ("be.xml", original),
            ("amend.xml", amended),
            ("cancel.xml", cancel),
        )
    ]
    amendment = validation_page(client, answers[2])
    assert "#0 bill_of_entry BE-INNSA1-000123 amendment" in amendment
    assert "credited back IMS IMS-2026-00042 item 1: 60 NOS / INR 3000000.00" in amendment
    assert "debit IMS IMS-2026-00042 item 1: 30 / INR 1500000.00; remaining 70" in amendment
    cancellation = validation_page(client, answers[3])
    assert "#0 bill_of_entry BE-INNSA1-000123 cancellation" in cancellation
    assert "credited back IMS IMS-2026-00042 item 1: 30 NOS / INR 1500000.00" in cancellation
    listed = visible(client.get("/?rule=CORE-BOE-CAN-001").text)
    assert "bill_of_entry BE-INNSA1-000123 cancellation" in listed
    assert "credited back IMS IMS-2026-00042 item 1: 30 NOS" in listed


def test_console_errors_are_pages_with_the_form_not_json(
    make_client: Callable[..., TestClient], registry_url: str
) -> None:
    """Every refusal of a console form or page was the API's raw JSON problem document, which
    replaced the console in the browser. It is the console now, with the message above the form
    and the form's date and commit box as they were sent; /v1 keeps its problem documents."""
    client = make_client(max_body=200_000)
    no_file = client.post("/upload", data={"as_of": "2026-03-10"}, files={"file": ("", b"")})
    assert no_file.status_code == 400 and "no file chosen" in problem_shown(no_file)
    assert 'id="upload-form"' in no_file.text and 'value="2026-03-10"' in no_file.text
    upload = {"file": ("be.xml", BOE.read_bytes())}
    no_token = client.post("/upload", data={"commit": "on"}, files=upload)
    assert no_token.status_code == 401 and "commit scope" in problem_shown(no_token)
    assert re.search(r'id="commit"\s+checked', no_token.text)
    client.post("/token", data={"token": token(registry_url, "validate")})
    narrow = client.post("/upload", data={"commit": "on"}, files=upload)
    assert narrow.status_code == 403 and "this needs commit" in problem_shown(narrow)
    wrong = client.post("/token", data={"token": "ce_bad_token"})
    assert wrong.status_code == 401 and "unknown or revoked" in problem_shown(wrong)
    gone = client.get("/validations/0000")
    assert gone.status_code == 404 and "no stored validation 0000" in problem_shown(gone)
    assert 'href="/"' in gone.text
    assert client.get("/authorisations/NOPE").status_code == 404
    big = {"file": ("big.xml", b"x" * 300_000)}
    declared = client.post("/upload", files=big)  # refused from its Content-Length
    assert declared.status_code == 413 and "200000-byte limit" in problem_shown(declared)
    boundary = "console-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xml"\r\n'
            "Content-Type: application/xml\r\n\r\n"
        ).encode()
        + b"x" * 300_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    chunked = client.post(
        "/upload",
        content=iter([body[at : at + 65536] for at in range(0, len(body), 65536)]),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert chunked.status_code == 413 and "200000-byte limit" in problem_shown(chunked)
    api = client.get("/v1/validations/0000")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_a_registry_failure_under_an_upload_is_a_page_with_a_way_back(
    client: TestClient,
) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]

    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise LedgerError("message BE-1: registry database failed: connection refused")

    service.validator.run_uploads = database_gone
    answered = client.post("/upload", files={"file": ("be.xml", BOE.read_bytes())})
    assert answered.status_code == 503 and "BE-1" in problem_shown(answered)
    assert 'id="back"' in answered.text


def test_the_console_takes_a_token_to_commit_and_signs_out(
    client: TestClient, registry_url: str
) -> None:
    """The open console offered "commit" but had no way to give the token it needs, and a
    token given could not be changed or dropped."""
    assert 'name="token"' in client.get("/").text
    committer = token(registry_url, "commit")
    signed_in = client.post("/token", data={"token": committer}, follow_redirects=False)
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    token_id = committer.split("_")[1]
    assert f"Using token {token_id} (commit scope)" in visible(client.get("/").text)
    both = [("file", ("igm.xml", IGM.read_bytes())), ("file", ("be.xml", bill("BE-TOKEN-1")))]
    committed = client.post("/upload", data={"commit": "on"}, files=both, follow_redirects=False)
    assert committed.status_code == 303
    assert "BE-TOKEN-1" in client.get(f"/authorisations/{AUTHORISATION}").text
    signed_out = client.post("/sign-out", follow_redirects=False)
    assert signed_out.status_code == 303 and TOKEN_COOKIE in signed_out.headers["set-cookie"]
    assert TOKEN_COOKIE not in client.cookies
    assert "Using token" not in visible(client.get("/").text)
    again = [("file", ("be.xml", bill("BE-TOKEN-2")))]
    assert client.post("/upload", data={"commit": "on"}, files=again).status_code == 401


def test_with_require_token_a_refused_token_can_be_dropped(
    make_client: Callable[..., TestClient], registry_url: str
) -> None:
    client = make_client(require_token=True)
    reader = token(registry_url, "validate")
    client.post("/token", data={"token": reader})
    from click.testing import CliRunner

    from customs_engine.cli import main

    revoked = CliRunner().invoke(
        main, ["tokens", "revoke", "--db", registry_url, reader.split("_")[1]]
    )
    assert revoked.exit_code == 0, revoked.output
    asked = client.get("/")
    assert asked.status_code == 401 and 'action="/sign-out"' in asked.text
    client.post("/sign-out")
    assert 'action="/sign-out"' not in client.get("/").text


def test_console_pages_and_files_send_security_headers(client: TestClient) -> None:
    for path in ("/", "/validations/0000", "/authorisations/NOPE", "/static/console.js"):
        answered = client.get(path)
        policy = answered.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert answered.headers["x-frame-options"] == "DENY"
        assert answered.headers["x-content-type-options"] == "nosniff"
        assert answered.headers["referrer-policy"] == "no-referrer"
    assert client.get("/").headers["cache-control"] == "no-store"
    assert client.get("/validations/0000").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/console.css").headers.get("cache-control", "")
    page = client.get("/").text
    assert "<script>" not in page and "style=" not in page  # nothing inline for it to block


def test_the_list_and_a_large_validation_are_paged(client: TestClient) -> None:
    """The list stopped at 100 messages with no way to older ones (one archive pushed every
    other validation out); a validation's page showed all of an archive's responses."""
    service = client.app.state.service  # type: ignore[attr-defined]
    [response] = service.validator.run_path(str(BOE), "be.xml")
    small = service.results.save("small.xml", [response], committed=False)
    many = service.results.save("many.zip", [response] * 150, committed=False)
    first = client.get("/")
    assert first.text.count('<tr class="message">') == 100
    assert "Messages 1–100 of 151, newest first" in visible(first.text)
    assert 'href="/?page=2"' in first.text
    older = client.get("/?page=2")
    assert older.text.count('<tr class="message">') == 51 and f"/validations/{small}" in older.text
    assert "Messages 101–151 of 151" in visible(older.text)
    assert 'href="/?status=query&amp;page=2"' in client.get("/?status=query").text
    assert "There is no page 9" in visible(client.get("/?page=9").text)
    page = client.get(f"/validations/{many}")
    assert page.text.count('<section class="response">') == 100
    assert "Messages 1–100 of 150" in visible(page.text)
    assert f'href="/validations/{many}?page=2"' in page.text
    rest = client.get(f"/validations/{many}?page=2").text
    assert rest.count('<section class="response">') == 50
    assert "invalid request" in problem_shown(client.get("/?page=none"))


def test_archive_members_are_named_and_uncommitted_debits_marked(
    client: TestClient, registry_url: str
) -> None:
    committer = token(registry_url, "commit")
    client.post("/v1/validations?commit=true", content=IGM.read_bytes(), headers=bearer(committer))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("a.xml", bill("BE-ZIP-1"))
        archive.writestr("b.xml", bill("BE-ZIP-2"))
    checked = client.post("/upload", files={"file": ("batch.zip", packed.getvalue())})
    page = visible(checked.text)
    assert "batch.zip!a.xml #0 bill_of_entry BE-ZIP-1" in page
    assert "batch.zip!b.xml #0 bill_of_entry BE-ZIP-2" in page
    assert "not committed: the ledger is unchanged" in page
    assert (
        "would debit IMS IMS-2026-00042 item 1: 20 / INR 1000000.00; would leave 60 / "
        "INR 3000000.00 not committed"
    ) in page
    done = client.post(
        "/v1/validations?commit=true", content=bill("BE-DONE"), headers=bearer(committer)
    )
    page = validation_page(client, done)
    assert "debit IMS IMS-2026-00042 item 1: 20 / INR 1000000.00; remaining 80" in page
    assert "not committed" not in page and "would" not in page


def test_small_things_a_reader_meets(client: TestClient) -> None:
    page = client.get("/").text
    assert '<label for="file">' in page and 'name="viewport"' in page
    assert "No validations in the last 30 days yet" in visible(page)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon is not None and client.get(icon.group(1)).status_code == 200
    bogus = client.get("/?status=bogus")
    assert bogus.status_code == 400
    assert "no status 'bogus' to filter by: choose accepted, query, hold, rejected" in (
        problem_shown(bogus)
    )
    assert client.get("/?status=QUERY").status_code == 200
