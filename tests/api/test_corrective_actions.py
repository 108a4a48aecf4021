"""The corrective actions list and the fix a department declares: who sees which actions,
what is overdue, and the event a declaration publishes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import (
    HOME,
    HOME_ACTION,
    OTHER,
    OTHER_ACTION,
    REVIEWED_ACTION,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
    parsed,
)

FIX = {"what_changed": "a second courier on the Pudong route",
       "changed_at": "2026-11-24T09:00:00+08:00"}


def items(client: TestClient, principals: Principals, name: str, query: str = "") -> list:
    response = client.get(f"/api/v1/corrective-actions{query}", headers=bearer(principals, name))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_executives_see_every_action_with_its_status_and_what_is_overdue(
        client: TestClient, principals: Principals) -> None:
    found = {i["action_id"]: i for i in items(client, principals, "ceo")}
    assert set(found) == {HOME_ACTION, REVIEWED_ACTION, OTHER_ACTION}
    home = found[HOME_ACTION]
    # opened 2026-11-02, due 2026-11-09; the API's now is 2026-11-25: no fix yet
    assert (home["status"], home["overdue"], home["department"]) == ("open", True, HOME)
    reviewed = found[REVIEWED_ACTION]
    assert (reviewed["status"], reviewed["overdue"], reviewed["worked"]) == (
        "reviewed", False, True)
    assert (reviewed["before_count"], reviewed["after_count"]) == (9, 2)
    assert reviewed["what_changed"] and reviewed["fixed_at"]


def test_a_department_sees_its_own_actions_only(client: TestClient,
                                                principals: Principals) -> None:
    assert {i["department"] for i in items(client, principals, "logistics-desk")} == {HOME}
    assert [i["action_id"] for i in items(client, principals, "billing-desk")] == [OTHER_ACTION]
    assert [i["action_id"] for i in items(client, principals, "cc-lead", "?status=reviewed")] \
        == [REVIEWED_ACTION]
    response = client.get(f"/api/v1/corrective-actions?department={OTHER}",
                          headers=bearer(principals, "logistics-desk"))
    assert response.status_code == 403


def test_declaring_a_fix_publishes_it_on_the_actions_anchor_ticket(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        ledger_fixture: Fixture) -> None:
    response = client.post(f"/api/v1/corrective-actions/{HOME_ACTION}/fix", json=FIX,
                           headers={**bearer(principals, "logistics-desk"),
                                    "Idempotency-Key": "fix-1"})
    assert response.status_code == 202, response.text
    [event] = publisher.events
    event = parsed(event)  # passes the inbound contract, as the stream reads it
    assert (event.type, event.subject) == ("corrective_action.fixed", ledger_fixture.home_ticket)
    assert (event.data.action_id, event.data.department, event.data.what_changed,
            event.data.actor) == (HOME_ACTION, HOME, FIX["what_changed"], "logistics-desk")
    assert response.json()["fix_id"] == event.id
    again = client.post(f"/api/v1/corrective-actions/{HOME_ACTION}/fix", json=FIX,
                        headers={**bearer(principals, "logistics-desk"),
                                 "Idempotency-Key": "fix-1"})
    assert again.json()["fix_id"] == event.id  # a retry publishes the same id


def test_a_fix_is_refused_when_unknown_already_declared_or_without_a_time_zone(
        client: TestClient, principals: Principals, publisher: FakePublisher) -> None:
    headers = bearer(principals, "logistics-desk")
    unknown = client.post("/api/v1/corrective-actions/no-such/fix", json=FIX, headers=headers)
    assert unknown.status_code == 404
    done = client.post(f"/api/v1/corrective-actions/{REVIEWED_ACTION}/fix", json=FIX,
                       headers=headers)
    assert done.status_code == 409 and "reviewed" in done.json()["detail"]
    naive = client.post(f"/api/v1/corrective-actions/{HOME_ACTION}/fix",
                        json={**FIX, "changed_at": "2026-11-24T09:00:00"}, headers=headers)
    assert naive.status_code == 422
    assert publisher.events == []
