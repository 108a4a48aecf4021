"""The live pipeline on the real broker produces exactly what replay computes.

A simulated day (out-of-order arrival across both topics, duplicates, invalid
events) is published to a running worker with stream-clock ticks; every event
on the outbound topics is collected and compared with ``sla-police replay``.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from pathlib import Path

import pytest

from streams.testing import WorkerProcess, publish_log, settled_outputs
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import (
    actual_outputs,
    assert_same_as_replay,
    expected_outputs,
    small_log,
)

pytestmark = pytest.mark.integration


def test_stream_equals_replay(bootstrap: str, tmp_path: Path) -> None:
    lines = small_log()
    expected, until = expected_outputs(lines)
    kinds = Counter(e["type"] for e in expected.values())
    assert kinds["sla.breached"] and kinds["penalty.assessed"] and kinds["event.rejected"]
    worker = WorkerProcess(bootstrap, tmp_path / "w1").start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, until, partitions=PARTITIONS))
        found = settled_outputs(bootstrap, worker.app_id)
    finally:
        worker.stop()
    assert_same_as_replay(actual_outputs(found), expected)


def test_every_invalid_input_is_dead_lettered_and_valid_events_flow(bootstrap: str,
                                                                   tmp_path: Path) -> None:
    from aiokafka import AIOKafkaProducer

    from models import parse_event
    from sla.testing import complaint, transferred
    from streams.clock import publish_tick
    from tests.models.test_contract import INVALID

    valid = [complaint(f"T-DL-{n}", "2026-11-20T10:00:00+08:00") for n in range(len(INVALID))]
    semantic = transferred("T-DL-0", "2026-11-20T10:05:00+08:00", to="nowhere")

    where: dict[bytes, tuple[str, int, int]] = {}  # raw value -> (topic, partition, offset)

    async def send(producer, topic: str, value: bytes, key: bytes) -> None:
        record = await (await producer.send(topic, value, key=key))
        where[value] = (record.topic, record.partition, record.offset)

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        for event, (_name, raw, _reason) in zip(valid, INVALID, strict=True):
            await send(producer, "complaints", event.to_json().encode(), event.subject.encode())
            await send(producer, "ticket-events", raw, b"T-DL-bad")
        wrong_key = complaint("T-DL-key", "2026-11-20T10:00:00+08:00")
        await send(producer, "complaints", wrong_key.to_json().encode(), b"T-other")
        await send(producer, "ticket-events", semantic.to_json().encode(), b"T-DL-0")
        await producer.flush()
        await publish_tick(producer, PARTITIONS, semantic.time)
        await producer.stop()

    worker = WorkerProcess(bootstrap, tmp_path / "w").start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish())
        found = settled_outputs(bootstrap, worker.app_id)
    finally:
        worker.stop()
    letters = [parse_event(v, accept="any") for v in found["dead-letters"]]
    reasons = [letter.data.reason for letter in letters]
    for name, _raw, expected in INVALID:
        assert any(expected in reason for reason in reasons), (name, expected, reasons)
    assert any("does not match subject" in r for r in reasons)
    assert any("unknown department 'nowhere'" in r for r in reasons)
    assert len(letters) == len(INVALID) + 2
    located = [letter for letter in letters if letter.data.partition is not None]
    assert len(located) == len(INVALID) + 1  # all but the semantic one (known to replay too)
    for letter in located:  # where each rejected message was, as the producer was told
        raw = letter.data.raw
        value = base64.b64decode(raw) if letter.data.raw_encoding == "base64" else raw.encode()
        assert (letter.data.topic, letter.data.partition, letter.data.offset) == where[value]
    attributed = {parse_event(v, accept="any").subject for v in found["sla-attributions"]}
    assert attributed == {event.subject for event in valid}
