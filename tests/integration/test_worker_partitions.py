"""A worker configured for 8 partitions makes its own wake-up topics with 8 and serves all
of them: before, the clock topics were made on first subscription with the broker's
default (4), and the worker crashed at its first wake-up of partition 4."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models.examples import example
from models.topics import ATTRIBUTIONS, COMPLAINTS
from sla_police.broker import EmbeddedBroker
from streams.testing import WorkerProcess, end_offsets, read_records

pytestmark = pytest.mark.integration
PARTITIONS = 8
TICKETS = 24
APP_ID = "sla-eight"


def complaints() -> list[tuple[bytes, bytes]]:
    base = example("complaint.received")
    out = []
    for n in range(TICKETS):
        event = {**base, "id": f"crm-eight-{n}", "subject": f"T-EIGHT-{n:03d}",
                 "time": datetime.now(UTC).isoformat()}
        out.append((event["subject"].encode(), json.dumps(event).encode()))
    return out


def publish(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for key, value in messages:
        producer.send(COMPLAINTS, key=key, value=value)
    producer.flush()
    producer.close()


def wait_for_attributions(bootstrap: str, worker: WorkerProcess, timeout: float = 90.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.process is not None and worker.process.poll() is None, worker.log()
        found = read_records(bootstrap, [ATTRIBUTIONS])[ATTRIBUTIONS]
        if len(found) >= TICKETS:
            return found
        time.sleep(0.5)
    raise TimeoutError(f"attributions missing after {timeout} s:\n{worker.log()}")


def test_a_worker_of_eight_partitions_wakes_every_one(tmp_path: Path) -> None:
    import asyncio

    with EmbeddedBroker() as broker:  # no topic made beforehand: the worker makes them
        worker = WorkerProcess(broker.bootstrap, tmp_path / "w", clock="wall", app_id=APP_ID,
                               store="memory://",
                               extra_env={"SLA_TOPIC_PARTITIONS": str(PARTITIONS)})
        worker.start()
        try:
            worker.wait_ready(timeout=90, partitions=PARTITIONS)
            publish(broker.bootstrap, complaints())
            found = wait_for_attributions(broker.bootstrap, worker)
            time.sleep(3)  # a few more rounds of wake-ups of every partition
            assert worker.process is not None and worker.process.poll() is None, worker.log()
        finally:
            worker.stop()
        ends = asyncio.run(end_offsets(broker.bootstrap, [COMPLAINTS, f"{APP_ID}-clock",
                                                         f"{APP_ID}-calls-clock"]))
    assert {t: sum(1 for (topic, _) in ends if topic == t) for t, _ in ends} == {
        COMPLAINTS: PARTITIONS, f"{APP_ID}-clock": PARTITIONS,
        f"{APP_ID}-calls-clock": PARTITIONS}
    used = {p for (topic, p), end in ends.items() if topic == COMPLAINTS and end > 0}
    assert used & {4, 5, 6, 7}, used  # complaints on the partitions the crash was about
    assert sorted(json.loads(r.value)["subject"] for r in found) == sorted(
        key.decode() for key, _ in complaints())
