"""Send outbound events to their topics, keyed as README documents.

Routes come from :data:`models.topics.OUTBOUND_ROUTES` (warnings and breaches go
both to the per-ticket outcome stream and the per-department alert stream).
Penalty triggers also go to the internal triggers topic, once per department
whose book they concern. Every send carries the event id as a header, so
consumers can dedupe without parsing.

Sends go straight to the app's producer (aiokafka underneath), not through
``Topic.send``: Faust wraps each of those in future-message bookkeeping that
costs more than the rest of the send, and nothing here needs its callbacks.
Delivery is still covered: before every offset commit Faust flushes this same
producer, so an input is committed only once everything it caused is on the
broker; what a crash loses in between, the stages' outboxes re-emit.
"""

from __future__ import annotations

from collections.abc import Iterable

import faust

from models import CloudEvent
from models.topics import OUTBOUND_ROUTES
from sla.penalties import PenaltyEngine
from streams import metrics
from streams.topics import Topics

__all__ = ["Emitter"]


class Emitter:
    """Publishes what the stages produce; counts it in the metrics."""

    def __init__(self, app: faust.App, topics: Topics) -> None:
        self.app, self.topics = app, topics
        self.triggers_name = topics.triggers.get_topic_name()

    async def _send(self, topic: str, key: bytes | None, value: bytes,
                    headers: dict[str, bytes], partition: int | None = None) -> None:
        """Hand one record to the producer (keyed records: Kafka's default partitioner)."""
        await self.app.producer.send(topic, key, value, partition, None, headers)

    async def publish(self, events: Iterable[CloudEvent], *, triggers: bool = False) -> None:
        for event in events:
            await self._publish_one(event)
            if triggers and PenaltyEngine.is_trigger(event):
                await self._trigger(event)

    async def _publish_one(self, event: CloudEvent) -> None:
        await self._send_routes(event)
        metrics.observe_outcome(event)

    async def _send_routes(self, event: CloudEvent) -> None:
        value = event.to_json().encode()
        headers = {"ce-id": event.id.encode(), "ce-type": event.type.encode()}
        for topic, key_kind in OUTBOUND_ROUTES[event.type]:
            key = event.data.department if key_kind == "department" else event.subject
            await self._send(topic, key.encode(), value, headers)

    async def republish(self, outputs: list[str]) -> None:
        """Send again outputs kept in an outbox (as JSON): same ids, so consumers dedupe.

        Triggers are re-sent too: the department stage ignores what it already applied.
        """
        from models import parse_event

        events = [parse_event(raw, accept="any") for raw in outputs]
        for event in events:
            await self._send_routes(event)
            if PenaltyEngine.is_trigger(event):
                await self._trigger(event)

    async def _trigger(self, event: CloudEvent) -> None:
        value = event.to_json().encode()
        for department in PenaltyEngine.departments_for(event):
            await self._send(self.triggers_name, department.encode(), value,
                             {"ce-id": event.id.encode()})

    async def watermark(self, source_partition: int, when: str) -> None:
        """Tell every department partition that ``source_partition`` is done up to ``when``."""
        from streams.topics import WATERMARK

        header = {WATERMARK: f"{source_partition}|{when}".encode()}
        for partition in range(self.topics.partitions):
            await self._send(self.triggers_name, b"", b"", header, partition)
