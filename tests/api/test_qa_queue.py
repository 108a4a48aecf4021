"""The quality inspector's day: the QA queue of calls oldest first with each call's figures
(filtered by status, agent, team and week, by cursor pages), a verdict published as
``qa.reviewed`` on the ``calls`` topic keyed by the item's caller and signed by the
inspector, refusals for an unknown or reviewed item; the contact center reads the queue
but gives no verdict."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from models import CloudEvent, parse_event
from sla_police.command_bus import command_topic
from tests.api.conftest import (
    FREE_CALLER,
    NOW,
    OLD_CALLER,
    QA_BREACH,
    QA_REVIEWED,
    QA_SAMPLE,
    FakePublisher,
    Principals,
    bearer,
)

INSPECTOR = "qa-auditor"


def _ids(client: TestClient, principals: Principals, query: str = "",
         who: str = INSPECTOR) -> list[str]:
    answer = client.get(f"/api/v1/qa-items{query}", headers=bearer(principals, who))
    assert answer.status_code == 200, answer.text
    return [item["qa_id"] for item in answer.json()["items"]]


@pytest.mark.parametrize("who", [INSPECTOR, "cc-lead", "cc-head"])
def test_the_queue_lists_calls_oldest_first_for_inspectors_and_the_contact_center(
        client: TestClient, principals: Principals, who: str) -> None:
    assert _ids(client, principals, who=who) == [QA_SAMPLE, QA_REVIEWED, QA_BREACH]


def test_an_item_carries_the_call_its_selection_and_once_reviewed_its_verdict(
        client: TestClient, principals: Principals) -> None:
    items = {i["qa_id"]: i for i in client.get(
        "/api/v1/qa-items", headers=bearer(principals, INSPECTOR)).json()["items"]}
    breach = items[QA_BREACH]
    assert (breach["status"], breach["caller"], breach["agent"], breach["team"]) == (
        "open", FREE_CALLER, "a-1", "east")
    assert (breach["selected_by"], breach["norm"], breach["week"]) == (
        "norm_breach", "agent_may_not_end", "2026-W48")
    # the figures are the recorded call's (call_records), not the item's copy
    assert (breach["ended_by"], breach["disposition"], breach["warned"],
            breach["duration_seconds"]) == ("agent", "resolved", True, 180)
    reviewed = items[QA_REVIEWED]
    assert (reviewed["status"], reviewed["verdict"], reviewed["inspector"],
            reviewed["note"]) == ("reviewed", "compliant", "qa-007", "polite close")
    assert reviewed["ended_by"] is None  # its call is not recorded: no figures, no error
    assert items[QA_SAMPLE]["selected_by"] == "sample" and items[QA_SAMPLE]["norm"] is None


@pytest.mark.parametrize(("query", "expected"), [
    ("?status=open", [QA_SAMPLE, QA_BREACH]),
    ("?status=reviewed", [QA_REVIEWED]),
    ("?agent=a-1", [QA_SAMPLE, QA_BREACH]),
    ("?team=west", [QA_REVIEWED]),
    ("?week=2026-W47", [QA_SAMPLE, QA_REVIEWED]),
    ("?week=2026-W47&team=east&status=open", [QA_SAMPLE]),
    ("?agent=nobody", []),
])
def test_filters(client: TestClient, principals: Principals, query: str,
                 expected: list[str]) -> None:
    assert _ids(client, principals, query) == expected


def test_cursor_pages_resume_after_the_last_item(client: TestClient,
                                                 principals: Principals) -> None:
    headers = bearer(principals, INSPECTOR)
    seen, url = [], "/api/v1/qa-items?limit=2"
    while url:
        page = client.get(url, headers=headers).json()
        seen += [item["qa_id"] for item in page["items"]]
        url = page["next_cursor"] and f"/api/v1/qa-items?limit=2&cursor={page['next_cursor']}"
    assert seen == [QA_SAMPLE, QA_REVIEWED, QA_BREACH]
    bad = client.get("/api/v1/qa-items?cursor=nonsense", headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_verdict_is_published_on_the_items_caller_signed_by_the_inspector(
        client: TestClient, principals: Principals, publisher: FakePublisher) -> None:
    headers = {**bearer(principals, INSPECTOR), "Idempotency-Key": "qa-v-1"}
    body = {"verdict": "non_compliant", "note": "hung up on a resolved call"}
    answer = client.post(f"/api/v1/qa-items/{QA_SAMPLE}/verdict", json=body, headers=headers)
    again = client.post(f"/api/v1/qa-items/{QA_SAMPLE}/verdict", json=body, headers=headers)
    assert answer.status_code == again.status_code == 202, answer.text
    assert answer.json()["verdict_id"] == again.json()["verdict_id"]  # same key, same id
    assert (answer.json()["caller"], answer.json()["call_id"],
            answer.json()["inspector"]) == (OLD_CALLER, "call-old-1", INSPECTOR)
    event = parse_event(publisher.events[0].to_json(), accept="calls", now=NOW)
    assert isinstance(event, CloudEvent), event  # the calls topic's contract takes it
    assert (event.type, event.subject, command_topic(event.type)) == (
        "qa.reviewed", OLD_CALLER, "calls")
    assert (event.data.qa_id, event.data.verdict, event.data.inspector, event.data.note) == (
        QA_SAMPLE, "non_compliant", INSPECTOR, "hung up on a resolved call")
    other = client.post(f"/api/v1/qa-items/{QA_SAMPLE}/verdict", json=body,
                        headers={**headers, "Idempotency-Key": "qa-v-2"})
    assert other.json()["verdict_id"] != answer.json()["verdict_id"]


def test_unknown_and_reviewed_items_and_a_bad_verdict_are_refused(
        client: TestClient, principals: Principals, publisher: FakePublisher) -> None:
    headers = bearer(principals, INSPECTOR)
    unknown = client.post("/api/v1/qa-items/nope/verdict", json={"verdict": "compliant"},
                          headers=headers)
    reviewed = client.post(f"/api/v1/qa-items/{QA_REVIEWED}/verdict",
                           json={"verdict": "non_compliant"}, headers=headers)
    wrong = client.post(f"/api/v1/qa-items/{QA_BREACH}/verdict", json={"verdict": "fine"},
                        headers=headers)
    assert (unknown.status_code, reviewed.status_code, wrong.status_code) == (404, 409, 422)
    assert "reviewed already: compliant by qa-007" in reviewed.json()["detail"]
    assert "not in the ledger" in unknown.json()["detail"]
    assert publisher.events == []


@pytest.mark.parametrize("who", ["cc-lead", "cc-head", "ceo"])
def test_the_contact_center_reads_but_gives_no_verdict(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        who: str) -> None:
    answer = client.post(f"/api/v1/qa-items/{QA_BREACH}/verdict",
                         json={"verdict": "compliant"}, headers=bearer(principals, who))
    assert answer.status_code == 403 and "allowed: auditor" in answer.json()["detail"]
    assert publisher.events == []


def test_bad_filters_name_the_field(client: TestClient, principals: Principals) -> None:
    answer = client.get("/api/v1/qa-items?week=47&status=closed",
                        headers=bearer(principals, INSPECTOR))
    assert answer.status_code == 422
    assert {tuple(e["loc"]) for e in answer.json()["detail"]} == {
        ("query", "week"), ("query", "status")}
