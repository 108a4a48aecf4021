"""No offset commit after a record that never reached Kafka: the worker stops instead.

**The defect** (faust-streaming 0.15.3 with aiokafka 0.14.0). A record handed to aiokafka
fails later, on its future: when the broker refuses it for good, or when it is still
unacknowledged after ``producer_request_timeout`` (a broker away that long). Nobody waits
for that future: Faust's ``Producer.send`` returns it to a caller that drops it, and
:mod:`streams.record_batches` only logged it. Before every offset commit Faust flushes the
producer (``Consumer._commit_offsets`` awaits ``producer.flush()``), but aiokafka's flush
waits for the futures to be *done*, failed or not, so the commit goes ahead. The inputs
that caused the lost outputs or changelog records are committed: nothing sends them again.

**The fix** (what Kafka Streams does by default: a send error fails the stream task
before it commits).

- :class:`HoldCommits`, a producer mixin, watches every future its ``send`` returns;
  record batches report theirs through :func:`report_undelivered`. A record the client
  refuses to take at all (``send`` raises: its buffer still full after the request
  timeout) counts as a failure too: the batch that made it is acked all the same when its
  loop body ends in an error (Faust's ``take_events`` acks in a ``finally``) and Faust's
  supervisor restarts the agent, so without this a later commit could pass it. The
  first failure is
  kept (later ones are counted) and the app is crashed, so the worker stops and exits
  with an error instead of running on without its writes.
- Its ``flush`` raises :class:`UndeliveredRecords` once a failure is kept, so the commit
  Faust was about to make does not happen, whichever comes first, the crash or the next
  commit. A failure is kept before a flush waiting for that record can return: the watch
  is added as the record is handed over, before any flush can wait for it, and asyncio runs
  a future's done-callbacks in the order they were added.
- The next worker (a restart, or another member of the group) resumes from the last
  commit: it reprocesses the inputs, the outbox of each ticket row sends again what was
  pending, and outputs keep their ids, so what was lost is sent once more.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.transport.producer import Producer

from streams._faust.check import Requirement, method, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "HoldCommits", "UndeliveredRecords", "delivery_failed",
           "install_hold_commits", "report_undelivered"]

logger = logging.getLogger(__name__)


class UndeliveredRecords(RuntimeError):
    """A record was not delivered to Kafka: no offset may be committed from now on."""


class HoldCommits:
    """Producer mixin: keep the first delivery failure, crash the app, refuse to flush."""

    app: faust.App
    undelivered: BaseException | None = None
    undelivered_count = 0
    crashing: asyncio.Future | None = None

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        try:
            future = await super().send(*args, **kwargs)  # type: ignore[misc]
        except Exception as exc:  # not even handed over (buffer full past the timeout)
            self.delivery_failed(exc)
            raise
        future.add_done_callback(self.watch_delivery)
        return future

    def watch_delivery(self, future: asyncio.Future) -> None:
        """Done-callback of a record's (or a record batch's) future."""
        if not future.cancelled() and future.exception() is not None:
            self.delivery_failed(future.exception())

    def delivery_failed(self, exc: BaseException) -> None:
        """Keep the first failure and crash the app; later ones are only counted."""
        self.undelivered_count += 1
        if self.undelivered is not None:
            logger.debug("record %d not delivered to Kafka: %r", self.undelivered_count, exc)
            return
        self.undelivered = exc
        logger.critical("a record was not delivered to Kafka (%r): stopping the worker "
                        "without committing; the next worker resumes from the last commit "
                        "and sends what was lost again", exc)
        # kept: the loop holds only a weak reference to a task
        self.crashing = asyncio.ensure_future(self.app.crash(UndeliveredRecords(repr(exc))))

    async def flush(self) -> None:
        await super().flush()  # type: ignore[misc]
        if self.undelivered is not None:
            raise UndeliveredRecords(f"not committing: {self.undelivered_count} record(s) "
                                     f"not delivered to Kafka, first {self.undelivered!r}")


def report_undelivered(app: faust.App, future: asyncio.Future) -> None:
    """Done-callback for a record batch ``app``'s producer did not send itself."""
    producer = app.producer
    if not isinstance(producer, HoldCommits):  # a programming error: say which
        raise TypeError("the app's producer does not hold commits: install_hold_commits(app)")
    producer.watch_delivery(future)


def delivery_failed(app: faust.App) -> bool:
    """Whether a record of ``app`` was not delivered to Kafka (the worker then stopped
    without committing, and its local tables may hold writes the changelog lacks)."""
    producer = app.producer
    if not isinstance(producer, HoldCommits):  # a programming error: say which
        raise TypeError("the app's producer does not hold commits: install_hold_commits(app)")
    return producer.undelivered is not None


def install_hold_commits(app: faust.App) -> None:
    """Give ``app``'s transport a producer class with :class:`HoldCommits`.

    Must run before the app creates its producer (before it starts); idempotent.
    """
    mix_into_transport(app, "Producer", HoldCommits, Producer)


_PATCH = "no commit after an undelivered record"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, aiokafka_driver.Producer, "send",
           ("self", "topic", "key", "value", "partition", "timestamp", "headers",
            "transactional_id"),
           coroutine=True),
    method(_PATCH, aiokafka_driver.Producer, "flush", ("self",), coroutine=True),
    uses(_PATCH, Consumer, "_commit_offsets", "flush"),
    uses(_PATCH, Consumer, "_commit_offsets", "_commit"),
)
