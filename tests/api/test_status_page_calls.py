"""The status page's "Calls" section (issue 15): the contact center and its lead see the
blocks active now and the block requests waiting for a lead; the lead decides a request
or lifts a block from the page, each published as the API publishes it and signed by the
lead, and is told in English or Chinese when the request is their own (four eyes), unknown
or decided; the contact center reads without forms; an executive reads counts and the
before/after report (the API's very figures), never a caller reference; everyone else is
told the section is not for their role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.page.calls as page_calls
from api import ApiSettings, create_app, departments_of
from api.page.calls import CALLS_ROWS, calls_figure
from models import CloudEvent, parse_event
from models.topics import CALLS, inbound_topic_for
from tests.api.conftest import (
    ABUSIVE_CALLER,
    BURST_CALLER,
    CONFIG,
    NOW,
    OWN_REQUEST,
    PENDING_REQUEST,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
)
from tests.api.test_calls_report import SPEC, story  # noqa: F401 (the report's ledger)
from tests.api.test_status_page import page_client, sign_in

EVIL = {"Origin": "http://evil.example"}
CALLERS = (BURST_CALLER, ABUSIVE_CALLER)


def parsed(event: CloudEvent) -> CloudEvent:
    """``event`` as the calls topic's consumer reads it back."""
    back = parse_event(event.to_json(), accept="calls", now=NOW)
    assert isinstance(back, CloudEvent), back
    assert inbound_topic_for(back.type) == CALLS
    return back


def section(html: str, name: str = "calls") -> str:
    return html.split(f'<section class="card" id="{name}">', 1)[1].split("</section>", 1)[0]


def result_line(html: str) -> str:
    found = re.search(r'id="form-result" role="status">(.*?)</p>', html, re.S)
    assert found, "no result line"
    return found[1].replace("&#39;", "'")


@pytest.fixture
def bus() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def page(ledger_fixture: Fixture, principals: Principals,
         bus: FakePublisher) -> Iterator[TestClient]:
    """The page at the calls' NOW: c-burst blocked by the rule, two requests waiting."""
    with page_client(ledger_fixture, principals, publisher=bus, clock=lambda: NOW,
                     calls=CONFIG.calls) as client:
        yield client


# -- who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "forms"), [
    ("cc-head", True), ("cc-head-2", True), ("cc-lead", False)])
def test_the_contact_center_sees_blocks_and_requests_and_only_leads_get_forms(
        page: TestClient, principals: Principals, ledger_fixture: Fixture, who: str,
        forms: bool) -> None:
    sign_in(page, principals, who)
    mine = section(page.get("/?lang=en").text)
    assert re.findall(r'<tr data-block="([^"]+)" data-caller="([^"]+)"', mine) == [
        (ledger_fixture.burst_block, BURST_CALLER)]
    # both asked at the same instant: oldest first, then by id
    assert re.findall(r'<tr data-request="([^"]+)"', mine) == sorted([PENDING_REQUEST,
                                                                       OWN_REQUEST])
    block = mine.split(f'data-block="{ledger_fixture.burst_block}"', 1)[1].split("</tr>")[0]
    assert "rule burst" in block and "day" in block
    request = mine.split(f'data-request="{PENDING_REQUEST}"', 1)[1].split("</tr>")[0]
    assert "cc-lead" in request and 'data-evidence="1"' in request and "abusive again" in request
    assert "Blocks active now: 1 (1 by rule, 0 approved by people; 0 permanent)" in mine
    assert "Requests waiting for a decision: 2." in mine
    assert ('action="/forms/block-decision"' in mine) == forms
    assert ('action="/forms/block-lift"' in mine) == forms
    assert 'id="calls-report-form"' in mine and 'class="calls-report"' not in mine


def test_an_executive_reads_counts_and_no_caller_reference(
        page: TestClient, principals: Principals, ledger_fixture: Fixture) -> None:
    sign_in(page, principals, "ceo")
    html = page.get("/?lang=en").text
    mine = section(html)
    assert 'id="calls-counts-only"' in mine and "Blocks active now: 1" in mine
    assert "data-block=" not in mine and "data-request=" not in mine and "<form" in mine
    assert not [ref for ref in CALLERS if ref in html]
    assert ledger_fixture.burst_block not in html and PENDING_REQUEST not in html


def test_after_its_expiry_a_block_leaves_the_page(
        ledger_fixture: Fixture, principals: Principals) -> None:
    with page_client(ledger_fixture, principals, clock=lambda: NOW + timedelta(days=2),
                     calls=CONFIG.calls) as client:
        sign_in(client, principals, "cc-head")
        mine = section(client.get("/?lang=en").text)
    assert "data-block=" not in mine and "Blocks active now: 0 (0 by rule" in mine


@pytest.mark.parametrize("who", ["hr-payroll", "logistics-desk", "qa-auditor"])
def test_other_roles_are_told_the_section_is_not_theirs(
        page: TestClient, principals: Principals, who: str) -> None:
    sign_in(page, principals, who)
    html = page.get("/?lang=en").text
    assert "Not shown to the" in section(html)
    assert not [ref for ref in CALLERS if ref in html]


def test_an_admin_still_reads_no_business_data(page: TestClient,
                                               principals: Principals) -> None:
    sign_in(page, principals, "ops-admin")
    html = page.get("/").text
    assert "reads no business data" in html and 'id="calls"' not in html


def test_without_a_calls_policy_the_section_says_so(
        ledger_fixture: Fixture, principals: Principals, bus: FakePublisher) -> None:
    with page_client(ledger_fixture, principals, publisher=bus, clock=lambda: NOW) as client:
        sign_in(client, principals, "cc-head")
        mine = section(client.get("/?lang=en").text)
        assert 'id="calls-off"' in mine and "not configured" in mine
        answer = client.post("/forms/block-decision?lang=zh", data={
            "request_id": PENDING_REQUEST, "decision": "approved"})
    assert answer.status_code == 404 and "未设置封禁" in result_line(answer.text)
    assert bus.events == []


def test_the_section_speaks_chinese(page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "cc-head")
    mine = section(page.get("/?lang=zh").text)
    assert "当前生效的封禁" in mine and "待审批的封禁申请" in mine and "规则 burst" in mine


# -- the lead's forms --------------------------------------------------------------------------


def test_a_decision_from_the_page_is_the_apis_signed_by_the_lead(
        page: TestClient, principals: Principals, bus: FakePublisher) -> None:
    sign_in(page, principals, "cc-head")
    answer = page.post("/forms/block-decision?lang=en", data={
        "request_id": PENDING_REQUEST, "decision": "approved", "note": "heard the recording",
        "key": "d-1"})
    assert answer.status_code == 200, answer.text
    assert result_line(answer.text) == (f"Published: block request {PENDING_REQUEST} "
                                        f"approved (caller {ABUSIVE_CALLER}).")
    [from_page] = bus.events
    event = parsed(from_page)
    assert (event.type, event.subject) == ("block.decided", ABUSIVE_CALLER)
    assert (event.data.request_id, event.data.decision, event.data.decided_by,
            event.data.role, event.data.note) == (
        PENDING_REQUEST, "approved", "cc-head", "contact_center_lead", "heard the recording")
    api = page.post(f"/api/v1/blocks/{PENDING_REQUEST}/decision",
                    json={"decision": "approved", "note": "heard the recording"},
                    headers={**bearer(principals, "cc-head"), "Idempotency-Key": "d-1"})
    assert api.status_code == 202 and bus.events[1].model_dump() == from_page.model_dump()


def test_a_lift_from_the_page_is_the_apis_signed_by_the_lead(
        page: TestClient, principals: Principals, bus: FakePublisher,
        ledger_fixture: Fixture) -> None:
    block = ledger_fixture.burst_block
    sign_in(page, principals, "cc-head-2")
    answer = page.post("/forms/block-lift?lang=en", data={
        "block_id": block, "reason": "the caller apologised", "key": "l-1"})
    assert answer.status_code == 200, answer.text
    assert result_line(answer.text) == f"Published: lift of block {block} (caller {BURST_CALLER})."
    [from_page] = bus.events
    event = parsed(from_page)
    assert (event.type, event.subject, event.data.block_id, event.data.lifted_by,
            event.data.role, event.data.reason) == (
        "block.lifted", BURST_CALLER, block, "cc-head-2", "contact_center_lead",
        "the caller apologised")
    api = page.post(f"/api/v1/blocks/{block}/lift", json={"reason": "the caller apologised"},
                    headers={**bearer(principals, "cc-head-2"), "Idempotency-Key": "l-1"})
    assert api.status_code == 202 and bus.events[1].model_dump() == from_page.model_dump()


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", f"Not done: you requested block {OWN_REQUEST} yourself and cannot decide it: "
           "four eyes, a second contact-center lead must."),
    ("zh", f"未执行：封禁申请 {OWN_REQUEST} 是你本人提交的，你不能审批：四眼原则")])
def test_a_lead_may_not_approve_their_own_request(
        page: TestClient, principals: Principals, bus: FakePublisher, lang: str,
        sentence: str) -> None:
    sign_in(page, principals, "cc-head")
    answer = page.post(f"/forms/block-decision?lang={lang}",
                       data={"request_id": OWN_REQUEST, "decision": "approved"})
    assert answer.status_code == 409 and sentence in result_line(answer.text)
    assert "Traceback" not in answer.text and bus.events == []


@pytest.mark.parametrize(("url", "fields", "status", "sentence"), [
    ("/forms/block-decision", {"request_id": "req-nothing", "decision": "approved"}, 404,
     "Not done: block request req-nothing is not in the ledger"),
    ("/forms/block-decision", {"request_id": PENDING_REQUEST, "decision": "maybe"}, 422,
     "Not done: decision:"),
    ("/forms/block-lift", {"block_id": "no-such-block", "reason": "x"}, 404,
     "Not done: block no-such-block is not an active block"),
    ("/forms/block-lift", {"block_id": "no-such-block", "reason": " "}, 422,
     "Not done: reason:")])
def test_an_unknown_request_or_block_or_a_bad_field_is_said(
        page: TestClient, principals: Principals, bus: FakePublisher, url: str,
        fields: dict[str, str], status: int, sentence: str) -> None:
    sign_in(page, principals, "cc-head")
    answer = page.post(f"{url}?lang=en", data=fields)
    assert answer.status_code == status and sentence in result_line(answer.text)
    assert bus.events == []


def test_an_unknown_request_is_said_in_chinese(page: TestClient,
                                               principals: Principals) -> None:
    sign_in(page, principals, "cc-head")
    answer = page.post("/forms/block-decision?lang=zh",
                       data={"request_id": "req-nothing", "decision": "declined"})
    assert answer.status_code == 404 and "账本中没有封禁申请 req-nothing" in answer.text


@pytest.mark.parametrize("who", ["cc-lead", "ceo", "hr-payroll", "logistics-desk",
                                 "qa-auditor", "ops-admin", "cc-head"])
@pytest.mark.parametrize(("url", "fields"), [
    ("/forms/block-decision", {"request_id": PENDING_REQUEST, "decision": "approved"}),
    ("/forms/block-lift", {"block_id": "any", "reason": "x"})])
def test_other_roles_and_other_sites_are_refused(
        page: TestClient, principals: Principals, bus: FakePublisher, who: str, url: str,
        fields: dict[str, str]) -> None:
    sign_in(page, principals, who)
    answer = page.post(f"{url}?lang=en", data=fields, headers=EVIL if who == "cc-head" else {})
    assert answer.status_code == 403 and 'id="form-result"' in answer.text
    assert bus.events == []


def test_without_a_session_the_forms_go_to_the_sign_in_form(page: TestClient,
                                                           bus: FakePublisher) -> None:
    answer = page.post("/forms/block-lift", data={"block_id": "any", "reason": "x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert page.get("/forms/block-decision").headers["location"] == "/"
    assert bus.events == [] and "/forms/block-lift" not in page.get(
        "/openapi.json").json()["paths"]


# -- the before/after report -------------------------------------------------------------------


@pytest.fixture
def report_page(story: Any, principals: Principals) -> Iterator[TestClient]:  # noqa: F811
    settings = ApiSettings(database_url=story[0], principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           timezone=CONFIG.timezone, clock=lambda: NOW, calls=SPEC)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def cell_text(html: str) -> str:
    """A cell's figure, without the counts or the band mark after it."""
    return re.split(r"<span", html, maxsplit=1)[0].strip()


@pytest.mark.parametrize("who", ["ceo", "cc-lead", "cc-head"])
def test_the_figures_are_the_apis_report(report_page: TestClient, principals: Principals,
                                         who: str) -> None:
    api = report_page.get("/api/v1/reports/calls?change=2026-11-01&window=20d",
                          headers=bearer(principals, who)).json()
    sign_in(report_page, principals, who)
    mine = section(report_page.get(
        "/?lang=en&calls_change=2026-11-01&calls_window=20d").text)
    assert 'data-change="2026-11-01" data-window="20"' in mine
    for measure, kind, _better in CALLS_ROWS:
        row = mine.split(f'<tr data-measure="{measure}">', 1)[1].split("</tr>")[0]
        for side in ("before", "after"):
            shown = re.search(rf'data-side="{side}">(.*?)</td>', row, re.S)
            assert shown and cell_text(shown[1]) == calls_figure(api[side][measure], kind), (
                measure, side)
    share = mine.split('<tr data-measure="agent_share">', 1)[1].split("</tr>")[0]
    before, after = api["before"], api["after"]
    assert (f"agent {after['agent_hangups']} / customer {after['customer_hangups']}"
            in share)
    assert share.count("in band") + share.count("outside the band") == 2
    qa = mine.split('<tr data-measure="qa_compliance">', 1)[1].split("</tr>")[0]
    assert f"{before['qa_compliant']} of {before['qa_reviewed']} reviewed" in qa
    complained = mine.split('<tr data-measure="blocked_who_complained">', 1)[1]
    assert 'class="num worse" data-side="after">1<' in complained.split("</tr>")[0]


def test_without_a_change_date_only_the_form_is_shown_and_a_wrong_one_is_said(
        report_page: TestClient, principals: Principals) -> None:
    sign_in(report_page, principals, "ceo")
    bare = section(report_page.get("/?lang=en").text)
    assert 'id="calls-report-form"' in bare and 'class="calls-report"' not in bare
    for query, sentence in (("calls_change=2026-13-01", "as YYYY-MM-DD"),
                            ("calls_change=2026-11-01&calls_window=999d", "1d to 366d"),
                            ("calls_change=2026-11-01&calls_window=1m", "whole days")):
        answer = report_page.get(f"/?lang=en&{query}")
        assert answer.status_code == 200 and sentence in section(answer.text), query
        assert 'class="calls-report"' not in answer.text
    zh = section(report_page.get("/?lang=zh&calls_change=2026-11-01&calls_window=20d").text)
    assert "策略调整前后对比" in zh and "坐席挂断占比" in zh


def test_a_report_is_computed_once_while_fresh(report_page: TestClient,
                                               principals: Principals,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    real = page_calls.calls_change

    def counting(*args: Any) -> Any:
        asked.append(args[2:])
        return real(*args)

    monkeypatch.setattr(page_calls, "calls_change", counting)
    sign_in(report_page, principals, "ceo")
    for _ in range(2):
        report_page.get("/?calls_change=2026-11-01&calls_window=20d")
    sign_in(report_page, principals, "cc-head")
    report_page.get("/?calls_change=2026-11-01&calls_window=20d")
    report_page.get("/?calls_change=2026-11-02&calls_window=20d")
    assert len(asked) == 2
