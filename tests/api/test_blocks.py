"""Caller blocks through the API: the IVR asks on every call and is answered right after a
block and right after its expiry; the contact center requests a block, a second lead
approves it (the requester never: 409 from the ledger's record of the request, and the
domain refuses it anyway), a lead lifts one; each command is the inbound event the calls
domain acts on, published to the ``calls`` topic keyed by the caller."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from ledger import Ledger
from models import CloudEvent, parse_event
from models.calls import BlockDecided, BlockLifted, BlockRequested, CallEnded
from models.ids import derived_id
from models.topics import CALLS, inbound_topic_for
from sla.calls_replay import replay_calls
from tests.api.conftest import CONFIG, NOW, FakePublisher, Principals, bearer

SPEC = CONFIG.calls
assert SPEC is not None
START = NOW - timedelta(hours=2)
EVIDENCE = ["call-c-9-0"]


def _call(n: int, caller: str, at: datetime, disposition: str = "nuisance") -> CloudEvent:
    return CallEnded(id=f"acd-{caller}-{n}", source="acd", time=at, subject=caller, data={
        "call_id": f"call-{caller}-{n}", "caller_ref": caller, "agent": "a-1", "team": "east",
        "started_at": at - timedelta(minutes=2), "duration_seconds": 120, "ended_by": "agent",
        "disposition": disposition, "warned": True})


def _request(request_id: str, by: str, caller: str = "c-9") -> CloudEvent:
    return BlockRequested(id=request_id, source="sla-police/api", time=START + timedelta(minutes=5),
                          subject=caller, data={"caller_ref": caller, "period": "week",
                                                "reason": "abusive three times",
                                                "evidence": EVIDENCE, "requested_by": by})


def _story() -> list[CloudEvent]:
    """c-1 blocked by the burst rule at START + 2 min; c-9 abusive once, requested by the
    contact center (req-cc) and by a lead (req-head); req-done approved already."""
    events = [_call(n, "c-1", START + timedelta(minutes=n)) for n in range(3)]
    events += [_call(0, "c-9", START, "abusive"), _request("req-cc", "cc-lead"),
               _request("req-head", "cc-head"), _request("req-done", "cc-lead")]
    events.append(BlockDecided(id="dec-done", source="sla-police/api",
                               time=START + timedelta(minutes=6), subject="c-9", data={
                                   "request_id": "req-done", "decision": "declined",
                                   "decided_by": "cc-head-2", "role": "contact_center_lead"}))
    return events


Client = Callable[..., TestClient]


@pytest.fixture
def calls_client(tmp_path, principals: Principals,
                 publisher: FakePublisher) -> Iterator[Client]:
    """``make(clock=..., spec=...)``: an API on a fresh ledger holding the story, replayed
    to NOW and recorded as the ledger sink records it."""
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    with Ledger(url, timezone=CONFIG.timezone) as ledger:
        ledger.migrate()
        result = replay_calls(_story(), SPEC, until=NOW)
        ledger.record_calls([*result.inputs, *result.outputs])
    clients: list[TestClient] = []

    def make(clock: datetime | None = NOW, spec=SPEC) -> TestClient:
        """``clock=None``: the API's own clock (the wall clock), for time-machine."""
        timing = {} if clock is None else {"clock": lambda: clock}
        settings = ApiSettings(database_url=url, principals_path=principals.path,
                               publisher=publisher, departments=departments_of(CONFIG),
                               timezone=CONFIG.timezone, calls=spec, **timing)
        client = TestClient(create_app(settings))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _calls_event(event: CloudEvent) -> CloudEvent:
    back = parse_event(event.to_json(), accept="calls", now=NOW)
    assert isinstance(back, CloudEvent), back
    assert inbound_topic_for(back.type) == CALLS
    return back


# -- the IVR ----------------------------------------------------------------------------


def test_the_ivr_hears_of_a_block_right_after_it_and_not_right_after_its_expiry(
        calls_client: Client, principals: Principals) -> None:
    blocked_at = START + timedelta(minutes=2)
    until = blocked_at + timedelta(days=1)
    ivr = bearer(principals, "ivr-1")
    answers = {at: calls_client(clock=at).get("/api/v1/callers/c-1/block", headers=ivr).json()
               for at in (blocked_at, until - timedelta(seconds=1), until)}
    assert answers[blocked_at]["blocked"] is True
    assert answers[blocked_at]["until"] == until.isoformat().replace("+00:00", "Z")
    assert answers[blocked_at]["permanent"] is False
    assert "rule burst" in answers[blocked_at]["reason"]
    assert answers[until - timedelta(seconds=1)]["blocked"] is True
    assert answers[until] == {"caller": "c-1", "blocked": False, "until": None,
                              "permanent": False, "reason": None, "block_id": None}


def test_on_the_wall_clock_the_block_ends_at_until_exactly(
        calls_client: Client, principals: Principals) -> None:
    """The API's own clock, moved by time-machine: the production path of the lookup."""
    import time_machine

    until = START + timedelta(minutes=2, days=1)
    client, ivr = calls_client(clock=None), bearer(principals, "ivr-1")
    with time_machine.travel(until - timedelta(microseconds=1), tick=False):
        assert client.get("/api/v1/callers/c-1/block", headers=ivr).json()["blocked"] is True
    with time_machine.travel(until, tick=False):
        assert client.get("/api/v1/callers/c-1/block", headers=ivr).json()["blocked"] is False


def test_a_caller_never_blocked_is_not_blocked(calls_client: Client,
                                               principals: Principals) -> None:
    response = calls_client().get("/api/v1/callers/c-9/block",
                                  headers=bearer(principals, "ivr-1"))
    assert response.status_code == 200 and response.json()["blocked"] is False


@pytest.mark.parametrize("url", ["/api/v1/blocks", "/api/v1/me", "/api/v1/penalties",
                                 "/api/v1/reports/calls?change=2026-11-20"])
def test_the_ivr_may_do_nothing_else(url: str, calls_client: Client,
                                     principals: Principals) -> None:
    response = calls_client().get(url, headers=bearer(principals, "ivr-1"))
    assert response.status_code == 403 and "ivr" in response.json()["detail"]


# -- requests, four eyes, lifts ------------------------------------------------------------


def _post(client: TestClient, principals: Principals, url: str, body: dict, who: str,
          key: str | None = None):
    headers = bearer(principals, who) | ({"Idempotency-Key": key} if key else {})
    return client.post(url, json=body, headers=headers)


REQUEST = {"caller": "c-9", "period": "week", "reason": "abusive three times",
           "evidence": EVIDENCE}


def test_the_contact_center_requests_a_block(calls_client: Client, principals: Principals,
                                             publisher: FakePublisher) -> None:
    response = _post(calls_client(), principals, "/api/v1/blocks", REQUEST, "cc-lead", "k1")
    assert response.status_code == 202, response.text
    [event] = publisher.events
    event = _calls_event(event)
    assert isinstance(event, BlockRequested)
    assert event.id == derived_id("api", "cc-lead", "block.requested", "k1")
    assert (event.subject, event.time, event.data.requested_by, event.data.period,
            event.data.evidence) == ("c-9", NOW, "cc-lead", "week", EVIDENCE)
    assert response.json() == {"request_id": event.id, "caller": "c-9", "period": "week",
                               "requested_by": "cc-lead", "requested_at": "2026-11-25T02:00:00Z",
                               "status": "published"}


def test_a_period_the_policy_does_not_allow_is_422(calls_client: Client,
                                                   principals: Principals,
                                                   publisher: FakePublisher) -> None:
    spec = dataclasses.replace(SPEC, blocks=dataclasses.replace(SPEC.blocks,
                                                                periods=("day", "week")))
    body = REQUEST | {"period": "permanent"}
    response = _post(calls_client(spec=spec), principals, "/api/v1/blocks", body, "cc-lead")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "period"] and "day, week" in error["msg"]
    assert publisher.events == []


@pytest.mark.parametrize(("body", "field"), [
    (REQUEST | {"evidence": []}, "evidence"), (REQUEST | {"reason": " "}, "reason"),
    (REQUEST | {"caller": "no spaces allowed"}, "caller"), (REQUEST | {"period": "year"}, "period"),
])
def test_a_malformed_request_is_422(body: dict, field: str, calls_client: Client,
                                    principals: Principals, publisher: FakePublisher) -> None:
    response = _post(calls_client(), principals, "/api/v1/blocks", body, "cc-lead")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert publisher.events == []


def test_the_requests_waiting_are_listed_oldest_first_without_the_decided_one(
        calls_client: Client, principals: Principals) -> None:
    response = calls_client().get("/api/v1/block-requests",
                                  headers=bearer(principals, "cc-head"))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["request_id"], i["requested_by"]) for i in items] == [
        ("req-cc", "cc-lead"), ("req-head", "cc-head")]  # req-done was declined
    assert items[0]["caller"] == "c-9" and items[0]["evidence"] == EVIDENCE


def test_a_second_lead_approves_and_the_domain_blocks_the_caller(
        calls_client: Client, principals: Principals, publisher: FakePublisher) -> None:
    response = _post(calls_client(), principals, "/api/v1/blocks/req-head/decision",
                     {"decision": "approved", "note": "heard the recording"}, "cc-head-2")
    assert response.status_code == 202, response.text
    [event] = publisher.events
    event = _calls_event(event)
    assert isinstance(event, BlockDecided)
    assert (event.subject, event.data.request_id, event.data.decision, event.data.decided_by,
            event.data.role) == ("c-9", "req-head", "approved", "cc-head-2",
                                 "contact_center_lead")
    assert response.json()["caller"] == "c-9" and response.json()["decided_by"] == "cc-head-2"
    outputs = replay_calls([*_story(), event], SPEC, until=NOW).outputs
    [blocked] = [e for e in outputs if e.type == "caller.blocked" and e.subject == "c-9"]
    assert blocked.data.by == "cc-head+cc-head-2" and blocked.data.period == "week"


def test_a_lead_may_not_approve_their_own_request(calls_client: Client, principals: Principals,
                                                 publisher: FakePublisher) -> None:
    response = _post(calls_client(), principals, "/api/v1/blocks/req-head/decision",
                     {"decision": "approved"}, "cc-head")
    assert response.status_code == 409
    assert "cc-head requested block req-head and cannot decide it" in response.json()["detail"]
    assert publisher.events == []


def test_the_domain_refuses_a_self_approval_that_reached_it_anyway() -> None:
    forged = BlockDecided(id="dec-self", source="sla-police/api", time=START + timedelta(hours=1),
                          subject="c-9", data={"request_id": "req-head", "decision": "approved",
                                               "decided_by": "cc-head",
                                               "role": "contact_center_lead"})
    outputs = replay_calls([*_story(), forged], SPEC, until=NOW).outputs
    [refusal] = [e for e in outputs if e.type == "block.refused"]
    assert (refusal.data.command_id, refusal.data.why) == ("dec-self", "self_approval")
    assert not [e for e in outputs if e.type == "caller.blocked" and e.subject == "c-9"]


@pytest.mark.parametrize("who", ["cc-lead", "ceo", "ivr-1", "logistics-desk"])
def test_only_a_lead_decides(who: str, calls_client: Client, principals: Principals,
                             publisher: FakePublisher) -> None:
    response = _post(calls_client(), principals, "/api/v1/blocks/req-cc/decision",
                     {"decision": "approved"}, who)
    assert response.status_code == 403 and "contact_center_lead" in response.json()["detail"]
    assert publisher.events == []


def test_a_decided_request_is_409_and_an_unknown_one_404(
        calls_client: Client, principals: Principals, publisher: FakePublisher) -> None:
    client = calls_client()
    done = _post(client, principals, "/api/v1/blocks/req-done/decision",
                 {"decision": "approved"}, "cc-head")
    assert done.status_code == 409 and "declined by cc-head-2" in done.json()["detail"]
    unknown = _post(client, principals, "/api/v1/blocks/req-nothing/decision",
                    {"decision": "approved"}, "cc-head")
    assert unknown.status_code == 404
    assert publisher.events == []


def test_the_leads_list_active_blocks_and_lift_one(
        calls_client: Client, principals: Principals, publisher: FakePublisher) -> None:
    client = calls_client()
    page = client.get("/api/v1/blocks", headers=bearer(principals, "cc-lead")).json()
    [item] = page["items"]
    assert (item["caller"], item["period"], item["by"], page["next_cursor"]) == (
        "c-1", "day", "rule:burst", None)
    lift = _post(client, principals, f"/api/v1/blocks/{item['block_id']}/lift",
                 {"reason": "the caller apologised"}, "cc-head")
    assert lift.status_code == 202, lift.text
    [event] = publisher.events
    event = _calls_event(event)
    assert isinstance(event, BlockLifted)
    assert (event.subject, event.data.block_id, event.data.lifted_by, event.data.role) == (
        "c-1", item["block_id"], "cc-head", "contact_center_lead")
    gone = _post(client, principals, "/api/v1/blocks/no-such-block/lift",
                 {"reason": "x"}, "cc-head")
    assert gone.status_code == 404
    expired = _post(calls_client(clock=NOW + timedelta(days=2)), principals,
                    f"/api/v1/blocks/{item['block_id']}/lift", {"reason": "x"}, "cc-head")
    assert expired.status_code == 404


def test_the_list_pages_by_cursor(calls_client: Client, principals: Principals) -> None:
    client = calls_client()
    headers = bearer(principals, "cc-head")
    assert client.get("/api/v1/blocks?by=people", headers=headers).json()["items"] == []
    assert client.get("/api/v1/blocks?cursor=bogus", headers=headers).status_code == 422
    assert len(client.get("/api/v1/blocks?caller=c-1&limit=1",
                          headers=headers).json()["items"]) == 1


def test_without_a_calls_policy_commands_and_the_report_are_404(
        calls_client: Client, principals: Principals, publisher: FakePublisher) -> None:
    client = calls_client(spec=None)
    assert _post(client, principals, "/api/v1/blocks", REQUEST, "cc-lead").status_code == 404
    report = client.get("/api/v1/reports/calls?change=2026-11-20",
                        headers=bearer(principals, "ceo"))
    assert report.status_code == 404 and "no calls section" in report.json()["detail"]
    assert client.get("/api/v1/callers/c-1/block",
                      headers=bearer(principals, "ivr-1")).json()["blocked"] is True
    assert publisher.events == []
