"""A message that makes the ticket stage raise is dead-lettered; the rest flows.

The fault is injected through configuration, not a test hook: the P1 policy's
resolve target of 100,000,000 hours is accepted by ``load_config`` (targets have
no upper bound) but lies beyond the year 9999, so the engine raises ``ValueError``
when a P1 complaint starts its clocks. Every other ticket is untouched. Should
``load_config`` learn to refuse such a target, this test needs another fault that
reaches past validation.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest

from models import CloudEvent, parse_event
from models.topics import COMPLAINTS, inbound_route
from sla.config import load_config
from sla.replay import replay
from sla.testing import acknowledged, complaint, resolved
from streams.clock import publish_tick
from streams.testing import WorkerProcess, read_records, settled_outputs
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import actual_outputs, assert_same_as_replay, normalise

pytestmark = pytest.mark.integration

STORIES = Path(__file__).resolve().parents[1] / "sla/stories.yaml"
REASON = "internal error: ValueError: year 13434 is out of range"


def faulty_config(tmp_path: Path) -> Path:
    text = STORIES.read_text(encoding="utf-8")
    assert text.count("resolve: 4h") == 1  # the P1 policy
    path = tmp_path / "faulty.yaml"
    path.write_text(text.replace("resolve: 4h", "resolve: 100000000h"), encoding="utf-8")
    load_config(path)  # valid for load: the fault reaches the stage
    return path


DAY = "2026-11-16T{}:00+08:00"
UNTIL = datetime.fromisoformat(DAY.format("20:00"))


def the_log() -> tuple[list[CloudEvent], CloudEvent, list[CloudEvent]]:
    """Six P3 tickets, one P1 complaint, eight more P3 tickets (T-OK-12 and T-OK-13 on
    its partition) and a few follow-ups (one for the P1 ticket)."""
    before = [complaint(f"T-OK-{n}", DAY.format(f"09:{n:02d}")) for n in range(6)]
    poison = complaint("T-P1", DAY.format("09:30"), priority="P1")
    after = [complaint(f"T-OK-{n}", DAY.format(f"09:{n + 30:02d}")) for n in range(6, 14)]
    after += [acknowledged("T-P1", DAY.format("10:00")),
              acknowledged("T-OK-0", DAY.format("10:30")),
              resolved("T-OK-7", DAY.format("11:00"))]
    return before, poison, after


async def publish(bootstrap: str, before: list[CloudEvent], poison: CloudEvent,
                  after: list[CloudEvent]) -> None:
    """With a tick at the P1 complaint's own time just before it, so the stage applies
    it on receipt (a tick at T promises only what is before T)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in before:
            await producer.send(COMPLAINTS, event.to_json().encode(), key=event.subject.encode())
        await producer.flush()
        await publish_tick(producer, PARTITIONS, poison.time)
        for event in [poison, *after]:
            topic, key = inbound_route(event.to_json().encode())
            await producer.send(topic, event.to_json().encode(), key=key)
        await producer.flush()
        await publish_tick(producer, PARTITIONS, UNTIL)
        await producer.flush()
    finally:
        await producer.stop()


def test_a_message_the_ticket_stage_cannot_process_is_dead_lettered(bootstrap: str,
                                                                    tmp_path: Path) -> None:
    config = faulty_config(tmp_path)
    before, poison_event, after = the_log()
    poison = poison_event.to_json().encode()
    healthy = replay([*before, *after], load_config(config), until=UNTIL)
    worker = WorkerProcess(bootstrap, tmp_path / "w",
                           extra_env={"SLA_CONFIG": str(config)}).start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish(bootstrap, before, poison_event, after))
        found = settled_outputs(bootstrap, worker.app_id)
        assert worker.process is not None and worker.process.poll() is None, worker.log()
    finally:
        worker.stop()
    [letter] = [parse_event(v, accept="any") for v in found["dead-letters"]]
    [record] = [r for r in read_records(bootstrap, [COMPLAINTS])[COMPLAINTS]
                if r.value == poison]
    assert letter.data.reason == REASON
    assert (letter.data.topic, letter.data.partition, letter.data.offset, letter.data.key) == (
        COMPLAINTS, record.partition, record.offset, "T-P1")
    assert letter.data.raw.encode() == poison
    # The rest flowed: everything else equals replay of the log without the P1 complaint,
    # including tickets published after it on the same partition.
    outputs = actual_outputs({t: v for t, v in found.items() if t != "dead-letters"})
    assert_same_as_replay(outputs, {e.id: normalise(e) for e in healthy.outputs})
    later = {parse_event(r.value).subject
             for r in read_records(bootstrap, [COMPLAINTS])[COMPLAINTS]
             if r.value and r.partition == record.partition and r.offset > record.offset}
    assert later, "no complaint after the failing one on its partition"
    attributed = {o["subject"] for o in outputs.values() if o["type"] == "sla.attributed"}
    assert later <= attributed
    assert "T-P1" not in {o["subject"] for o in outputs.values()}
