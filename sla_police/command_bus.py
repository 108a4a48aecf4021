"""The API's command publisher on Kafka: inbound events (disputes, rulings) sent to their
topic keyed by ticket id, as ``sla-police publish`` sends them; and the one outbound type a
command raises (``authority.flagged``, by ``sla-police authority flag``) to its outbound
topic keyed by its subject (the agent), as the stream would (:func:`command_topic`).

The producer starts on the first command, not with the API, so the API serves reads while
Kafka is away; a failed start or send raises :class:`api.PublishError` (the API answers
503) and the next command tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from api import PublishError
from models import CloudEvent
from models.topics import OUTBOUND_ROUTES, inbound_topic_for

__all__ = ["KafkaCommandBus", "NoCommandBus", "command_topic"]

_SEND_TIMEOUT_MS = 15_000


def command_topic(event_type: str) -> str:
    """Where a command's event goes: an outbound type to its (first) outbound topic, any
    other to its inbound topic."""
    routes = OUTBOUND_ROUTES.get(event_type)
    return routes[0][0] if routes else inbound_topic_for(event_type)


class KafkaCommandBus:
    """Publishes commands to the Kafka cluster at ``bootstrap`` (acks from all replicas)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._producer: Any = None
        self._lock = asyncio.Lock()

    async def _started(self) -> Any:
        from aiokafka import AIOKafkaProducer

        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap, client_id="sla-police-api", acks="all",
                    enable_idempotence=False, request_timeout_ms=_SEND_TIMEOUT_MS)
                try:
                    await producer.start()
                except Exception:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def publish(self, event: CloudEvent) -> None:
        """Send ``event`` to its inbound topic and wait for the broker's acknowledgement."""
        try:
            producer = await self._started()
            await producer.send_and_wait(command_topic(event.type), event.to_json_bytes(),
                                         key=event.subject.encode("utf-8"))
        except Exception as exc:  # aiokafka raises KafkaError subclasses and OSError
            raise PublishError(f"Kafka at {self.bootstrap}: {type(exc).__name__}") from exc

    async def close(self) -> None:
        """Flush and stop the producer, if it was started."""
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None


class NoCommandBus:
    """The publisher when no Kafka is configured: reads work, commands answer 503."""

    async def publish(self, event: CloudEvent) -> None:
        raise PublishError("no event bus: SLA_KAFKA_BOOTSTRAP is not set")

    async def close(self) -> None:
        return None
