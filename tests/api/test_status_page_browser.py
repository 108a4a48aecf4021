"""The status page in a real browser: Debian's headless ``chromium`` driven by selenium
through ``chromedriver`` (``make chromium`` installs both), against the real API server
(uvicorn on a free port, in a thread) over the API tests' ledger: a simulated day
replayed and imported with the CLI, as an operator fills one.

It signs in through the form, then through a ``#token=`` link; checks that the browser
logged no console error (a Content-Security-Policy violation is one), that the departments
of the simulated traffic are shown, that the scorecard section draws one SVG trend chart
per department row (the browser's own layout: each chart has a size), and that a
department principal sees none of another department's rows, tickets or names; a
contact-center manager rules a dispute and an auditor gives a verdict through the forms. The
screenshots are kept in ``var/test-artifacts/`` (the path is printed).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.wait import WebDriverWait

from api import ApiSettings, create_app
from api.page import signin_link
from ledger import clock_outcomes, create_ledger_engine
from ledger.queries import latest_breaches, latest_penalties
from sla.calendar import build_calendars
from tests.api.conftest import (
    ABUSIVE_CALLER,
    CONFIG,
    HOME,
    NOW,
    OPEN_AUDIT,
    OPEN_DISPUTE,
    PENDING_REQUEST,
    FakePublisher,
    Fixture,
    Principals,
)
from tests.api.test_status_page import NAMES, PAGE_NOW

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
WAIT = 30  # seconds: a bound on page loads on a loaded machine, never a timing assertion


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def bus() -> FakePublisher:
    return FakePublisher()


@contextmanager
def _serve(settings: ApiSettings) -> Iterator[str]:
    """The API app served by uvicorn on 127.0.0.1:<free port>; yields its base URL."""
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                       log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, name="status-page-api", daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(WAIT * 10):
        if uv.started or not thread.is_alive():
            break
        started.wait(0.1)
    assert uv.started, "uvicorn did not start serving the API"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(WAIT)


def _settings(fixture: Fixture, principals: Principals, bus: FakePublisher,
              **overrides: Any) -> ApiSettings:
    options: dict[str, Any] = dict(
        database_url=fixture.database_url, principals_path=principals.path,
        publisher=bus, departments=NAMES, timezone=CONFIG.timezone,
        clock=lambda: PAGE_NOW, dispute_deadline=CONFIG.dispute_deadline,
        calendars=build_calendars(CONFIG.calendars), authority=CONFIG.authority,
        page_refresh_seconds=600)  # no reload in the middle of the test
    return ApiSettings(**(options | overrides))


@pytest.fixture
def server(ledger_fixture: Fixture, principals: Principals, bus: FakePublisher) -> Iterator[str]:
    """The API on the test ledger at PAGE_NOW (the simulated day); yields its base URL."""
    with _serve(_settings(ledger_fixture, principals, bus)) as base:
        yield base


@pytest.fixture
def calls_server(ledger_fixture: Fixture, principals: Principals,
                 bus: FakePublisher) -> Iterator[str]:
    """The same at the calls' NOW, with the policy's calls section: a caller blocked by
    rule, two block requests waiting."""
    with _serve(_settings(ledger_fixture, principals, bus, clock=lambda: NOW,
                          calls=CONFIG.calls)) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Debian chromium through Debian's chromedriver (never a downloaded one)."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.fail("chromium or chromedriver is missing: run `make chromium` "
                    "(scripts/ensure_chromium.sh)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1800", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _console_errors(driver: webdriver.Chrome) -> list[str]:
    """The console messages logged since the last call, errors only."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def _on_status_page(driver: webdriver.Chrome, base: str) -> None:
    WebDriverWait(driver, WAIT).until(ready.url_matches(rf"^{re.escape(base)}/(\?.*)?$"))
    WebDriverWait(driver, WAIT).until(
        ready.presence_of_element_located((By.ID, "attainment")))


def _save(driver: webdriver.Chrome, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot)), "the screenshot was not written"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    kept = ARTIFACTS / name
    shutil.copyfile(shot, kept)
    print(f"status page screenshot: {kept}")
    return kept


def _scorecard_charts(driver: webdriver.Chrome) -> tuple[list[str], list[str]]:
    """(the scorecard's row departments, the departments of its drawn SVG charts)."""
    section = driver.find_element(By.ID, "scorecard")
    rows = [row.get_attribute("data-department")
            for row in section.find_elements(By.CSS_SELECTOR, "tr[data-department]")]
    charts = [figure.get_attribute("data-department")
              for figure in section.find_elements(By.CSS_SELECTOR, "figure.trend")
              for svg in figure.find_elements(By.TAG_NAME, "svg")
              if svg.size["width"] > 200 and svg.size["height"] > 100]
    return rows, charts


def _row_departments(driver: webdriver.Chrome) -> set[str]:
    return {row.get_attribute("data-department")
            for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-department]")}


def _foreign_tickets(database_url: str) -> set[str]:
    """Tickets with breaches or penalties of other departments and none of HOME's."""
    engine = create_ledger_engine(database_url)
    try:
        rows = [*latest_breaches(engine, None, 100_000), *latest_penalties(engine, None, 100_000)]
    finally:
        engine.dispose()
    home = {row.ticket for row in rows if row.department == HOME}
    return {row.ticket for row in rows if row.department != HOME} - home


def _traffic_departments(database_url: str) -> set[str]:
    engine = create_ledger_engine(database_url)
    try:
        return {c.department for c in clock_outcomes(
            engine, datetime(2000, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC))}
    finally:
        engine.dispose()


def test_the_status_page_in_headless_chromium(server: str, browser: webdriver.Chrome,
                                              ledger_fixture: Fixture,
                                              principals: Principals, tmp_path: Path) -> None:
    browser.get(f"{server}/")  # no session: the sign-in form
    WebDriverWait(browser, WAIT).until(ready.url_to_be(f"{server}/signin"))
    browser.find_element(By.ID, "token").send_keys(principals.tokens["ceo"])
    browser.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    _on_status_page(browser, server)

    traffic = _traffic_departments(ledger_fixture.database_url)
    assert len(traffic) >= 5 and traffic <= _row_departments(browser)
    attainment = browser.find_element(By.ID, "attainment").text
    assert all(NAMES[key] in attainment for key in traffic), attainment
    assert browser.find_elements(By.CSS_SELECTOR, "#breaches tr[data-ticket]")
    rows, charts = _scorecard_charts(browser)
    assert len(rows) >= 5 and charts == rows and traffic <= set(rows)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#scorecard svg")) == len(rows)
    _save(browser, tmp_path, "status-page.png")
    browser.execute_script("document.getElementById('scorecard').scrollIntoView()")
    _save(browser, tmp_path, "status-page-scorecard.png")
    assert _console_errors(browser) == []

    browser.find_element(By.ID, "signout").click()
    WebDriverWait(browser, WAIT).until(ready.url_to_be(f"{server}/signin"))
    browser.get(signin_link(server, principals.tokens["logistics-desk"]))  # the #token= link
    _on_status_page(browser, server)
    browser.get(f"{server}/?lang=zh")
    _on_status_page(browser, server)

    assert browser.find_element(By.TAG_NAME, "h1").text == "SLA Police 服务状态"
    assert _row_departments(browser) == {HOME}
    assert _scorecard_charts(browser) == ([HOME], [HOME])
    assert "SLA 达标率" in browser.find_element(By.ID, "scorecard").text
    source, text = browser.page_source, browser.find_element(By.TAG_NAME, "body").text
    assert not [t for t in _foreign_tickets(ledger_fixture.database_url) if t in source]
    assert not [name for key, name in NAMES.items() if key != HOME and name in text]
    assert NAMES[HOME] in text and "logistics-desk" in text
    assert principals.tokens["logistics-desk"] not in browser.current_url
    _save(browser, tmp_path, "status-page-department-zh.png")
    assert _console_errors(browser) == []
    browser.get(f"{server}/page/static/missing.css")  # the log check can see an error
    assert any("404" in message for message in _console_errors(browser))


def test_the_contact_center_rules_a_dispute_from_the_page(
        server: str, browser: webdriver.Chrome, principals: Principals,
        bus: FakePublisher, tmp_path: Path) -> None:
    """One form round-trip: open the ruling form of the open dispute, reject it with a
    reason; the page answers with the published line and the event is on the bus."""
    browser.get(signin_link(server, principals.tokens["cc-lead"]))
    _on_status_page(browser, server)
    form = browser.find_element(By.CSS_SELECTOR, f"form.ruling[data-dispute='{OPEN_DISPUTE}']")
    form.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary").click()
    form.find_element(By.NAME, "reason").send_keys("the ticket was logistics' from the start")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    result = WebDriverWait(browser, WAIT).until(
        ready.presence_of_element_located((By.ID, "form-result")))
    assert result.text.startswith("Published: ruling (rejected)"), result.text
    [event] = bus.events
    assert (event.type, event.data.dispute_id, event.data.outcome, event.data.actor) == (
        "dispute.ruled", OPEN_DISPUTE, "rejected", "cc-lead")
    _save(browser, tmp_path, "status-page-ruling.png")
    assert _console_errors(browser) == []


def test_the_auditor_gives_a_verdict_from_the_page(
        server: str, browser: webdriver.Chrome, principals: Principals,
        bus: FakePublisher, tmp_path: Path) -> None:
    """The auditor's page: agent authority and the audit queue only; the open item's
    verdict form posts ``audit.completed`` signed by the auditor."""
    browser.get(signin_link(server, principals.tokens["qa-auditor"]))
    WebDriverWait(browser, WAIT).until(ready.presence_of_element_located((By.ID, "audits")))
    assert browser.find_elements(By.ID, "authority") and not browser.find_elements(
        By.ID, "attainment")
    form = browser.find_element(By.CSS_SELECTOR, f"form.verdict[data-audit='{OPEN_AUDIT}']")
    form.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary").click()
    form.find_element(By.CSS_SELECTOR, "option[value=non_compliant]").click()
    form.find_element(By.NAME, "note").send_keys("no approval on file")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    result = WebDriverWait(browser, WAIT).until(
        ready.presence_of_element_located((By.ID, "form-result")))
    assert result.text.startswith("Published: verdict (non-compliant)"), result.text
    [event] = bus.events
    assert (event.type, event.data.audit_id, event.data.verdict, event.data.auditor) == (
        "audit.completed", OPEN_AUDIT, "non_compliant", "qa-auditor")
    _save(browser, tmp_path, "status-page-auditor.png")
    assert _console_errors(browser) == []


def test_a_lead_decides_a_block_request_from_the_page(
        calls_server: str, browser: webdriver.Chrome, principals: Principals,
        bus: FakePublisher, tmp_path: Path) -> None:
    """The lead's calls section: the waiting request's decision form posts
    ``block.decided`` signed by the lead; the before/after report draws its table."""
    server = calls_server
    browser.get(signin_link(server, principals.tokens["cc-head-2"]))
    _on_status_page(browser, server)
    section = browser.find_element(By.ID, "calls")
    assert section.find_elements(By.CSS_SELECTOR, "form.lift")
    form = section.find_element(By.CSS_SELECTOR,
                                f"form.decision[data-request='{PENDING_REQUEST}']")
    form.find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary").click()
    form.find_element(By.CSS_SELECTOR, "option[value=declined]").click()
    form.find_element(By.NAME, "note").send_keys("one abusive call is not a pattern")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    result = WebDriverWait(browser, WAIT).until(
        ready.presence_of_element_located((By.ID, "form-result")))
    assert result.text == (f"Published: block request {PENDING_REQUEST} declined "
                           f"(caller {ABUSIVE_CALLER})."), result.text
    [event] = bus.events
    assert (event.type, event.data.request_id, event.data.decision, event.data.decided_by) == (
        "block.decided", PENDING_REQUEST, "declined", "cc-head-2")
    browser.get(f"{server}/?calls_change=2026-11-25&calls_window=1d")
    _on_status_page(browser, server)
    report = browser.find_element(By.CSS_SELECTOR, "table.calls-report")
    calls = report.find_element(By.CSS_SELECTOR, "tr[data-measure=calls] td[data-side=after]")
    assert calls.text == "5", calls.text
    browser.execute_script("document.getElementById('calls').scrollIntoView()")
    _save(browser, tmp_path, "status-page-calls.png")
    assert _console_errors(browser) == []


def test_the_interactive_docs_render_from_the_apis_own_files(server: str,
                                                              browser: webdriver.Chrome) -> None:
    """``/docs`` needs no CDN: Swagger UI's script and styles come from the API, and the
    operations of ``/openapi.json`` are drawn."""
    browser.get(f"{server}/docs")
    WebDriverWait(browser, WAIT).until(ready.presence_of_element_located(
        (By.CSS_SELECTOR, ".opblock-summary-path[data-path='/api/v1/worklist']")))
    sources = [tag.get_attribute("src") or tag.get_attribute("href") for tag in
               browser.find_elements(By.CSS_SELECTOR, "script[src], link[rel=stylesheet]")]
    assert sources and all(source.startswith(server) for source in sources), sources
    assert _console_errors(browser) == []
