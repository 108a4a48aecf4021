"""The department worklist tells each department what is closest to breach, and its time
left is the engine's own, through pauses, resumes and transfers.

The story (Mon 2026-11-23, Shanghai, office hours): logistics gets three complaints. T-A is
paused awaiting the customer from 10:00 to 14:00; T-B is transferred to billing at 11:00;
T-C comes in at 10:30 and nobody touches it. At 16:00 logistics' worklist must show T-A and
T-C only, billing's T-B, and every clock's working time left must be what the engine, which
replayed the same events, counts at 16:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from sla.calendar import build_calendars
from sla.replay import ReplayResult, replay
from sla.testing import acknowledged, complaint, paused, resumed, transferred
from tests.api.conftest import CONFIG, FakePublisher, Principals, bearer, open_ledger

NOW = datetime.fromisoformat("2026-11-23T16:00:00+08:00")
CALENDARS = build_calendars(CONFIG.calendars)
STORY = [
    complaint("T-A", "2026-11-23T09:00:00+08:00"),
    complaint("T-B", "2026-11-23T09:30:00+08:00"),
    acknowledged("T-A", "2026-11-23T09:40:00+08:00"),
    paused("T-A", "2026-11-23T10:00:00+08:00"),
    complaint("T-C", "2026-11-23T10:30:00+08:00", priority="P2"),
    transferred("T-B", "2026-11-23T11:00:00+08:00", to="billing"),
    resumed("T-A", "2026-11-23T14:00:00+08:00"),
]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReplayResult, str]:
    """The story replayed up to NOW, its outputs recorded in a fresh ledger."""
    result = replay(STORY, CONFIG, until=NOW)
    url = f"sqlite:///{tmp_path_factory.mktemp('worklist') / 'ledger.db'}"
    with open_ledger(url) as ledger:
        ledger.migrate()
        ledger.record(result.outputs)
    return result, url


@pytest.fixture
def story_client(story: tuple[ReplayResult, str], principals: Principals) -> Iterator[TestClient]:
    settings = ApiSettings(database_url=story[1], principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           timezone=CONFIG.timezone, clock=lambda: NOW,
                           calendars=CALENDARS)
    with TestClient(create_app(settings)) as client:
        yield client


def engine_time_left(result: ReplayResult) -> dict[tuple[str, str], int]:
    """(ticket, metric) -> working seconds left at NOW, as the engine's clocks count them."""
    return {(ticket, clock.metric): clock.target - clock.elapsed_at(CALENDARS[clock.calendar], NOW)
            for ticket, state in result.tickets.items() for clock in state.clocks}


def shown(client: TestClient, principals: Principals, who: str, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/worklist{query}", headers=bearer(principals, who))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_each_department_sees_its_own_clocks_with_the_engines_time_left(
        story: tuple[ReplayResult, str], story_client: TestClient,
        principals: Principals) -> None:
    result, _url = story
    logistics = shown(story_client, principals, "logistics-desk")
    billing = shown(story_client, principals, "billing-desk")

    assert {item["ticket"] for item in logistics} == {"T-A", "T-C"}
    assert {item["ticket"] for item in billing} == {"T-B"}
    everyone = shown(story_client, principals, "ceo")
    assert {(i["ticket"], i["metric"]): i["seconds_left"] for i in everyone} == \
        engine_time_left(result)


def test_the_paused_hours_do_not_count_and_the_transfer_restarts_the_clocks(
        story_client: TestClient, principals: Principals) -> None:
    items = {(i["ticket"], i["metric"]): i for i in shown(story_client, principals, "ceo")}

    # Office hours are 09:00-12:00 and 13:30-18:00: a working day is 7.5 h, so 2d is 15 h.
    # T-A: 09:00-10:00 and 14:00-16:00 count (3 h); the paused hours do not.
    assert items[("T-A", "resolve")]["seconds_left"] == 15 * 3600 - 3 * 3600
    assert ("T-A", "acknowledge") not in items  # acknowledged: that clock ended as met
    # T-B: billing's clocks started at the transfer, 11:00. By 16:00 it has worked 11:00-12:00
    # and 13:30-16:00, 3.5 h of its 2 h acknowledge target: 1.5 h past the breach.
    acknowledge = items[("T-B", "acknowledge")]
    assert (acknowledge["department"], acknowledge["seconds_left"]) == ("billing", -5400)
    assert acknowledge["breached"] and acknowledge["warned"]


def test_the_closest_to_breach_come_first_and_the_filters_narrow_the_list(
        story_client: TestClient, principals: Principals) -> None:
    items = shown(story_client, principals, "ceo")
    running = [i["seconds_left"] for i in items if i["state"] == "running"]

    assert running == sorted(running)
    breached = shown(story_client, principals, "ceo", "?breached=true")
    assert breached and all(i["seconds_left"] <= 0 and i["breached"] for i in breached)
    assert all(i["metric"] == "resolve"
               for i in shown(story_client, principals, "ceo", "?metric=resolve"))
    assert [i["ticket"] for i in shown(story_client, principals, "ceo", "?policy=p2")] == [
        "T-C", "T-C"]


def test_a_department_asking_for_another_departments_worklist_is_refused(
        story_client: TestClient, principals: Principals) -> None:
    response = story_client.get("/api/v1/worklist?department=billing",
                                headers=bearer(principals, "logistics-desk"))
    assert response.status_code == 403
    hr = story_client.get("/api/v1/worklist", headers=bearer(principals, "hr-payroll"))
    assert hr.status_code == 403


def test_no_customer_reference_reaches_the_worklist(
        story_client: TestClient, principals: Principals) -> None:
    refs = {event.data.customer_ref for event in STORY if event.type == "complaint.received"}
    body = story_client.get("/api/v1/worklist", headers=bearer(principals, "ceo")).text
    assert refs and not any(ref in body for ref in refs if ref)
