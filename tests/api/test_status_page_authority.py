"""The status page's agent authority (issue 14): the contact-center manager, an executive
and the auditor read this month's report on the page, with the very figures the API
answers (the story's November: ann flagged, the pilot's two approvals avoided); the
auditor works the audit queue from the page, each verdict published as the API publishes
it and signed by the auditor; the contact center reads the queue; everyone else is told the
section is not for their role; an unknown or closed item is said, not a traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app
from api.page.authority import PILOT_ROWS, REASON_COLUMNS, ReportCache, figure
from ledger import Ledger
from tests.api.conftest import (
    CLOSED_AUDIT,
    CONFIG,
    OPEN_AUDIT,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
    parsed,
)
from tests.api.test_status_page import page_client, sign_in
from tests.ledger.authority_story import CONFIG as STORY
from tests.ledger.authority_story import story_outputs

#: The last day of the story's November, noon in Shanghai: "this month" is 2026-11.
STORY_NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
EVIL = {"Origin": "http://evil.example"}


@pytest.fixture(scope="module")
def story_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('authority-page') / 'story.db'}"
    with Ledger(url, timezone=STORY.timezone) as ledger:
        ledger.migrate()
        ledger.record(story_outputs())
    return url


def story_client(url: str, principals: Principals, authority=STORY.authority) -> TestClient:
    settings = ApiSettings.for_policy(STORY, database_url=url, principals_path=principals.path,
                                      publisher=FakePublisher(), clock=lambda: STORY_NOW)
    return TestClient(create_app(replace(settings, authority=authority)),
                      follow_redirects=False)


@pytest.fixture
def story(story_url: str, principals: Principals) -> Iterator[TestClient]:
    with story_client(story_url, principals) as client:
        yield client


def section(html: str, name: str) -> str:
    return html.split(f'<section class="card" id="{name}">', 1)[1].split("</section>", 1)[0]


def cell_text(html: str) -> str:
    """A cell's figure, without the counts under it."""
    return html.split('<span class="delta">', 1)[0].strip()


@pytest.mark.parametrize(("who", "sees"), [
    ("cc-lead", True), ("ceo", True), ("qa-auditor", True),
    ("logistics-desk", False), ("hr-payroll", False)])
def test_the_authority_section_follows_the_apis_rule(
        story: TestClient, principals: Principals, who: str, sees: bool) -> None:
    sign_in(story, principals, who)
    html = story.get("/?lang=en").text
    mine = section(html, "authority")
    assert ('data-reason="all"' in mine) == sees
    api = story.get("/api/v1/reports/authority?period=2026-11", headers=bearer(principals, who))
    assert (api.status_code == 200) == sees
    if not sees:
        assert "Not shown to the" in mine


def test_an_admin_still_reads_no_business_data(story: TestClient,
                                               principals: Principals) -> None:
    sign_in(story, principals, "ops-admin")
    html = story.get("/").text
    assert "reads no business data" in html and 'id="authority"' not in html


def test_the_auditor_sees_authority_and_the_queue_only(story: TestClient,
                                                       principals: Principals) -> None:
    sign_in(story, principals, "qa-auditor")
    html = story.get("/?lang=en").text
    assert 'id="auditor-only"' in html and 'id="audits"' in html
    assert 'id="attainment"' not in html and 'id="scorecard"' not in html
    assert "admin role" not in html


def test_the_figures_are_the_apis_report(story: TestClient, principals: Principals) -> None:
    api = story.get("/api/v1/reports/authority?period=2026-11",
                    headers=bearer(principals, "cc-lead")).json()
    sign_in(story, principals, "cc-lead")
    mine = section(story.get("/?lang=en").text, "authority")
    for reason in [*api["reasons"], api["total"]]:
        row = mine.split(f'data-reason="{reason["contact_reason"]}"', 1)[1].split("</tr>")[0]
        for measure, kind in REASON_COLUMNS:
            shown = re.search(rf'data-measure="{measure}">(.*?)</td>', row, re.S)
            assert shown and cell_text(shown[1]) == figure(reason[measure], kind), measure
    total = mine.split('data-reason="all"', 1)[1].split("</tr>")[0]
    assert '"audit_compliance">50.0%' in total and "1 of 2 verdicts" in total
    flagged = re.findall(r'<tr data-agent="([^"]+)"', mine)
    assert flagged == [f["agent"] for f in api["flags"]] == ["ann"]
    [flag] = api["flags"]
    evidence = mine.split('data-agent="ann"', 1)[1].split("</tr>")[0]
    assert (f"{flag['grant_rate']:.2f} grants per contact, peers' median "
            f"{flag['peer_median_rate']:.2f} ({flag['peers']} peers), "
            f"score {flag['rate_score']:.1f}") in evidence.replace("&#39;", "'")


def test_each_pilot_is_set_against_the_rest(story: TestClient, principals: Principals) -> None:
    api = story.get("/api/v1/reports/authority?period=2026-11",
                    headers=bearer(principals, "ceo")).json()
    sign_in(story, principals, "ceo")
    mine = section(story.get("/?lang=en").text, "authority")
    [pilot] = api["pilots"]
    table = mine.split(f'data-pilot="{pilot["pilot"]}"', 1)[1].split("</table>")[0]
    for measure, kind, _better in PILOT_ROWS:
        row = table.split(f'<tr data-measure="{measure}">', 1)[1].split("</tr>")[0]
        for side, key in (("pilot", "pilot_agents"), ("rest", "rest")):
            shown = re.search(rf'data-side="{side}">(.*?)</td>', row, re.S)
            assert shown and cell_text(shown[1]) == figure(pilot[key][measure], kind)
    avoided = table.split('<tr data-measure="approvals_avoided">', 1)[1].split("</tr>")[0]
    assert 'class="num better" data-side="pilot">2<' in avoided  # two approvals unneeded


def test_the_section_speaks_chinese(story: TestClient, principals: Principals) -> None:
    sign_in(story, principals, "cc-lead")
    mine = section(story.get("/?lang=zh").text, "authority")
    assert "坐席授权" in mine and "让利过多的坐席" in mine and "全部原因" in mine


def test_without_an_authority_section_the_page_says_so(story_url: str,
                                                       principals: Principals) -> None:
    with story_client(story_url, principals, authority=None) as client:
        sign_in(client, principals, "ceo")
        mine = section(client.get("/?lang=en").text, "authority")
    assert 'id="authority-off"' in mine and "not judged" in mine


def test_a_months_report_is_computed_once_while_fresh() -> None:
    clock = [STORY_NOW]
    asked: list[str] = []
    cache = ReportCache(lambda month: asked.append(month), clock=lambda: clock[0],
                        ttl=timedelta(minutes=5))
    cache.get("2026-11")
    clock[0] += timedelta(minutes=4)
    cache.get("2026-11")
    clock[0] += timedelta(minutes=2)
    cache.get("2026-11")
    clock[0] -= timedelta(hours=1)  # set back: computed again
    cache.get("2026-11")
    assert asked == ["2026-11"] * 3


# The audit queue, on the API tests' ledger: one open item and one closed.

@pytest.fixture
def bus() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def page(ledger_fixture: Fixture, principals: Principals,
         bus: FakePublisher) -> Iterator[TestClient]:
    with page_client(ledger_fixture, principals, publisher=bus,
                     authority=CONFIG.authority) as client:
        yield client


@pytest.mark.parametrize(("who", "shown", "form"), [
    ("qa-auditor", True, True), ("cc-lead", True, False), ("ceo", False, False),
    ("logistics-desk", False, False), ("hr-payroll", False, False)])
def test_the_queue_lists_open_items_oldest_first_for_auditors_and_the_contact_center(
        page: TestClient, principals: Principals, ledger_fixture: Fixture, who: str,
        shown: bool, form: bool) -> None:
    sign_in(page, principals, who)
    queue = section(page.get("/?lang=en").text, "audits")
    assert re.findall(r'<tr data-audit="([^"]+)"', queue) == ([OPEN_AUDIT] if shown else [])
    assert ('action="/forms/verdict"' in queue) == form
    if shown:
        row = queue.split(f'data-audit="{OPEN_AUDIT}"', 1)[1].split("</tr>")[0]
        assert ledger_fixture.home_ticket in row and "agent-012" in row
        assert "300.00 CNY" in row and "threshold" in row
    else:
        assert "Not shown to the" in queue


def test_a_verdict_from_the_page_is_the_apis_signed_by_the_auditor(
        page: TestClient, principals: Principals, bus: FakePublisher,
        ledger_fixture: Fixture) -> None:
    sign_in(page, principals, "qa-auditor")
    answer = page.post("/forms/verdict?lang=en", data={
        "audit_id": OPEN_AUDIT, "verdict": "non_compliant", "note": "no approval on file",
        "key": "v-1"})
    assert answer.status_code == 200, answer.text
    assert (f"Published: verdict (non-compliant) on audit item {OPEN_AUDIT} of ticket "
            f"{ledger_fixture.home_ticket}.") in answer.text
    [from_page] = bus.events
    event = parsed(from_page)
    assert (event.type, event.subject) == ("audit.completed", ledger_fixture.home_ticket)
    assert (event.data.audit_id, event.data.verdict, event.data.auditor, event.data.note) == (
        OPEN_AUDIT, "non_compliant", "qa-auditor", "no approval on file")
    api = page.post(f"/api/v1/audits/{OPEN_AUDIT}/verdict",
                    json={"verdict": "non_compliant", "note": "no approval on file"},
                    headers={**bearer(principals, "qa-auditor"), "Idempotency-Key": "v-1"})
    assert api.status_code == 202 and bus.events[1].model_dump() == from_page.model_dump()


@pytest.mark.parametrize(("fields", "status", "sentence"), [
    ({"audit_id": "nope", "verdict": "compliant"}, 404,
     "Not done: audit item nope is not in the ledger."),
    ({"audit_id": CLOSED_AUDIT, "verdict": "compliant"}, 409,
     f"Not done: audit item {CLOSED_AUDIT} is closed already: compliant by qa-007."),
    ({"audit_id": OPEN_AUDIT, "verdict": "fine"}, 422, "Not done: verdict:"),
    ({"audit_id": OPEN_AUDIT}, 422, "Not done: verdict:")])
def test_an_unknown_or_closed_item_or_a_bad_verdict_is_said(
        page: TestClient, principals: Principals, bus: FakePublisher,
        fields: dict[str, str], status: int, sentence: str) -> None:
    sign_in(page, principals, "qa-auditor")
    answer = page.post("/forms/verdict?lang=en", data=fields)
    assert answer.status_code == status and sentence in answer.text
    assert 'id="form-result"' in answer.text and "Traceback" not in answer.text
    assert bus.events == []


def test_a_closed_item_is_said_in_chinese(page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "qa-auditor")
    answer = page.post("/forms/verdict?lang=zh",
                       data={"audit_id": CLOSED_AUDIT, "verdict": "compliant"})
    assert answer.status_code == 409 and f"审计项 {CLOSED_AUDIT} 已有结论" in answer.text


@pytest.mark.parametrize("who", ["cc-lead", "ceo", "logistics-desk", "hr-payroll",
                                 "ops-admin", "qa-auditor"])
def test_other_roles_and_other_sites_are_refused(page: TestClient, principals: Principals,
                                                 bus: FakePublisher, who: str) -> None:
    sign_in(page, principals, who)
    fields = {"audit_id": OPEN_AUDIT, "verdict": "compliant"}
    answer = page.post("/forms/verdict", data=fields,
                       headers=EVIL if who == "qa-auditor" else {})
    assert answer.status_code == 403 and 'id="form-result"' in answer.text
    assert bus.events == []


def test_without_a_session_the_verdict_form_goes_to_the_sign_in_form(
        page: TestClient, bus: FakePublisher) -> None:
    answer = page.post("/forms/verdict", data={"audit_id": OPEN_AUDIT, "verdict": "compliant"})
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert bus.events == [] and page.get("/forms/verdict").headers["location"] == "/"


def test_the_page_path_is_not_in_the_openapi_document(page: TestClient) -> None:
    assert "/forms/verdict" not in page.get("/openapi.json").json()["paths"]

