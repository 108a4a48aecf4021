"""Make "flush" mean flushed: Faust's producer buffer can commit offsets ahead of its writes.

**The defect** (faust-streaming 0.15.3, ``faust/transport/producer.py``). Table writes
(changelog records) are not sent at once: ``Table.__setitem__`` puts them in the
producer's ``ProducerBuffer``, which a background task hands to the Kafka client one by
one. Before every offset commit Faust calls ``producer.flush()``, which first flushes
that buffer, but ``ProducerBuffer.flush_atmost``

- **gives up** when one message takes longer than 0.1 s to be handed over (it returns on
  ``asyncio.TimeoutError``), which happens whenever the event loop or the client is busy;
- counts only *queued* messages: the one the background task has taken off the queue
  and is still handing over is not waited for.

Either way the commit goes ahead while changelog records are still in worker memory. A
worker stopped right then (a graceful stop stops the buffer's task, dropping what is
left) or killed loses those table updates although their input offsets are committed:
the partition's next owner reads a stale ticket, and every output the lost update
would have caused is missing. Observed in the two-worker hand-over test: tickets whose
complaint the stopping worker had applied and committed, with no changelog record of it.

**The fix.** :class:`CompleteFlushBuffer` tracks the message being handed over and
waits, without giving up, until the queue is empty and nothing is in flight. If the
buffer's own task has already stopped, it hands the rest over itself, in order.
:func:`install_complete_flush` gives the app's transport a producer class that uses it.
Backpressure (``wait_until_ebb``, a partial flush) keeps Faust's behaviour. With
``producer_threaded`` (not used by SLA Police) Faust's threaded buffer is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.transport.producer import Producer, ProducerBuffer
from faust.types import FutureMessage
from mode import Service

from streams._faust.check import Requirement, assigns, method, prop, subclass, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "CompleteFlushBuffer", "install_complete_flush"]

logger = logging.getLogger(__name__)
_REPORT_AFTER = 10.0  # seconds: log a flush that takes this long (the broker is away?)


class CompleteFlushBuffer(ProducerBuffer):
    """A producer buffer whose :meth:`flush` returns only when every message was handed
    to the Kafka client (whose own flush then waits for the broker's acks)."""

    in_flight: int = 0

    async def _send_pending(self, fut: FutureMessage) -> None:
        self.in_flight += 1
        try:
            await super()._send_pending(fut)
        finally:
            self.in_flight -= 1

    async def flush(self) -> None:
        started = reported = time.monotonic()
        while self.size or self.in_flight:
            if self.crashed:  # its task died on a send error: waiting would never end
                raise RuntimeError(f"producer buffer crashed with {self.size} messages "
                                   f"unsent: {self.crash_reason!r}")
            if self.should_stop and not self.in_flight:
                # Our task has left its loop (the buffer is stopping): hand over the rest.
                await self._send_pending(self.pending.get_nowait())
                continue
            self.message_sent.clear()
            try:
                await asyncio.wait_for(self.message_sent.wait(), timeout=1.0)
            except TimeoutError:
                if time.monotonic() - reported >= _REPORT_AFTER:
                    reported = time.monotonic()
                    logger.warning("producer flush waiting for %d messages for %.0f s",
                                   self.size + self.in_flight, reported - started)


class CompleteFlush:
    """Producer mixin: swap in :class:`CompleteFlushBuffer` before the buffer starts."""

    buffer: ProducerBuffer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        stock = self.buffer
        if stock.app.conf.producer_threaded:
            return  # threaded producers (not used here) keep Faust's buffer
        buffer = CompleteFlushBuffer(loop=stock.loop, beacon=stock.beacon)
        buffer.app = stock.app
        self.buffer = buffer


def install_complete_flush(app: faust.App) -> None:
    """Give ``app``'s transport a producer class with :class:`CompleteFlushBuffer`.

    Must run before the app creates its producer (before it starts); idempotent.
    """
    mix_into_transport(app, "Producer", CompleteFlush, Producer)


_PATCH = "complete producer flush"

REQUIRES: tuple[Requirement, ...] = (
    subclass(_PATCH, ProducerBuffer, Service),
    method(_PATCH, ProducerBuffer, "_send_pending", ("self", "fut"), coroutine=True),
    method(_PATCH, ProducerBuffer, "flush", ("self",), coroutine=True),
    method(_PATCH, ProducerBuffer, "__init__", ("self", "beacon", "loop")),
    uses(_PATCH, ProducerBuffer, "_handle_pending", "_send_pending"),
    uses(_PATCH, ProducerBuffer, "_handle_pending", "message_sent"),
    uses(_PATCH, ProducerBuffer, "on_stop", "flush"),
    assigns(_PATCH, ProducerBuffer, "__post_init__", "pending"),
    assigns(_PATCH, ProducerBuffer, "__post_init__", "message_sent"),
    prop(_PATCH, ProducerBuffer, "size"),
    prop(_PATCH, ProducerBuffer, "crashed"),
    prop(_PATCH, ProducerBuffer, "crash_reason"),
    prop(_PATCH, ProducerBuffer, "should_stop"),
    assigns(_PATCH, Producer, "__init__", "buffer"),
    uses(_PATCH, aiokafka_driver.Producer, "flush", "buffer"),
    uses(_PATCH, Consumer, "_commit_offsets", "flush"),
)
