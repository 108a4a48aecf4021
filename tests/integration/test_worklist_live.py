"""The worklist agrees with the live stream: a real worker on the embedded broker publishes
each ticket's clocks, its ledger sink keeps them, and the API shows, for every open clock,
the working time left that the engine counts for the same events (replayed here).

The story is the one of ``tests/api/test_worklist.py`` (a pause, a resume, a transfer) plus a
dispute that the contact center upholds, moving T-C from logistics to stores.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import ApiSettings, create_app, departments_of
from ledger import Ledger
from ledger.tables import ClockSnapshot
from sla.config import load_config
from sla.replay import replay
from sla.testing import disputed, ruled
from streams.testing import WorkerProcess, publish_log
from tests.api.conftest import FakePublisher, Principals, bearer, principals  # noqa: F401
from tests.api.test_worklist import CALENDARS, NOW, STORY, engine_time_left
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import CONFIG_PATH
from tests.integration.test_ledger_sink import wait_for

pytestmark = pytest.mark.integration

CONFIG = load_config(CONFIG_PATH)
LIVE_STORY = [
    *STORY,
    disputed("T-C", "2026-11-23T14:30:00+08:00", "logistics", reason="the store sold it",
             event_id="dispute-T-C"),
    ruled("T-C", "2026-11-23T15:00:00+08:00", "dispute-T-C", "upheld", to="stores",
          reason="store records", event_id="ruling-T-C"),
]


def latest_revisions(outputs: list) -> dict[str, int]:
    revisions: dict[str, int] = {}
    for event in outputs:
        if event.type == "sla.clocks_changed":
            revisions[event.subject] = max(revisions.get(event.subject, 0), event.data.revision)
    return revisions


def recorded_revisions(ledger: Ledger) -> dict[str, int]:
    with ledger.engine.connect() as conn:
        return dict(conn.execute(select(ClockSnapshot.ticket, ClockSnapshot.revision)).all())


def test_the_worklist_shows_the_engines_time_left_after_the_stream_changed_the_clocks(
        bootstrap: str, tmp_path: Path, principals: Principals) -> None:  # noqa: F811
    expected = replay(LIVE_STORY, CONFIG, until=NOW)
    wanted = latest_revisions(expected.outputs)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    worker = WorkerProcess(bootstrap, tmp_path / "w", extra_env={
        "SLA_DATABASE_URL": url, "SLA_CONFIG": str(CONFIG_PATH)}).start()
    ledger = Ledger(url, timezone=CONFIG.timezone)
    try:
        worker.wait_ready(partitions=PARTITIONS)
        lines = [event.to_json().encode() for event in LIVE_STORY]
        asyncio.run(publish_log(bootstrap, lines, NOW, partitions=PARTITIONS))
        wait_for(lambda: recorded_revisions(ledger) == wanted,
                 "the ledger to hold every ticket's latest clocks", timeout=120)
    finally:
        worker.stop()
        ledger.close()

    settings = ApiSettings(database_url=url, principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           timezone=CONFIG.timezone, clock=lambda: NOW, calendars=CALENDARS)
    with TestClient(create_app(settings)) as client:
        items = client.get("/api/v1/worklist?limit=500", headers=bearer(principals, "ceo"))
        logistics = client.get("/api/v1/worklist", headers=bearer(principals, "logistics-desk"))
    assert items.status_code == 200, items.text
    shown = {(i["ticket"], i["metric"]): i["seconds_left"] for i in items.json()["items"]}
    assert shown == engine_time_left(expected)
    assert {i["ticket"] for i in logistics.json()["items"]} == {"T-A"}
    by_ticket = {i["ticket"]: i["department"] for i in items.json()["items"]}
    assert (by_ticket["T-B"], by_ticket["T-C"]) == ("billing", "stores")
