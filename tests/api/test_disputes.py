"""Filing a dispute and ruling on one publish the inbound events the stream acts on, with
who did it; retries with an Idempotency-Key publish the same id; what cannot be done is
refused before anything is published."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from models import AttributionDisputed, DisputeRuled
from models.ids import derived_id
from tests.api.conftest import (
    HOME,
    NOW,
    OPEN_DISPUTE,
    RULED_DISPUTE,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
    open_ledger,
    parsed,
)

REASON = {"reason": "the parcel was lost in the store, not in transit"}


def _file(client: TestClient, principals: Principals, ticket: str, key: str | None = None,
          who: str = "logistics-desk", body: dict | None = None):
    headers = bearer(principals, who) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/tickets/{ticket}/disputes", json=body or REASON,
                       headers=headers)


def test_a_department_disputes_its_ticket(client: TestClient, principals: Principals,
                                          publisher: FakePublisher,
                                          ledger_fixture: Fixture) -> None:
    response = _file(client, principals, ledger_fixture.home_ticket,
                     body=REASON | {"note": "see store log 17"})
    assert response.status_code == 202, response.text
    [event] = publisher.events
    event = parsed(event)
    assert isinstance(event, AttributionDisputed)
    assert (event.subject, event.time, event.source) == (
        ledger_fixture.home_ticket, NOW, "sla-police/api")
    assert (event.data.department, event.data.actor, event.data.reason, event.data.note) == (
        HOME, "logistics-desk", REASON["reason"], "see store log 17")
    assert response.json() == {
        "dispute_id": event.id, "ticket": ledger_fixture.home_ticket, "department": HOME,
        "filed_by": "logistics-desk", "filed_at": "2026-11-25T02:00:00Z",
        "status": "published"}
    uuid.UUID(event.id)


def test_an_idempotency_key_makes_a_retry_publish_the_same_id(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        ledger_fixture: Fixture) -> None:
    ticket = ledger_fixture.home_ticket
    ids = [_file(client, principals, ticket, key).json()["dispute_id"]
           for key in ("retry-1", "retry-1", "retry-2")]
    ids += [_file(client, principals, ticket).json()["dispute_id"] for _ in range(2)]
    assert ids[0] == ids[1] == derived_id("api", "logistics-desk", "attribution.disputed",
                                          "retry-1")
    assert len(set(ids)) == 4
    assert [e.id for e in publisher.events] == ids


def test_the_same_key_from_two_principals_makes_two_disputes(
        client: TestClient, principals: Principals, ledger_fixture: Fixture) -> None:
    home = _file(client, principals, ledger_fixture.home_ticket, "k").json()["dispute_id"]
    other = _file(client, principals, ledger_fixture.other_ticket, "k",
                  who="billing-desk").json()["dispute_id"]
    assert home != other


@pytest.mark.parametrize(("body", "field"), [
    ({}, ["body", "reason"]),
    ({"reason": ""}, ["body", "reason"]),
    ({"reason": "x" * 2001}, ["body", "reason"]),
    ({"reason": "ok", "department": "stores"}, ["body", "department"]),
])
def test_a_bad_dispute_is_422_and_publishes_nothing(
        body: dict, field: list[str], client: TestClient, principals: Principals,
        publisher: FakePublisher, ledger_fixture: Fixture) -> None:
    response = client.post(f"/api/v1/tickets/{ledger_fixture.home_ticket}/disputes",
                           json=body, headers=bearer(principals, "logistics-desk"))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [field]
    assert publisher.events == []


def test_an_unknown_ticket_is_404(client: TestClient, principals: Principals,
                                  publisher: FakePublisher) -> None:
    assert _file(client, principals, "T-NOT-IN-LEDGER").status_code == 404
    assert client.get("/api/v1/tickets/T-NOT-IN-LEDGER",
                      headers=bearer(principals, "ceo")).status_code == 404
    assert publisher.events == []


def test_a_broker_that_is_down_is_503_with_the_reason(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        ledger_fixture: Fixture) -> None:
    publisher.fail = "Kafka at kafka:9092: KafkaConnectionError"
    response = _file(client, principals, ledger_fixture.home_ticket)
    assert response.status_code == 503
    assert "KafkaConnectionError" in response.json()["detail"]


def _rule(client: TestClient, principals: Principals, dispute: str, body: dict,
          key: str | None = None):
    headers = bearer(principals, "cc-lead") | ({"Idempotency-Key": key} if key else {})
    return client.post(f"/api/v1/disputes/{dispute}/ruling", json=body, headers=headers)


@pytest.mark.parametrize("body", [
    {"outcome": "upheld", "to_department": "stores", "reason": "store records"},
    {"outcome": "rejected", "reason": "the courier scan shows logistics had it"},
])
def test_the_contact_center_rules(body: dict, client: TestClient, principals: Principals,
                                  publisher: FakePublisher, ledger_fixture: Fixture) -> None:
    response = _rule(client, principals, OPEN_DISPUTE, body, key="ruling-1")
    assert response.status_code == 202, response.text
    [event] = publisher.events
    event = parsed(event)
    assert isinstance(event, DisputeRuled)
    assert event.id == derived_id("api", "cc-lead", "dispute.ruled", "ruling-1")
    assert event.subject == ledger_fixture.home_ticket
    assert (event.data.dispute_id, event.data.outcome, event.data.to_department,
            event.data.reason, event.data.actor) == (
        OPEN_DISPUTE, body["outcome"], body.get("to_department"), body["reason"], "cc-lead")
    assert response.json()["ruling_id"] == event.id
    assert response.json()["ticket"] == ledger_fixture.home_ticket


@pytest.mark.parametrize(("body", "message"), [
    ({"outcome": "upheld", "reason": "r"}, "must name"),
    ({"outcome": "upheld", "to_department": "nowhere", "reason": "r"}, "unknown department"),
    ({"outcome": "upheld", "to_department": HOME, "reason": "r"}, "disputed"),
    ({"outcome": "rejected", "to_department": "stores", "reason": "r"}, "moves nothing"),
])
def test_a_ruling_that_names_the_wrong_department_is_422(
        body: dict, message: str, client: TestClient, principals: Principals,
        publisher: FakePublisher) -> None:
    response = _rule(client, principals, OPEN_DISPUTE, body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "to_department"] and message in error["msg"]
    assert publisher.events == []


def test_a_ruling_needs_a_reason(client: TestClient, principals: Principals) -> None:
    response = _rule(client, principals, OPEN_DISPUTE, {"outcome": "rejected"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]


def test_a_dispute_ruled_already_is_409_and_an_unknown_one_404(
        client: TestClient, principals: Principals, publisher: FakePublisher) -> None:
    body = {"outcome": "rejected", "reason": "again"}
    ruled = _rule(client, principals, RULED_DISPUTE, body)
    assert ruled.status_code == 409 and "rejected" in ruled.json()["detail"]
    assert _rule(client, principals, "no-such-dispute", body).status_code == 404
    assert _rule(client, principals, "dispute-open", body).status_code == 404  # no prefix match
    assert _rule(client, principals, "dispute_open_1", body).status_code == 404  # _ is no wildcard
    assert publisher.events == []


@pytest.mark.parametrize("key", ["has space", "x" * 201, ""])
def test_a_bad_idempotency_key_is_422(key: str, client: TestClient, principals: Principals,
                                      publisher: FakePublisher,
                                      ledger_fixture: Fixture) -> None:
    headers = bearer(principals, "logistics-desk") | {"Idempotency-Key": key}
    response = client.post(f"/api/v1/tickets/{ledger_fixture.home_ticket}/disputes",
                           json=REASON, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert publisher.events == []


def test_a_department_that_handed_a_ticket_on_reads_it_but_may_not_dispute_it(
        client: TestClient, principals: Principals, publisher: FakePublisher,
        ledger_fixture: Fixture) -> None:
    from sqlalchemy import select

    from api.principals import Role, add_principal, remove_principal
    from ledger.queries import ticket_holders
    from ledger.tables import LedgerEvent

    with open_ledger(ledger_fixture.database_url) as ledger, ledger.engine.connect() as conn:
        tickets = conn.execute(select(LedgerEvent.subject).where(
            LedgerEvent.type == "sla.attributed", LedgerEvent.payload.like('%"transfer"%'))
        ).scalars().all()
        ticket, holders = next((t, h) for t in tickets
                               if (h := ticket_holders(ledger.engine, t))[0].department
                               not in {x.department for x in h[1:]})
    former = holders[0].department
    _, token = add_principal(principals.path, "former-holder", Role.DEPARTMENT, former, NOW)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        view = client.get(f"/api/v1/tickets/{ticket}", headers=headers)
        dispute = client.post(f"/api/v1/tickets/{ticket}/disputes", json=REASON,
                              headers=headers)
    finally:
        remove_principal(principals.path, "former-holder")
    assert view.status_code == 200
    assert view.json()["department"] == holders[-1].department != former
    assert {p["department"] for p in view.json()["penalties"]} <= {former}
    assert dispute.status_code == 403 and holders[-1].department in dispute.json()["detail"]
    assert publisher.events == []
