"""The console in a real browser (Debian's chromium with chromedriver, through Selenium): pick a
file and see its findings; drop a file on the page; open the authorisation's ledger; drop several
files anywhere on the page (a real drop, through the DevTools protocol); the console's pages load
with no error in the browser's log (no missing icon, nothing the Content-Security-Policy blocks).

Skips, saying why, only when chromium or chromedriver is not installed (``.ci/run`` installs
them with apt-get). ``CUSTOMS_SCREENSHOT=path.png`` saves a screenshot of the console there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import BOE, IGM, Server, bill
from .test_api import bearer, token

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="Debian's chromium and chromium-driver are not installed "
    "(apt-get install chromium chromium-driver; .ci/run does it)",
)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=DriverService(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


DROP = """
const [name, text] = arguments;
const transfer = new DataTransfer();
transfer.items.add(new File([text], name, {type: "application/xml"}));
const zone = document.getElementById("dropzone");
zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
"""


def test_upload_then_findings_then_drop_then_ledger(
    browser,
    registry_url: str,  # type: ignore[no-untyped-def]
    serve: Callable[..., Server],
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server = serve(registry_url).wait()
    wait = WebDriverWait(browser, 30)
    # pick a file and validate it: its page shows the findings with their legal references
    browser.get(server.base + "/")
    upload = tmp_path / "02-be-laptops-ims.xml"
    upload.write_bytes(BOE.read_bytes())
    browser.find_element(By.ID, "file").send_keys(str(upload))
    browser.find_element(By.ID, "validate").click()
    wait.until(ec.url_contains("/validations/"))
    findings = browser.find_element(By.CLASS_NAME, "findings").text
    assert "CORE-BOE-NOTE-002" in findings and "query" in findings
    assert browser.find_element(By.ID, "overall").text.lower() == "query"
    # commit the IGM and a bill through the API, then drop a file on the console
    committer = token(registry_url, "commit")
    for name, body in (("igm.xml", IGM.read_bytes()), ("be-1.xml", bill("BE-BROWSER-1"))):
        httpx.post(
            f"{server.base}/v1/validations?commit=true&name={name}",
            content=body,
            headers=bearer(committer),
            timeout=30,
        ).raise_for_status()
    browser.get(server.base + "/")
    browser.execute_script(DROP, "dropped-bill.xml", bill("BE-BROWSER-2").decode())
    wait.until(ec.url_contains("/validations/"))
    assert "Validation of dropped-bill.xml" in browser.page_source
    assert browser.find_element(By.ID, "overall").text.lower() == "accepted"
    # the list filters by status and rule; the debit links to the authorisation's ledger
    browser.get(server.base + "/?status=query")
    rows = browser.find_elements(By.CSS_SELECTOR, "#recent tr.message")
    assert len(rows) == 1 and "02-be-laptops-ims.xml" in rows[0].text
    browser.get(server.base + "/")
    if os.environ.get("CUSTOMS_SCREENSHOT"):
        browser.save_screenshot(os.environ["CUSTOMS_SCREENSHOT"])
    browser.find_element(By.PARTIAL_LINK_TEXT, "IMS-2026-00042").click()
    wait.until(ec.url_contains("/authorisations/"))
    entries = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "tr.entry")]
    assert len(entries) == 1 and entries[0].startswith("debit BE-BROWSER-1 ")
    assert "20" in entries[0] and "1000000.00" in entries[0]


def real_drop(browser, files: list[Path], x: int, y: int) -> None:  # type: ignore[no-untyped-def]
    """Files dragged from the desktop and dropped at (x, y), as chromium gets them from the
    system (DevTools' Input.dispatchDragEvent): what the page does not take, the browser opens."""
    data = {"items": [], "files": [str(file) for file in files], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        browser.execute_cdp_cmd(
            "Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data}
        )


#: a form that says it is sending, but does not leave the page (to read what it says)
HOLD_SUBMIT = """
document.getElementById("upload-form").addEventListener("submit", function (event) {
  event.preventDefault();
});
"""


def test_files_dropped_anywhere_are_one_run_with_feedback(
    browser,  # type: ignore[no-untyped-def]
    registry_url: str,
    serve: Callable[..., Server],
    tmp_path: Path,
) -> None:
    """A drop beside the small drop box was opened by the browser in a new tab; a drop of two
    files validated the last one only; nothing said the files were being sent."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server = serve(registry_url).wait()
    wait = WebDriverWait(browser, 30)
    bill_file, igm_file = tmp_path / "be.xml", tmp_path / "igm.xml"
    bill_file.write_bytes(BOE.read_bytes())
    igm_file.write_bytes(IGM.read_bytes())
    browser.get(server.base + "/")
    header = browser.find_element(By.TAG_NAME, "header").rect
    at = (int(header["x"] + header["width"] - 40), int(header["y"] + header["height"] / 2))
    browser.execute_script(HOLD_SUBMIT)
    real_drop(browser, [bill_file, igm_file], *at)
    progress = browser.find_element(By.ID, "progress")
    assert progress.text == "Uploading and validating 2 files…"
    assert not browser.find_element(By.ID, "validate").is_enabled()
    assert browser.current_url == server.base + "/" and len(browser.window_handles) == 1
    browser.get(server.base + "/")
    real_drop(browser, [bill_file, igm_file], *at)
    wait.until(ec.url_contains("/validations/"))
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.response h2")]
    assert len(headings) == 2
    assert headings[0].startswith("igm.xml #0 manifest") and "ACCEPTED" in headings[0].upper()
    assert headings[1].startswith("be.xml #0 bill_of_entry") and "ACCEPTED" in headings[1].upper()
    # nothing in the browser's log: the icon is there, the policy blocks nothing of the pages
    for page in (server.base + "/", server.base + "/authorisations/IMS-2026-00042"):
        browser.get(page)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_the_api_page_renders_every_operation_and_sends_a_file(
    browser,  # type: ignore[no-untyped-def]
    registry_url: str,
    serve: Callable[..., Server],
) -> None:
    """Swagger UI 4 (the first bundle shipped) could not render FastAPI's OpenAPI 3.1
    description: /docs showed "Unable to render this definition" and no operation."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    server = serve(registry_url).wait()
    wait = WebDriverWait(browser, 30)
    browser.get(server.base + "/docs")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    assert "Unable to render" not in browser.page_source
    shown = {
        element.text.replace("\u200b", "")
        for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert {"/v1/validations", "/v1/rules", "/healthz"} <= shown, shown
    posts = browser.find_elements(By.CSS_SELECTOR, ".opblock-post .opblock-summary")
    posts[0].click()  # the file upload of POST /v1/validations is offered
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-post .try-out__btn")))
    browser.find_element(By.CSS_SELECTOR, ".opblock-post .try-out__btn").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock-post input[type=file]")))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
