"""The web app at / in a real browser (headless Chromium, Selenium) against the real
stack: signing up, each kind of new job followed live to its result, errors in words,
credits, a phone's width; and the page's own files: served locally, with a CSP the page
keeps, outside the OpenAPI document. A screenshot of each screen is saved in the test's
tmp_path."""

import base64
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import desktop_width, missing_browser, phone_width, start_chromium
from tests.support.pdfs import make_document
from tests.support.receipts import make_receipt
from tests.support.scans import page_lines, scan
from tests.support.stack import Stack
from tests.support.surfaces import encoded, shaded_surface

STATIC_DIR = Path(__file__).resolve().parents[2] / "services" / "gateway" / "web" / "static"
JOB_TIMEOUT = 120
PHONE = 390
T = TypeVar("T")


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[WebDriver]:
    missing = missing_browser()
    if missing:
        pytest.fail(missing)
    driver = start_chromium(downloads=downloads)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def app(browser: WebDriver, stack: Stack, tmp_path: Path) -> Iterator["App"]:
    """The page, opened afresh for a new account signed up through it."""
    shots = tmp_path / "screens"
    shots.mkdir()
    page = App(browser, stack.gateway_url, shots)
    page.sign_up()
    yield page
    desktop_width(browser)
    page.assert_no_csp_violations()


class App:
    def __init__(self, driver: WebDriver, url: str, shots: Path) -> None:
        self.driver, self.url, self.shots = driver, url, shots

    def sign_up(self, *, live_state: str = "live") -> None:
        self.driver.get(self.url + "/health")  # the origin, without the app running
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(self.url + "/")
        self.visible("form.sign-in")
        self.shot("sign-in")
        self.driver.find_element(By.NAME, "email").send_keys(
            f"web-{uuid.uuid4().hex[:10]}@example.com")
        self.driver.find_element(By.NAME, "password").send_keys("correct horse battery")
        self.button("Create account").click()
        self.visible("#nav")
        # The live feed (the WebSocket) is up: the CSP let it connect.
        self.wait(lambda d: d.find_element(By.ID, "live").get_attribute("data-state")
                  == live_state, timeout=20, what=f"the live feed to be {live_state}")
        self.visible(".cards")

    def go(self, hash_: str) -> None:
        self.driver.execute_script("location.hash = arguments[0]", hash_)

    def wait(self, condition: Callable[[WebDriver], T], *, timeout: float = JOB_TIMEOUT,
             what: str = "") -> T:
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)
                                 ).until(condition)
        except TimeoutException:
            self.shot("timeout")
            errors = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".error")
                      if e.is_displayed()]
            raise AssertionError(f"waited {timeout} s for {what}; errors shown: {errors}; "
                                 f"screenshot in {self.shots}") from None

    def visible(self, css: str, *, timeout: float = 20) -> WebElement:
        def shown(driver: WebDriver) -> WebElement | None:
            return next((e for e in driver.find_elements(By.CSS_SELECTOR, css)
                         if e.is_displayed()), None)
        found = self.wait(shown, timeout=timeout, what=css)
        assert found is not None
        return found

    def button(self, text: str, within: WebElement | None = None) -> WebElement:
        """The enabled, visible button whose label starts with `text`."""
        scope = within or self.driver

        def ready(_: WebDriver) -> WebElement | None:
            return next((b for b in scope.find_elements(By.TAG_NAME, "button")
                         if b.text.startswith(text) and b.is_displayed() and b.is_enabled()),
                        None)
        found = self.wait(ready, timeout=20, what=text)
        assert found is not None
        return found

    def choose_files(self, *paths: Path) -> None:
        self.visible(".drop").find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(
            "\n".join(str(p) for p in paths))

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def shot(self, name: str) -> None:
        """The whole page, not only what the window shows."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        image = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        (self.shots / f"{name}.png").write_bytes(base64.b64decode(image["data"]))

    def assert_fits_a_phone(self, name: str) -> None:
        """At a phone's width the screen as it is now scrolls only downwards."""
        phone_width(self.driver, PHONE)
        try:
            widths = self.wait(lambda _: self.js(
                "const root = document.documentElement;"
                "return root.clientWidth === arguments[0] &&"
                " [root.clientWidth, root.scrollWidth]", PHONE), timeout=10, what="phone width")
            assert widths[1] <= PHONE, f"{name}: {widths[1]} px wide at {PHONE} px"
            self.shot(f"phone-{name}")
        finally:
            desktop_width(self.driver)

    def assert_no_csp_violations(self) -> None:
        logs = [entry["message"] for entry in self.driver.get_log("browser")]
        assert not [m for m in logs if "Content Security Policy" in m], logs


def write(directory: Path, name: str, content: bytes) -> Path:
    path = directory / name
    path.write_bytes(content)
    return path


def wait_for_download(directory: Path, name: str, timeout: float = 20) -> bytes:
    path = directory / name
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            return path.read_bytes()
        time.sleep(0.1)
    present = sorted(p.name for p in directory.iterdir())
    raise AssertionError(f"{name} was not downloaded; the directory holds {present}")


def test_a_pdf_from_upload_to_its_text(app: App, tmp_path: Path, downloads: Path) -> None:
    pdf, sentences = make_document(3)
    app.go("#new/pdf")
    app.choose_files(write(tmp_path, "novel.pdf", pdf))
    summary = app.visible("form.options .summary")
    assert summary.text == "novel.pdf: 3 pages, 3 credits reserved."
    app.shot("new-pdf-confirmed")
    app.button("Start processing").click()

    card = app.visible("article.job")
    job_id = card.get_attribute("data-job-id")
    app.wait(lambda _: card.find_element(By.TAG_NAME, "progress").get_property("value") == 100
             and card.get_attribute("data-status") == "completed",
             what="the progress bar to reach 100%")
    assert card.find_element(By.CSS_SELECTOR, ".step").text.startswith("100%")
    app.button("Show text", card).click()
    shown = app.visible("article.job pre.text").text
    assert all(sentence in shown for sentence in sentences)
    app.shot("pdf-completed")
    app.assert_fits_a_phone("pdf-completed")
    app.button("Download text", card).click()
    text = wait_for_download(downloads, f"job_{job_id}.txt").decode()
    assert text.splitlines() == sentences

    app.go("#jobs")
    listed = app.visible(f"article.job[data-job-id='{job_id}']")
    assert listed.get_attribute("data-status") == "completed"
    app.button("Events", listed).click()
    assert "completed" in app.visible("ol.events").text
    app.shot("jobs")
    app.assert_fits_a_phone("jobs")


def test_a_photo_recoloured_before_and_after(app: App, tmp_path: Path, downloads: Path) -> None:
    app.go("#new/colour")
    app.choose_files(write(tmp_path, "wall.png", encoded(shaded_surface())))
    app.visible(".photo .chip")
    app.visible(".swatch[data-code='RAL 3000']").click()
    assert app.visible(".chosen").text == "RAL 3000 Flame red"
    app.button("Recolour").click()
    app.wait(lambda _: app.js("const img = document.querySelector('.compare img.after');"
                              "return img !== null && img.complete && img.naturalWidth > 0"),
             what="the recoloured image to load")
    assert app.js("return document.querySelector('.compare img.before').naturalWidth") == 640
    assert app.visible(".transfer").get_attribute("data-state") == "SUCCESS"
    app.shot("colour-before-after")
    app.assert_fits_a_phone("colour-before-after")
    app.button("Download result").click()
    saved = app.wait(lambda _: [p for p in downloads.glob("*.png")
                                if not p.name.endswith(".crdownload")], timeout=20,
                     what="the result to download")
    assert saved[0].read_bytes().startswith(b"\x89PNG")


def test_a_receipt_shows_its_fields_with_confidences(app: App, tmp_path: Path) -> None:
    receipt = make_receipt(1)
    app.go("#new/receipt")
    app.choose_files(write(tmp_path, f"receipt.{receipt.fmt}", receipt.image))
    app.visible(".receipt-result .fields table", timeout=JOB_TIMEOUT)
    fields = table_rows(app.driver, ".receipt-result .fields table")
    rows = {row[0]: row[1:] for row in fields}
    assert rows["Total"][0] == receipt.expected["total"], rows
    assert all(re.fullmatch(r"\d{1,3}%", confidence) for _, confidence in rows.values()), rows
    assert app.visible("article.receipt").get_attribute("data-status") == "SUCCESS"
    app.shot("receipt")
    app.assert_fits_a_phone("receipt")
    app.go("#jobs")  # the same fields from the jobs list
    app.button("Show fields", app.visible("article.job[data-status='completed']")).click()
    app.visible("article.job .fields table")
    assert table_rows(app.driver, "article.job .fields table") == fields


def test_scanned_pages_processed_page_by_page(app: App, tmp_path: Path) -> None:
    app.go("#new/pages")
    app.visible("input[name=name]").send_keys("Harbor report")
    app.button("Create project").click()
    app.wait(lambda d: re.search(r"#new/pages/\d+$", d.current_url), timeout=20,
             what="the project")
    app.choose_files(*(write(tmp_path, f"page{n}.png", scan(page_lines(n))) for n in (1, 2)))
    app.button("Process all pending (2)").click()
    task = app.visible(".meter[data-status]")
    seen = set()

    def finished(_: WebDriver) -> bool:
        seen.add(task.text)
        return task.get_attribute("data-status") == "completed"
    app.wait(finished, what="the batch to finish")
    assert all(re.search(r"page \d/2", text) for text in seen), seen
    assert "page 2/2" in task.text and "2 read, 0 failed" in task.text
    statuses = [row[2] for row in table_rows(app.driver, "table")]
    assert statuses == ["completed", "completed"]
    app.button("Text").click()
    assert "Page 1 of the harbor report" in app.visible("pre.text").text
    app.shot("pages")
    app.assert_fits_a_phone("pages")


def test_an_error_is_said_in_words(app: App, tmp_path: Path) -> None:
    app.go("#new/pdf")
    app.choose_files(write(tmp_path, "notes.pdf", b"just some text, not a PDF at all\n"))
    error = app.visible(".new-job .error")
    assert error.text == "the uploaded file is not a PDF (no %PDF- header)"
    app.shot("error")
    app.assert_fits_a_phone("error")


def test_credits_and_a_cancelled_job_giving_its_reservation_back(app: App,
                                                                   tmp_path: Path) -> None:
    app.go("#credits")
    assert app.visible("#balance").text == "100"
    assert [row[1] for row in table_rows(app.driver, "table")] == ["signup"]
    app.go("#new/pdf")
    app.choose_files(write(tmp_path, "two.pdf", make_document(2)[0]))
    app.visible("form.options")  # confirmed, never started: pending
    app.go("#credits")
    app.wait(lambda _: (app.visible("#balance").text, app.visible("#reserved").text)
             == ("98", "2"), timeout=20, what="the reservation")
    app.shot("credits")
    app.assert_fits_a_phone("credits")

    app.go("#jobs")
    card = app.visible("article.job[data-status='pending']")
    app.button("Cancel", card).click()
    app.wait(lambda _: card.get_attribute("data-status") == "cancelled", timeout=20,
             what="the job to be cancelled")
    app.go("#credits")
    app.wait(lambda _: (app.visible("#balance").text, app.visible("#reserved").text)
             == ("100", "0"), timeout=20, what="the credits back")
    entries = [row[1] for row in table_rows(app.driver, "table")]
    assert entries[-2:] == ["reserve", "signup"] and len(entries) == 3, entries


def test_a_phone_never_scrolls_sideways(app: App, tmp_path: Path) -> None:
    """Every screen at 390 px, a job with a long file name among them (the flows above
    check their results at this width too)."""
    pdf, _ = make_document(1)
    app.go("#new/pdf")
    app.choose_files(write(tmp_path, "a-rather-long-file-name-for-a-small-screen.pdf", pdf))
    app.visible("form.options")
    app.assert_fits_a_phone("pdf-options")
    app.button("Start processing").click()
    app.wait(lambda _: app.visible("article.job").get_attribute("data-status") == "completed",
             what="the job")
    for screen, ready in (("#jobs", "article.job"), ("#new/receipt", ".drop"),
                          ("#new/pages", "input[name=name]"), ("#new/colour", ".swatch"),
                          ("#credits", "#balance")):
        app.go(screen)
        app.visible(ready)
        app.assert_fits_a_phone(screen.strip("#").replace("/", "-"))
    app.js("document.getElementById('sign-out').click()")
    app.visible("form.sign-in")
    app.assert_fits_a_phone("sign-in")


# A WebSocket that never connects, as behind a proxy that refuses the upgrade.
_NO_WEBSOCKET = """window.WebSocket = class extends EventTarget {
  constructor() { super(); setTimeout(() => this.dispatchEvent(new Event("close")), 10); }
  close() {}
};"""


def test_without_the_live_feed_the_page_still_follows_its_jobs(
        browser: WebDriver, stack: Stack, tmp_path: Path) -> None:
    """Nothing rests on the socket's messages: while it is down the screens re-read."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                     {"source": _NO_WEBSOCKET})
    try:
        app = App(browser, stack.gateway_url, tmp_path)
        app.sign_up(live_state="offline")
        assert app.visible("#live").text == "○ Reconnecting…"
        app.go("#new/pdf")
        app.choose_files(write(tmp_path, "quiet.pdf", make_document(2)[0]))
        app.button("Start processing").click()
        card = app.visible("article.job")
        app.wait(lambda _: card.get_attribute("data-status") == "completed",
                 what="the job to complete without the live feed")
        assert card.find_element(By.TAG_NAME, "progress").get_property("value") == 100
        app.assert_no_csp_violations()
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": script["identifier"]})


def table_rows(driver: WebDriver, css: str) -> list[list[str]]:
    table = driver.find_element(By.CSS_SELECTOR, css)
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]


# --------------------------------------------------------------------------- the files

def test_the_page_is_served_with_its_security_headers(api: httpx.Client) -> None:
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'") and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        if url.startswith("#"):
            continue
        asset = api.get(url)
        assert asset.status_code == 200 and asset.content, url
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert api.get("/app/app.js").headers["content-type"].startswith("text/javascript")


def test_nothing_is_loaded_from_elsewhere_and_nothing_runs_inline() -> None:
    files = sorted(STATIC_DIR.iterdir())
    assert {"index.html", "app.js", "app.css"} <= {f.name for f in files}
    for file in files:
        text = re.sub(r'xmlns="[^"]*"', "", file.read_text())  # a namespace name, not a load
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), file
    html = (STATIC_DIR / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"\son[a-z]+=|\sstyle=", html), "an inline handler or style"


def test_the_web_app_is_not_in_the_openapi_document(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(p.startswith("/app") for p in paths)
