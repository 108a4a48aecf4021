"""Send what the calls stages produce: outputs by :data:`models.topics.CALL_ROUTES`, agent
hang-ups forwarded to the QA stage, watermarks that order it.

- ``caller.blocked`` / ``caller.unblocked`` go to the compacted ``caller-blocks`` keyed by
  caller, QA items and norm breaches to ``call-quality`` keyed by agent, reviews due and
  refusals to ``block-notices`` keyed by caller; a dead letter goes through the pipeline's
  :class:`~streams.emit.Emitter` (``dead-letters``).
- An agent-ended ``call.ended`` is **forwarded** to the internal QA topic keyed by agent:
  the weekly sample is per agent, so it needs its own partitioning (a repartition).
- A **watermark** (``sla-watermark: <calls partition>|<time>``) goes to every QA partition
  whenever a calls partition's clock moves: "every agent hang-up of that partition up to
  <time> was forwarded".

Sends go straight to the app's producer, one record at a time (the calls stages send after
every message; :class:`~streams.emit.Emitter` queues its records in the changelog writer's
record batches instead, so dead letters go out with the message's changelog records); Faust
flushes the producer before every offset commit.
"""

from __future__ import annotations

from collections.abc import Iterable

import faust

from models import CloudEvent, parse_event
from models.topics import CALL_ROUTES
from streams import metrics
from streams.emit import Emitter
from streams.topics import WATERMARK

__all__ = ["CallsEmitter", "is_forward"]


def is_forward(event: CloudEvent) -> bool:
    """True for a record the QA stage reads: a ``call.ended`` that the agent ended."""
    return event.type == "call.ended" and event.data.ended_by == "agent"


class CallsEmitter:
    """Publishes the calls stages' outputs (the production ``CallsSink``)."""

    def __init__(self, app: faust.App, emitter: Emitter, qa_topic: str, partitions: int) -> None:
        self.app, self.emitter = app, emitter
        self.qa_topic, self.partitions = qa_topic, partitions

    async def _send(self, topic: str, key: bytes | None, value: bytes,
                    headers: dict[str, bytes], partition: int | None = None) -> None:
        await self.app.producer.send(topic, key, value, partition, None, headers)

    async def publish(self, events: Iterable[CloudEvent]) -> None:
        """Send outputs on their routes (forwards to the QA topic); count them."""
        for event in events:
            await self._route(event)
            metrics.observe_call_output(event)

    async def republish(self, outputs: list[str]) -> None:
        """Send again outputs kept in an outbox (same ids: consumers dedupe)."""
        for raw in outputs:
            event = parse_event(raw, accept="any")
            if isinstance(event, CloudEvent):
                await self._route(event)

    async def _route(self, event: CloudEvent) -> None:
        if event.type not in CALL_ROUTES:
            await self.emitter.publish([event])  # a dead letter
            return
        value = event.to_json().encode()
        headers = {"ce-id": event.id.encode(), "ce-type": event.type.encode()}
        if is_forward(event):
            await self._send(self.qa_topic, event.data.agent.encode(), value, headers)
            return
        for topic, key_kind in CALL_ROUTES[event.type]:
            key = event.data.agent if key_kind == "agent" else event.subject
            await self._send(topic, key.encode(), value, headers)

    async def watermark(self, source_partition: int, when: str) -> None:
        """Tell every QA partition that ``source_partition`` forwarded everything up to
        ``when``."""
        header = {WATERMARK: f"{source_partition}|{when}".encode()}
        for partition in range(self.partitions):
            await self._send(self.qa_topic, b"", b"", header, partition)
