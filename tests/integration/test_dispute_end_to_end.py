"""Disputes end to end on the real broker (issue 12): filed through the API, ruled through the
API, the stream reverses the penalty, and the ledger and both sides' views show it.

Everything is real: the embedded broker, a worker subprocess on the stream clock booking into
a SQLite ledger, and the API app (:func:`api.create_app`) publishing its commands with the
real Kafka publisher (:class:`sla_police.command_bus.KafkaCommandBus`) and reading the same
ledger. The only thing the test controls is time: the stream clock advances with the ticks it
publishes, and the API's clock reads the same virtual time, so a command is stamped after the
last tick (it is never late) and before the next.

Story (as ``test_upheld_dispute_reverses_penalties_and_moves_the_ticket`` in the pure tier):
logistics misses a resolve target on Wednesday 10:00 and is fined; it disputes at 10:10; the
contact center upholds on Thursday 10:00 and gives the ticket to stores. A second ticket's
dispute is rejected: its penalty stands and the ticket stays with logistics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import ApiSettings, create_app
from api.principals import Role, add_principal
from ledger import Ledger
from ledger.queries import reversals_of_dispute
from ledger.reports import penalties_for
from ledger.tables import LedgerEvent
from sla.config import load_config
from sla.testing import acknowledged, complaint
from sla_police.command_bus import KafkaCommandBus
from streams.clock import publish_tick
from streams.testing import WorkerProcess, publish_log
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import CONFIG_PATH
from tests.integration.test_ledger_sink import wait_for

pytestmark = pytest.mark.integration

UPHELD, REJECTED = "T-E2E-UPHELD", "T-E2E-REJECTED"
MON_09, MON_0930 = "2026-11-16T09:00:00+08:00", "2026-11-16T09:30:00+08:00"
AFTER_BREACH = datetime.fromisoformat("2026-11-18T10:05:00+08:00")  # resolve due Wed 10:00
FILED = datetime.fromisoformat("2026-11-18T10:10:00+08:00")
AFTER_FILING = datetime.fromisoformat("2026-11-18T10:15:00+08:00")
RULED = datetime.fromisoformat("2026-11-19T10:00:00+08:00")
AFTER_RULING = datetime.fromisoformat("2026-11-19T10:30:00+08:00")


class VirtualClock:
    """The API's clock: the test's virtual time, the stream clock's time line."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tick(bootstrap: str, when: datetime) -> None:
    """Advance the stream clock of every partition to ``when``."""
    from aiokafka import AIOKafkaProducer

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            await publish_tick(producer, PARTITIONS, when)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(send())


@pytest.fixture
def stack(bootstrap: str, tmp_path: Path) -> Iterator[tuple[TestClient, Ledger, VirtualClock,
                                                             dict[str, dict[str, str]]]]:
    """A worker and the API on one SQLite ledger; the principals' auth headers by name."""
    config = load_config(CONFIG_PATH)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, timezone=config.timezone)
    ledger.migrate()  # the worker's sink migrates too; the API must not race it
    principals = tmp_path / "principals.yaml"
    headers = {}
    for name, role, department in (("logistics-desk", Role.DEPARTMENT, "logistics"),
                                   ("stores-desk", Role.DEPARTMENT, "stores"),
                                   ("dispute-desk", Role.CONTACT_CENTER, None)):
        token = add_principal(principals, name, role, department, RULED)[1]
        headers[name] = {"Authorization": f"Bearer {token}"}
    clock = VirtualClock(AFTER_BREACH)
    app = create_app(ApiSettings.for_policy(
        config, database_url=url, principals_path=principals,
        publisher=KafkaCommandBus(bootstrap), clock=clock))
    worker = WorkerProcess(bootstrap, tmp_path / "w", extra_env={
        "SLA_DATABASE_URL": url, "SLA_CONFIG": str(CONFIG_PATH)}).start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        with TestClient(app) as client:
            yield client, ledger, clock, headers
    finally:
        worker.stop()
        ledger.close()


def until(fetch: Callable[[], object], what: str) -> object:
    """``fetch()`` once it is truthy, polled (bounded): the stream's results are awaited
    as ledger state, never for a fixed time."""
    found: list[object] = []
    wait_for(lambda: bool(found.append(fetch()) or found[-1]), what, timeout=120)
    return found[-1]


def test_an_upheld_dispute_reverses_the_penalty_and_both_sides_see_it(
        bootstrap: str, stack) -> None:
    client, ledger, clock, headers = stack
    lines = [e.to_json_bytes() for t in (UPHELD, REJECTED)
             for e in (complaint(t, MON_09), acknowledged(t, MON_0930))]
    asyncio.run(publish_log(bootstrap, lines, AFTER_BREACH, partitions=PARTITIONS))
    fined = {t: until(lambda t=t: penalties_for(ledger.engine, t), f"{t}'s penalty")
             for t in (UPHELD, REJECTED)}
    assert {p.department for ps in fined.values() for p in ps} == {"logistics"}

    clock.now = FILED
    upheld_id, rejected_id = file_disputes(client, headers["logistics-desk"])
    tick(bootstrap, AFTER_FILING)
    clock.now = RULED
    rule_from_the_queue(client, headers["dispute-desk"], upheld_id, rejected_id)
    tick(bootstrap, AFTER_RULING)

    def ruled(dispute_id: str) -> dict | None:
        view = client.get(f"/api/v1/disputes/{dispute_id}",
                          headers=headers["dispute-desk"]).json()
        return view if view["status"] == "ruled" else None
    until(lambda: ruled(rejected_id), "the rejection in the ledger")
    until(lambda: (ruled(upheld_id) or {}).get("reversed_penalties"),
          "the upheld ruling's reversals in the ledger")

    assert_the_ledger_reversed_the_upheld_ones(ledger, upheld_id, rejected_id, fined)
    assert_the_disputing_side_sees_it(client, headers["logistics-desk"], upheld_id,
                                      rejected_id, fined)
    assert_the_receiving_side_sees_it(client, headers["stores-desk"], upheld_id,
                                      rejected_id, fined)
    again = client.post(f"/api/v1/disputes/{rejected_id}/ruling",
                        headers=headers["dispute-desk"], json={
                            "outcome": "upheld", "to_department": "stores",
                            "reason": "second thoughts"})
    assert again.status_code == 409  # a ruled dispute cannot be ruled again


def file_disputes(client: TestClient, logistics: dict) -> tuple[str, str]:
    """Logistics disputes both tickets through the API (a retry with the same key files
    the same dispute); the two dispute ids."""
    once = {"Idempotency-Key": "dispute-upheld-1"}
    body = {"reason": "a stores stock problem, not a late delivery"}
    filed = client.post(f"/api/v1/tickets/{UPHELD}/disputes", headers=logistics | once,
                        json=body)
    retried = client.post(f"/api/v1/tickets/{UPHELD}/disputes", headers=logistics | once,
                          json=body)
    other = client.post(f"/api/v1/tickets/{REJECTED}/disputes", headers=logistics,
                        json={"reason": "not ours either"})
    assert (filed.status_code, retried.status_code, other.status_code) == (202, 202, 202)
    assert retried.json()["dispute_id"] == filed.json()["dispute_id"]
    return filed.json()["dispute_id"], other.json()["dispute_id"]


def rule_from_the_queue(client: TestClient, desk: dict, upheld_id: str,
                        rejected_id: str) -> None:
    """The contact center finds both disputes open in its queue, once each, and rules."""
    def open_queue() -> list[dict]:
        page = client.get("/api/v1/disputes?status=open", headers=desk).json()["items"]
        return page if len(page) >= 2 else []
    queue = until(open_queue, "both disputes in the contact center's queue")
    assert sorted(d["dispute_id"] for d in queue) == sorted([upheld_id, rejected_id])
    assert {(d["department"], d["holder"], d["filed_by"], d["status"]) for d in queue} == {
        ("logistics", "logistics", "logistics-desk", "open")}
    upheld = client.post(f"/api/v1/disputes/{upheld_id}/ruling", headers=desk, json={
        "outcome": "upheld", "to_department": "stores", "reason": "stock was out in store"})
    rejected = client.post(f"/api/v1/disputes/{rejected_id}/ruling", headers=desk, json={
        "outcome": "rejected", "reason": "the parcel left the depot two days late"})
    assert (upheld.status_code, rejected.status_code) == (202, 202)


def assert_the_ledger_reversed_the_upheld_ones(ledger: Ledger, upheld_id: str,
                                               rejected_id: str, fined: dict) -> None:
    """Every logistics penalty of the upheld ticket has a ``penalty.reversed`` naming the
    dispute; nothing else was reversed."""
    reversals = reversals_of_dispute(ledger.engine, upheld_id)
    assert sorted(r.penalty_id for r in reversals) == sorted(p.id for p in fined[UPHELD])
    with ledger.engine.connect() as conn:
        booked = set(conn.execute(select(LedgerEvent.id).where(
            LedgerEvent.type == "penalty.reversed")).scalars())
    assert booked == {r.id for r in reversals}
    assert reversals_of_dispute(ledger.engine, rejected_id) == []


def assert_the_disputing_side_sees_it(client: TestClient, logistics: dict, upheld_id: str,
                                      rejected_id: str, fined: dict) -> None:
    """Logistics: the upheld ticket moved to stores and its penalty reversed; the rejected
    one still its own, its penalty charged."""
    view = client.get(f"/api/v1/disputes/{upheld_id}", headers=logistics).json()
    assert (view["outcome"], view["to_department"]) == ("upheld", "stores")
    assert sorted(r["penalty_id"] for r in view["reversed_penalties"]) == sorted(
        p.id for p in fined[UPHELD])
    assert [(h["department"], h["dispute_id"]) for h in view["holders"]] == [
        ("logistics", None), ("stores", upheld_id)]
    ticket = client.get(f"/api/v1/tickets/{UPHELD}", headers=logistics).json()
    assert ticket["department"] == "stores"
    assert ticket["penalties"] and all(p["status"] == "reversed" and p["reversal_id"]
                                       for p in ticket["penalties"])
    lost = client.get(f"/api/v1/disputes/{rejected_id}", headers=logistics).json()
    assert (lost["outcome"], lost["to_department"], lost["reversed_penalties"]) == (
        "rejected", None, [])
    kept = client.get(f"/api/v1/tickets/{REJECTED}", headers=logistics).json()
    assert kept["department"] == "logistics"
    assert [p["status"] for p in kept["penalties"]] == ["charged"] * len(fined[REJECTED])
    # logistics no longer holds the upheld ticket: it cannot dispute it again
    assert client.post(f"/api/v1/tickets/{UPHELD}/disputes", headers=logistics,
                       json={"reason": "again"}).status_code == 403


def assert_the_receiving_side_sees_it(client: TestClient, stores: dict, upheld_id: str,
                                      rejected_id: str, fined: dict) -> None:
    """Stores: the dispute that gave it the ticket, with the reversal, and not the other."""
    queue = client.get("/api/v1/disputes", headers=stores).json()["items"]
    assert [d["dispute_id"] for d in queue] == [upheld_id]
    view = client.get(f"/api/v1/disputes/{upheld_id}", headers=stores).json()
    assert (view["outcome"], view["to_department"], view["department"]) == (
        "upheld", "stores", "logistics")
    assert sorted(r["penalty_id"] for r in view["reversed_penalties"]) == sorted(
        p.id for p in fined[UPHELD])
    ticket = client.get(f"/api/v1/tickets/{UPHELD}", headers=stores).json()
    assert ticket["department"] == "stores" and ticket["holders"][-1]["dispute_id"] == upheld_id
    assert ticket["penalties"] == []  # logistics' penalties are not stores' to see
    assert client.get(f"/api/v1/disputes/{rejected_id}", headers=stores).status_code == 403
    assert client.get(f"/api/v1/tickets/{REJECTED}", headers=stores).status_code == 403
