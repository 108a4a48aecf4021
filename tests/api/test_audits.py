"""The auditor's day: the audit queue oldest grant first with each grant's figures, a verdict
published as ``audit.completed`` on the item's ticket (signed by the auditor), refusals for
an unknown or closed item; and the month's authority report, the same figures as
``sla-police report authority``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from ledger import Ledger
from ledger.authority import authority_report
from ledger.authority_export import report_dict
from sla.authority_view import PolicyView
from sla_police.command_bus import command_topic
from tests.api.conftest import (
    CLOSED_AUDIT,
    OPEN_AUDIT,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
    parsed,
)
from tests.ledger.authority_story import CONFIG as STORY
from tests.ledger.authority_story import story_outputs

AUDITOR = "qa-auditor"


def test_the_queue_lists_open_items_with_the_grants_figures(
        client: TestClient, principals: Principals, ledger_fixture: Fixture) -> None:
    headers = bearer(principals, AUDITOR)
    [item] = client.get("/api/v1/audits?status=open", headers=headers).json()["items"]
    assert (item["audit_id"], item["status"], item["ticket"]) == (
        OPEN_AUDIT, "open", ledger_fixture.home_ticket)
    assert (item["agent"], item["amount"], item["currency"], item["selected_by"]) == (
        "agent-012", "300.00", "CNY", "threshold")
    closed = client.get("/api/v1/audits?status=closed", headers=headers).json()["items"]
    assert [(c["audit_id"], c["verdict"], c["auditor"]) for c in closed] == [
        (CLOSED_AUDIT, "compliant", "qa-007")]
    both = client.get("/api/v1/audits?limit=1", headers=headers).json()
    assert [i["audit_id"] for i in both["items"]] == [CLOSED_AUDIT]  # granted the 19th
    after = client.get(f"/api/v1/audits?limit=1&cursor={both['next_cursor']}",
                       headers=headers).json()
    assert [i["audit_id"] for i in after["items"]] == [OPEN_AUDIT] and not after["next_cursor"]


def test_a_verdict_is_published_on_the_items_ticket_signed_by_the_auditor(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        ledger_fixture: Fixture) -> None:
    headers = {**bearer(principals, AUDITOR), "Idempotency-Key": "v-1"}
    body = {"verdict": "non_compliant", "note": "no approval on file"}
    answer = client.post(f"/api/v1/audits/{OPEN_AUDIT}/verdict", json=body, headers=headers)
    again = client.post(f"/api/v1/audits/{OPEN_AUDIT}/verdict", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["verdict_id"] == again.json()["verdict_id"]  # same key, same id
    event = parsed(publisher.events[0])
    assert (event.type, event.subject, command_topic(event.type)) == (
        "audit.completed", ledger_fixture.home_ticket, "ticket-events")
    assert (event.data.audit_id, event.data.verdict, event.data.auditor, event.data.note) == (
        OPEN_AUDIT, "non_compliant", AUDITOR, "no approval on file")


def test_unknown_and_closed_items_and_a_bad_verdict_are_refused(
        client: TestClient, principals: Principals, publisher: FakePublisher) -> None:
    headers = bearer(principals, AUDITOR)
    unknown = client.post("/api/v1/audits/nope/verdict", json={"verdict": "compliant"},
                          headers=headers)
    closed = client.post(f"/api/v1/audits/{CLOSED_AUDIT}/verdict",
                         json={"verdict": "compliant"}, headers=headers)
    wrong = client.post(f"/api/v1/audits/{OPEN_AUDIT}/verdict", json={"verdict": "fine"},
                        headers=headers)
    assert (unknown.status_code, closed.status_code, wrong.status_code) == (404, 409, 422)
    assert "closed already: compliant by qa-007" in closed.json()["detail"]
    assert publisher.events == []


def _story_app(tmp_path: Path, principals: Principals, authority) -> TestClient:
    url = f"sqlite:///{tmp_path / 'story.db'}"
    with Ledger(url, timezone=STORY.timezone) as ledger:
        ledger.migrate()
        ledger.record(story_outputs())
    return TestClient(create_app(ApiSettings(
        database_url=url, principals_path=principals.path, publisher=FakePublisher(),
        departments=departments_of(STORY), timezone=STORY.timezone,
        clock=lambda: datetime(2026, 12, 2, tzinfo=UTC), authority=authority)))


def test_the_authority_report_is_the_command_lines(tmp_path: Path,
                                                   principals: Principals) -> None:
    with _story_app(tmp_path, principals, STORY.authority) as client:
        answer = client.get("/api/v1/reports/authority?period=2026-11",
                            headers=bearer(principals, "ceo"))
        engine = client.app.state.engine
        expected = report_dict(authority_report(
            engine, "2026-11", ZoneInfo(STORY.timezone), PolicyView(STORY.authority),
            datetime(2026, 12, 2, tzinfo=UTC)))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [f["agent"] for f in body["flags"]] == ["ann"]
    assert body["pilots"][0]["pilot_agents"]["approvals_avoided"] == 2
    assert body["total"]["audit_compliance"] == "0.5000"
    assert body == expected


def test_without_an_authority_section_the_report_says_so(tmp_path: Path,
                                                         principals: Principals) -> None:
    with _story_app(tmp_path, principals, None) as client:
        answer = client.get("/api/v1/reports/authority?period=2026-11",
                            headers=bearer(principals, "cc-lead"))
    assert answer.status_code == 404 and "no authority section" in answer.json()["detail"]
