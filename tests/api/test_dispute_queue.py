"""The contact center's dispute queue and a dispute's outcome: open disputes oldest first,
overdue past the policy's ruling deadline, and both sides of an upheld ruling see it and
the reversals it caused; a department sees no one else's disputes."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from sla.calendar import build_calendars
from sla.specs import DisputeDeadline, Duration
from tests.api.conftest import (
    CONFIG,
    HOME,
    NOW,
    OPEN_DISPUTE,
    OTHER,
    RULED_DISPUTE,
    UPHELD_DISPUTE,
    UPHELD_REVERSAL,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
)

OURS = {OPEN_DISPUTE, RULED_DISPUTE, UPHELD_DISPUTE}


def _queue(client: TestClient, principals: Principals, who: str, query: str = "") -> list[dict]:
    """Every page of the queue (``limit=7`` so paging is exercised)."""
    items, cursor = [], None
    while True:
        url = f"/api/v1/disputes?limit=7{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=bearer(principals, who))
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        if (cursor := response.json()["next_cursor"]) is None:
            return items


def test_the_contact_center_sees_open_disputes_oldest_first_with_their_deadlines(
        client: TestClient, principals: Principals) -> None:
    queue = _queue(client, principals, "cc-lead", "&status=open")
    assert {item["status"] for item in queue} == {"open"} and OPEN_DISPUTE in {
        item["dispute_id"] for item in queue}
    filed = [(item["filed_at"], item["dispute_id"]) for item in queue]
    assert filed == sorted(filed)
    [ours] = [item for item in queue if item["dispute_id"] == OPEN_DISPUTE]
    # Filed Saturday 2026-11-21 09:00 +08:00; 3 working days on the office calendar count
    # from Monday 09:00: due Thursday 09:00 (01:00Z). At now, Wednesday 10:00, not yet.
    assert (ours["ruling_due_at"], ours["overdue"]) == ("2026-11-26T01:00:00Z", False)
    for item in queue:
        due = datetime.fromisoformat(item["ruling_due_at"])
        assert item["overdue"] == (due < NOW)
    ruled = _queue(client, principals, "cc-lead", "&status=ruled")
    assert {RULED_DISPUTE, UPHELD_DISPUTE} <= {item["dispute_id"] for item in ruled}
    assert not any(item["overdue"] for item in ruled)
    everything = _queue(client, principals, "ceo")
    assert len(everything) == len(queue) + len(ruled)


def test_overdue_follows_the_deadline_and_the_clock(
        ledger_fixture: Fixture, principals: Principals) -> None:
    three_days, one_hour = (DisputeDeadline(Duration(days=3), "office"),
                            DisputeDeadline(Duration(seconds=3600)))
    for within, now, overdue in ((three_days, NOW - timedelta(days=2), False),
                                 (None, NOW, False), (one_hour, NOW, True)):
        settings = ApiSettings(database_url=ledger_fixture.database_url,
                               principals_path=principals.path, publisher=FakePublisher(),
                               departments=departments_of(CONFIG), clock=lambda now=now: now,
                               dispute_deadline=within,
                               calendars=build_calendars(CONFIG.calendars))
        with TestClient(create_app(settings)) as client:
            item = client.get(f"/api/v1/disputes/{OPEN_DISPUTE}",
                              headers=bearer(principals, "cc-lead")).json()
        assert item["overdue"] is overdue, (within, now)
        assert (item["ruling_due_at"] is None) == (within is None)


def test_a_department_sees_what_it_filed_and_what_a_ruling_moved_to_it(
        client: TestClient, principals: Principals) -> None:
    home = _queue(client, principals, "logistics-desk")
    other = _queue(client, principals, "billing-desk")
    assert {item["dispute_id"] for item in home} >= OURS
    assert all(HOME in (item["department"], item["to_department"]) for item in home)
    assert UPHELD_DISPUTE in {item["dispute_id"] for item in other}
    assert not {OPEN_DISPUTE, RULED_DISPUTE} & {item["dispute_id"] for item in other}
    assert all(OTHER in (item["department"], item["to_department"]) for item in other)
    refused = client.get(f"/api/v1/disputes?department={HOME}",
                         headers=bearer(principals, "billing-desk"))
    assert refused.status_code == 403


def test_both_sides_see_an_upheld_ruling_and_the_reversals_it_caused(
        client: TestClient, principals: Principals, ledger_fixture: Fixture) -> None:
    views = [client.get(f"/api/v1/disputes/{UPHELD_DISPUTE}", headers=bearer(principals, who))
             for who in ("logistics-desk", "billing-desk", "cc-lead")]
    assert [view.status_code for view in views] == [200, 200, 200]
    assert views[0].json() == views[1].json() == views[2].json()
    view = views[0].json()
    assert (view["ticket"], view["department"], view["status"], view["outcome"],
            view["to_department"], view["overdue"]) == (
        ledger_fixture.home_ticket, HOME, "ruled", "upheld", OTHER, False)
    [reversal] = view["reversed_penalties"]
    assert (reversal["id"], reversal["penalty_id"], reversal["fine"], view["reversals"],
            view["reversed_fine"]) == (
        UPHELD_REVERSAL, "penalty-not-in-this-ledger", "1000", 1, "1000")
    assert view["holders"] and view["holders"][-1]["department"] == HOME


def test_a_rejected_ruling_is_shown_without_reversals(client: TestClient,
                                                      principals: Principals) -> None:
    view = client.get(f"/api/v1/disputes/{RULED_DISPUTE}",
                      headers=bearer(principals, "logistics-desk")).json()
    assert (view["outcome"], view["to_department"], view["reversed_penalties"],
            view["reversals"]) == ("rejected", None, [], 0)


def test_unknown_disputes_and_bad_queries(client: TestClient, principals: Principals) -> None:
    headers = bearer(principals, "cc-lead")
    assert client.get("/api/v1/disputes/no-such-dispute", headers=headers).status_code == 404
    for query, field in (("status=pending", "status"), ("cursor=xyz", "cursor"),
                         ("department=nowhere", "department"), ("limit=0", "limit")):
        response = client.get(f"/api/v1/disputes?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", field]
