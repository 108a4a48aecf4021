"""After a rebalance, read again everything that was not committed, whatever Faust fetched.

Two faust-streaming 0.15.3 defects together lost input in the two-worker hand-over test
(a taken-over partition's first complaints never reached the agent, so every outcome
of those tickets was missing):

- **Read offsets move past messages that were never delivered.** The fetch loop
  (``Consumer._drain_messages``) hands each record to the agents with
  ``wait_first(callback(message), suspend_flow.wait())`` and then records it as read.
  While a rebalance or a table recovery has the flow suspended, the callback is dropped
  but the record is still marked read, and Faust later *drops* every record below that
  read offset as a duplicate, also after seeking back.
- **No seek back where nothing was committed.** Faust discards what it fetched while
  paused and relies on aiokafka's ``seek_to_committed``, which seeks only partitions
  whose committed offset is above 0; one that has no commit yet keeps its position
  after the discarded records.

**The fix.** :class:`SeekUncommittedToStart` turns off Faust's read-offset filter (Kafka
positions already deliver each partition in order; what a seek delivers twice, the
stages ignore, since they apply every event, tick and trigger once) and makes every
seek to committed offsets also send the partitions without a commit back to their
beginning (with Faust's default ``consumer_auto_offset_reset="earliest"``).

**One request, not one per partition.** aiokafka's ``seek_to_committed`` asks the group
coordinator for each assigned partition in turn (``committed(tp)``: one OffsetFetch
round trip each). A worker is assigned about 100 partitions (inputs, internal topics and
changelogs): at a restart with 1,000,000 open tickets those 97 round trips took 1.8 s
before the worker was ready (bench/RESULTS.md, run S5b). The seek here asks for every
assigned partition in one OffsetFetch (the coordinator's ``fetch_committed_offsets``,
the call ``committed`` makes for one) and then seeks as aiokafka does: to the committed
offset where it is above 0.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.consumer.group_coordinator import GroupCoordinator
from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from mode.threads import QueueServiceThread

from streams._faust.check import Requirement, assigns, method, subclass, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "SeekUncommittedToStart", "install_rebalance_seek", "seek_back"]

logger = logging.getLogger(__name__)


class _NoReadOffsets(dict):
    """Faust's per-partition "read up to" map, with the filter turned off: every lookup
    says "nothing read yet", writes are ignored."""

    def __getitem__(self, key: Any) -> None:
        return None

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def update(self, *args: Any, **kwargs: Any) -> None:
        pass


class SeekUncommittedToStart:
    """Consumer mixin: no read-offset filter; uncommitted partitions restart at offset 0."""

    app: faust.App
    _thread: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._read_offset = _NoReadOffsets()

    async def seek_to_committed(self) -> Mapping[Any, int | None]:
        """Seek every assigned partition to its committed offset, asked in one request;
        without a commit, to its beginning (``earliest``). Faust's ``perform_seek`` calls
        this after every rebalance's recovery."""
        thread = self._thread
        client = thread._ensure_consumer()
        earliest = self.app.conf.consumer_auto_offset_reset == "earliest"
        return await thread.call_thread(_seek_all_to_committed, client, earliest)


async def _seek_all_to_committed(client: AIOKafkaConsumer,
                                 earliest: bool) -> dict[TopicPartition, int | None]:
    """On the consumer thread: one OffsetFetch for ``client``'s whole assignment, then
    aiokafka's seeks (committed offset above 0), and the rest to the beginning."""
    assigned = client.assignment()
    if not assigned:
        return {}
    found = await client._coordinator.fetch_committed_offsets(list(assigned))
    committed: dict[TopicPartition, int | None] = {}
    for tp in assigned:  # -1 ("no commit") is left out by fetch_committed_offsets
        committed[tp] = found[tp].offset if tp in found else None
        if committed[tp]:
            client.seek(tp, committed[tp])
    uncommitted = [tp for tp, offset in committed.items() if not offset]
    if uncommitted and earliest:
        await client.seek_to_beginning(*uncommitted)
        logger.debug("no committed offset, reading from the start: %s", uncommitted)
    return committed


async def seek_back(app: faust.App, topic: str, partition: int, offset: int) -> None:
    """Move the consumer of ``app`` to ``offset`` of one partition, from its own thread.

    Faust's ``Consumer.seek`` calls aiokafka's ``seek`` straight from the event loop of the
    agents, while the consumer thread may be inside ``Fetcher.fetched_records``: the seek's
    ``del _records[tp]`` then crashes that loop (``KeyError: TopicPartition(...)`` in
    ``_drain_messages``, and the worker stopped: seen in the soak, 2026-12-05). Here the seek
    runs on the consumer thread, as the uncommitted-partition seek above does.
    """
    thread = app.consumer._thread  # type: ignore[attr-defined]
    client = thread._ensure_consumer()
    await thread.call_thread(client.seek, TopicPartition(topic, partition), offset)


def install_rebalance_seek(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`SeekUncommittedToStart`.

    Must run before the app creates its consumer (before it starts); idempotent.
    """
    mix_into_transport(app, "Consumer", SeekUncommittedToStart, Consumer)


_PATCH = "rebalance seek"

REQUIRES: tuple[Requirement, ...] = (
    assigns(_PATCH, Consumer, "__init__", "_read_offset"),
    uses(_PATCH, Consumer, "_drain_messages", "_read_offset"),
    uses(_PATCH, Consumer, "perform_seek", "_read_offset"),
    uses(_PATCH, Consumer, "perform_seek", "seek_to_committed"),
    subclass(_PATCH, aiokafka_driver.Consumer, ThreadDelegateConsumer),
    assigns(_PATCH, ThreadDelegateConsumer, "__init__", "_thread"),
    method(_PATCH, ThreadDelegateConsumer, "seek_to_committed", ("self",), coroutine=True),
    # one OffsetFetch for the whole assignment, as aiokafka's committed() asks for one
    assigns(_PATCH, AIOKafkaConsumer, "__init__", "_coordinator"),
    uses(_PATCH, AIOKafkaConsumer, "committed", "fetch_committed_offsets"),
    method(_PATCH, GroupCoordinator, "fetch_committed_offsets", ("self", "partitions"),
           coroutine=True),
    method(_PATCH, AIOKafkaConsumer, "seek", ("self", "partition", "offset"), coroutine=False),
    method(_PATCH, aiokafka_driver.AIOKafkaConsumerThread, "_ensure_consumer", ("self",),
           coroutine=False),
    method(_PATCH, QueueServiceThread, "call_thread", ("self", "fun", "args", "kwargs"),
           coroutine=True),
    subclass(_PATCH, aiokafka_driver.AIOKafkaConsumerThread, QueueServiceThread),
    # seek_back: Faust's own seek calls the client from the wrong thread (the defect)
    uses(_PATCH, aiokafka_driver.AIOKafkaConsumerThread, "seek", "_ensure_consumer"),
    method(_PATCH, AIOKafkaConsumer, "seek_to_beginning", ("self", "partitions"),
           coroutine=True),
    method(_PATCH, AIOKafkaConsumer, "assignment", ("self",), coroutine=False),
)
