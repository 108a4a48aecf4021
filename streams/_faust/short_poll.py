"""A shorter long-poll for the worker's consumer: 100 ms instead of Faust's 1.5 s.

**Why.** Faust's aiokafka driver creates the worker's consumer with a hard-coded
``fetch_max_wait_ms=1500`` (``AIOKafkaConsumerThread._create_worker_consumer``). The
embedded Tansu broker does not answer a waiting Fetch when records arrive: it waits the
whole 1.5 s (more under load), and it answers a connection's requests in order, so a
ListOffsets Faust's recovery sends on that connection waits behind the Fetch. A DEBUG log of
a restart with 1,000,000 open tickets showed both (bench/RESULTS.md, run S5b): the recovery's
ListOffsets(EARLIEST) answered 3.0 s after it was sent, and the wake-ups that start each
ticket partition's rebuild delivered 2.4 s after they were produced. With 100 ms a Fetch
that finds nothing returns quickly: about ten empty fetches a second per idle worker on
loopback, which costs nothing measurable.

**How.** A consumer mixin whose ``_new_consumer_thread`` wraps the thread's
``_create_worker_consumer``: the aiokafka consumer Faust builds gets
``_fetch_max_wait_ms`` set before it starts (aiokafka hands the value to its fetcher in
``start()``).
"""

from __future__ import annotations

from typing import Any

import aiokafka
import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.transport import mix_into_transport

__all__ = ["FETCH_MAX_WAIT_MS", "REQUIRES", "ShortPoll", "install_short_poll"]

FETCH_MAX_WAIT_MS = 100


class ShortPoll:
    """Consumer mixin: the worker's aiokafka consumer long-polls 100 ms, not 1.5 s."""

    def _new_consumer_thread(self) -> Any:
        thread = super()._new_consumer_thread()  # type: ignore[misc]
        create = thread._create_worker_consumer

        def create_short_poll(transport: Any) -> aiokafka.AIOKafkaConsumer:
            consumer = create(transport)
            consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
            return consumer

        thread._create_worker_consumer = create_short_poll
        return thread


def install_short_poll(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`ShortPoll` (before it starts)."""
    mix_into_transport(app, "Consumer", ShortPoll, Consumer)


_PATCH = "short consumer poll"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, Consumer, "_new_consumer_thread", ("self",), coroutine=False),
    method(_PATCH, AIOKafkaConsumerThread, "_create_worker_consumer", ("self", "transport"),
           coroutine=False),
    uses(_PATCH, AIOKafkaConsumerThread, "_create_consumer", "_create_worker_consumer"),
    assigns(_PATCH, aiokafka.AIOKafkaConsumer, "__init__", "_fetch_max_wait_ms"),
    uses(_PATCH, aiokafka.AIOKafkaConsumer, "start", "_fetch_max_wait_ms"),
)
