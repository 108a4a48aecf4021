"""A real worker records its outcomes in the ledger and posts notifications to webhooks.

Everything is real: the embedded broker, a worker subprocess on the stream clock, a SQLite
file and the PostgreSQL server (a fresh schema per test, as in ``tests/ledger``), and a
department's webhook receiver (an ``http.server`` thread on 127.0.0.1). A small simulated
day is published; the oracle is ``replay`` on the same log.

- The ledger holds exactly the ids replay computes for the topics it keeps (breaches and
  penalties included), and the outbound values published a second time add nothing.
- A ledger sink in a process of its own (``sla-police ledger sink``) beside a worker run
  with ``SLA_LEDGER_ENABLED=false`` records the same ids; the worker records nothing.
- Every notification of a department with a webhook arrives, signed (the receiver verifies
  with ``standardwebhooks``), with ``webhook-id`` = the event id; the others are skipped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from standardwebhooks import Webhook

from ledger import Ledger, table_counts
from ledger.tables import Breach, ClockSnapshot, CsatResponse, LedgerEvent, Penalty, Volume
from ledger.worklist import SNAPSHOT_TYPE
from models.examples import example
from sla_police.broker import EmbeddedBroker, ensure_inbound_topics
from streams import metrics
from streams.ledger_sink import LEDGER_TOPICS, LedgerSink
from streams.testing import WorkerProcess, publish_log, settled_outputs
from tests.integration.stream_oracle import CONFIG_PATH, expected_outputs, small_log
from tests.ledger.conftest import (  # noqa: F401  (fixtures)
    TIMEZONE,
    Backend,
    backend,
    postgres_admin,
)

pytestmark = pytest.mark.integration
PARTITIONS = 4
HOOKED = ("logistics", "billing", "it")  # departments given a webhook URL in the test config
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def bootstrap() -> Iterator[str]:
    with EmbeddedBroker() as broker:
        ensure_inbound_topics(broker.bootstrap, PARTITIONS)
        yield broker.bootstrap


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.3)


def worker_metric(worker: WorkerProcess, name: str, **labels: str) -> float:
    """Sum of the worker's samples of ``name`` whose labels include ``labels``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


def ids_in(ledger: Ledger, column) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(column)).scalars())


# -- the ledger ---------------------------------------------------------------------------


def republish(bootstrap: str, found: dict[str, list[bytes]]) -> int:
    """Publish again every value the worker put on the ledger's topics, after two values
    that are no outbound events (to be skipped); return how many values were republished."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    producer.send(LEDGER_TOPICS[0], value=b"not json")
    producer.send(LEDGER_TOPICS[0], value=json.dumps(example("complaint.received")).encode())
    sent = 0
    for topic in LEDGER_TOPICS:
        for value in found[topic]:
            producer.send(topic, value=value)
            sent += 1
    producer.flush()
    producer.close()
    return sent


def test_ledger_equals_replay_and_redelivery_adds_nothing(bootstrap: str, tmp_path: Path,
                                                          backend: Backend) -> None:  # noqa: F811
    volumes = volume_lines()
    lines = small_log()
    lines = [*lines[:10], *volumes, *lines[10:]]  # on their own topic, keyed by department
    expected, until = expected_outputs(lines)
    kept = {i for i, e in expected.items()
            if e["type"] not in ("notification.requested", SNAPSHOT_TYPE)}
    snapshots = latest_snapshots(expected)
    kept |= {json.loads(line)["id"] for line in volumes}
    url = backend.fresh_url()  # empty: the worker migrates it
    worker = WorkerProcess(bootstrap, tmp_path / "w",
                           extra_env={"SLA_DATABASE_URL": url}).start()
    ledger = Ledger(url, timezone=TIMEZONE)
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, until, partitions=PARTITIONS))
        found = settled_outputs(bootstrap, worker.app_id)
        wait_for(lambda: ids_in(ledger, LedgerEvent.id) >= kept
                 and clock_revisions(ledger) == snapshots, "the ledger to catch up")
        counts = table_counts(ledger.engine)
        inserted = events_inserted(worker)
        duplicates = worker_metric(worker, "sla_ledger_records_total", result="duplicate")

        resent = republish(bootstrap, found)
        wait_for(lambda: worker_metric(worker, "sla_ledger_records_total", result="duplicate")
                 >= duplicates + resent, "the redelivered values to be recorded")
        assert table_counts(ledger.engine) == counts
        assert events_inserted(worker) == inserted
    finally:
        worker.stop()
        ledger.close()
    assert ids_in(ledger, LedgerEvent.id) == kept
    assert inserted == len(kept)
    assert ids_in(ledger, Volume.id) == {json.loads(line)["id"] for line in volumes}
    assert ids_in(ledger, CsatResponse.id) == of_type(expected, "sla.csat_recorded")
    assert ids_in(ledger, Breach.id) == of_type(expected, "sla.breached")
    assert ids_in(ledger, Penalty.id) == of_type(expected, "penalty.assessed")
    reversed_ = {e["data"]["penalty_id"] for e in expected.values()
                 if e["type"] == "penalty.reversed"}
    assert reversed_ and ids_in_reversed(ledger) == reversed_


def test_a_ledger_sink_of_its_own_records_what_the_workers_emit(bootstrap: str,
                                                                tmp_path: Path) -> None:
    lines = small_log()
    expected, until = expected_outputs(lines)
    kept = {i for i, e in expected.items()
            if e["type"] not in ("notification.requested", SNAPSHOT_TYPE)}
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    shared = {"SLA_DATABASE_URL": url}
    worker = WorkerProcess(bootstrap, tmp_path / "w",
                           extra_env={**shared, "SLA_LEDGER_ENABLED": "false"}).start()
    sink = WorkerProcess(bootstrap, tmp_path / "sink", app_id=worker.app_id, extra_env=shared,
                         command=("ledger", "sink")).start()
    ledger = Ledger(url, timezone=TIMEZONE)
    try:
        assert sink.wait_ready()["role"] == "ledger"
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, until, partitions=PARTITIONS))
        wait_for(lambda: ids_in(ledger, LedgerEvent.id) >= kept, "the sink to catch up")
        assert events_inserted(sink) == len(kept)
        assert worker_metric(worker, "sla_ledger_records_total") == 0
    finally:
        worker.stop()
        sink.stop()
        ledger.close()
    assert ids_in(ledger, LedgerEvent.id) == kept


def events_inserted(worker: WorkerProcess) -> float:
    """Events the sink inserted, clock snapshots aside (how many of those apply depends on
    how the sink's batches fall: a batch keeps only each ticket's newest)."""
    return (worker_metric(worker, "sla_ledger_records_total", result="inserted")
            - worker_metric(worker, "sla_ledger_records_total", result="inserted",
                            type=SNAPSHOT_TYPE))


def latest_snapshots(expected: dict[str, dict]) -> dict[str, int]:
    """Ticket -> the revision of its last ``sla.clocks_changed`` among ``expected``."""
    latest: dict[str, int] = {}
    for event in expected.values():
        if event["type"] == SNAPSHOT_TYPE:
            ticket, revision = event["subject"], event["data"]["revision"]
            latest[ticket] = max(latest.get(ticket, 0), revision)
    return latest


def clock_revisions(ledger: Ledger) -> dict[str, int]:
    with ledger.engine.connect() as conn:
        return dict(conn.execute(select(ClockSnapshot.ticket, ClockSnapshot.revision)).all())


def volume_lines() -> list[bytes]:
    """Business volumes of two departments (``volume.reported``): the worker's ticket stage
    never sees them; its ledger sink records them from the ``volumes`` topic."""
    lines = []
    for n, department in enumerate(("logistics", "billing", "logistics")):
        event = example("volume.reported")
        event.update(id=f"volume-{n}", subject=department)
        event["data"].update(department=department, day=f"2026-11-{20 + n}")
        lines.append(json.dumps(event).encode())
    return lines


def of_type(expected: dict[str, dict], event_type: str) -> set[str]:
    ids = {i for i, e in expected.items() if e["type"] == event_type}
    assert ids, f"the simulated log has no {event_type}"
    return ids


def ids_in_reversed(ledger: Ledger) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(Penalty.id).where(Penalty.reversal_id.is_not(None)))
                   .scalars())


async def test_sink_records_once_and_skips_what_is_not_an_outbound_event(
        backend: Backend) -> None:  # noqa: F811
    sink = LedgerSink(Ledger(backend.fresh_url(), timezone=TIMEZONE))
    await sink.migrate()
    values = [json.dumps(example(kind)).encode()
              for kind in ("sla.breached", "penalty.assessed", "event.rejected")]
    garbage = [b"", b"{", json.dumps(example("ticket.resolved")).encode()]

    def counted(result: str) -> float:
        return metrics.REGISTRY.get_sample_value(
            "sla_ledger_records_total", {"type": "penalty.assessed", "result": result}) or 0.0

    before = counted("inserted"), counted("duplicate")
    first = await sink.record(values + garbage)
    again = await sink.record(values)
    await sink.close()
    assert (first.total_inserted, first.total_duplicates) == (3, 0)
    assert (again.total_inserted, again.total_duplicates) == (0, 3)
    assert (counted("inserted"), counted("duplicate")) == (before[0] + 1, before[1] + 1)
    assert ids_in(sink.writer, Penalty.id) == {example("penalty.assessed")["id"]}


# -- webhooks -----------------------------------------------------------------------------


class Receiver:
    """A department's webhook endpoint: records every request; answers the first one with
    503 (so the worker must retry), the others with 204."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    status = 503 if not receiver.requests else 204
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    receiver.requests.append((self.path, headers, body, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def accepted_ids(self) -> set[str]:
        with self.lock:
            return {h["webhook-id"] for _, h, _, status in self.requests if status == 204}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


def config_with_webhooks(path: Path, base_url: str) -> Path:
    """The deploy config with a webhook URL (``<base_url>/<department>``) on :data:`HOOKED`."""
    text = CONFIG_PATH.read_text()
    for department in HOOKED:
        line = next(x for x in text.splitlines() if x.strip().startswith(f"{department}: {{"))
        hooked = line.replace("}", f', webhook: "{base_url}/{department}"}}', 1)
        text = text.replace(line, hooked)
    path.write_text(text)
    return path


def test_worker_posts_signed_notifications_to_webhooks(bootstrap: str, tmp_path: Path,
                                                       receiver: Receiver) -> None:
    lines = small_log()
    expected, until = expected_outputs(lines)
    notes = {i: e for i, e in expected.items() if e["type"] == "notification.requested"}
    wanted = {i for i, e in notes.items() if e["data"]["department"] in HOOKED}
    assert wanted and len(wanted) < len(notes)
    config = config_with_webhooks(tmp_path / "sla-police.yaml", receiver.url)
    worker = WorkerProcess(bootstrap, tmp_path / "w", extra_env={
        "SLA_CONFIG": str(config), "SLA_WEBHOOK_SECRET": SECRET,
        "SLA_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}).start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, until, partitions=PARTITIONS))
        wait_for(lambda: receiver.accepted_ids() >= wanted, "every webhook to arrive")
        skipped = worker_metric(worker, "sla_webhook_deliveries_total", result="skipped")
        failed = worker_metric(worker, "sla_webhook_deliveries_total", result="failed")
    finally:
        worker.stop()
    assert receiver.accepted_ids() == wanted
    assert skipped >= len(notes) - len(wanted) and failed == 0
    first_path, first_headers, _, first_status = receiver.requests[0]
    assert first_status == 503 and first_headers["webhook-id"] in receiver.accepted_ids()
    verifier = Webhook(SECRET)
    for path, headers, body, _ in receiver.requests:
        event = verifier.verify(body, headers)  # raises unless the signature is valid
        assert headers["webhook-id"] == event["id"]
        assert event == notes[event["id"]]
        assert path == f"/{event['data']['department']}"
        assert headers["content-type"] == "application/cloudevents+json"
