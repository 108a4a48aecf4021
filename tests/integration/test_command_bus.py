"""The API's Kafka publisher on the embedded broker: a command lands once on its inbound
topic, keyed by ticket id, its bytes the event's canonical JSON."""

from __future__ import annotations

import asyncio

import pytest

from models.topics import TICKET_EVENTS
from sla.testing import disputed, ruled
from sla_police.command_bus import KafkaCommandBus

pytestmark = pytest.mark.integration


async def _read_all(bootstrap: str, expected: int) -> list[tuple[bytes | None, bytes]]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(TICKET_EVENTS, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[tuple[bytes | None, bytes]] = []
    try:
        for _ in range(60):  # bounded; stops early once quiet after the expected records
            batch = await consumer.getmany(timeout_ms=1000)
            records = [r for rs in batch.values() for r in rs]
            seen += [(r.key, r.value) for r in records]
            if len(seen) >= expected and not records:
                break
    finally:
        await consumer.stop()
    return seen


def test_commands_land_on_ticket_events_keyed_by_ticket(bootstrap: str) -> None:
    events = [disputed("T-API-1", "2026-11-20T10:00:00+08:00", "logistics"),
              ruled("T-API-1", "2026-11-21T10:00:00+08:00", "d-1", to="stores")]

    async def scenario() -> list[tuple[bytes | None, bytes]]:
        bus = KafkaCommandBus(bootstrap)
        try:
            for event in events:
                await bus.publish(event)
        finally:
            await bus.close()
        return await _read_all(bootstrap, len(events))

    assert sorted(asyncio.run(scenario())) == sorted(
        (b"T-API-1", event.to_json_bytes()) for event in events)
