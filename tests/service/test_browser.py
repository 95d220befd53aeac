"""The console in a real browser (Debian's chromium with chromedriver, through Selenium): pick a
file and see its findings; drop a file on the page; open the authorisation's ledger.

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
