"""Outbound records handed to the Kafka client a batch at a time, one record batch per partition.

The stages write about four Kafka records per inbound message (changelog records, outputs on
their routes, penalty triggers, watermarks). Handed over one by one (``producer.send``), each
paid for Faust's wrapper, aiokafka's metadata wait, serialiser and partitioner, a batch
look-up and a future of its own: about a tenth of the worker's CPU in the throughput bench.

:class:`RecordBatches` collects the records of a batch of messages (:meth:`add`, no I/O) and
:meth:`send` hands them over together: per topic partition, in the order they were added,
as record batches built with aiokafka's public batch API (``create_batch``/``send_batch``).
What the one-by-one path guaranteed still holds:

- **the same records**: topic, partition, key, value and headers (timestamps: the time of
  hand-over, as before); a keyed record without a partition goes where Kafka's default
  partitioner puts it (murmur2 of the key, the partitioner aiokafka uses when Faust's
  ``producer_partitioner`` is not set), remembered per key;
- **per-partition order = the order of** :meth:`add`: a partition's records are handed over
  in order, aiokafka sends a partition's batches in the order it received them (the next
  batch waits until the previous one left), and one send at a time (a lock), so two agents
  sending at once cannot interleave their records of one partition;
- **flush before commit**: the records are in aiokafka's accumulator when :meth:`send`
  returns, where the producer flush Faust runs before every offset commit waits for them.
  The pipeline sends before it acks the batch's messages (``streams.pipeline``);
- **no commit after a lost record**: a record or record batch that aiokafka finally fails
  to deliver is reported to the app's producer (``on_failure``), which then refuses every
  flush, so no offset is committed past it, and stops the worker
  (:mod:`streams._faust.undelivered`); so are the records of a :meth:`send` that could not
  hand them all over (it raises), as one failure.

- **who learns of an acknowledgement**: a caller that must act once its records are on the
  broker (the table writer stores the writes then) registers a done-callback with the
  records (:meth:`when_acknowledged`); whichever :meth:`send` takes the records attaches
  it to their partition's last future (several agents share one instance: a send hands
  over what the others added too, so a caller cannot rely on what its own call returns).
  A send that fails to hand them over calls it with the failure; once taken, the
  hand-over finishes even if the caller is cancelled, the lock held until then.
  A partition's callbacks are called in hand-over order, whatever order the futures are
  resolved in: aiokafka resolves a later hand-over's first when its records, sent one by
  one, joined the record batch an earlier one handed over (``send_batch`` returns a
  shield of the batch's future, resolved a loop turn after the records' own futures). A
  table whose writes were acknowledged out of order would otherwise store nothing more.

A partition with few records in one send (the calls stages send after every message) goes
through ``producer.send`` instead: a record batch of its own would wait for the partition's
previous batch to leave (aiokafka's ``send_batch``), a delay per message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import faust
from aiokafka.partitioner import DefaultPartitioner

from streams._faust import kafka_producer, report_undelivered

__all__ = ["RecordBatches", "Sent"]

logger = logging.getLogger(__name__)

#: A partition needs this many records in one send to get a record batch of its own.
BATCH_FROM = 8
#: Keys whose partition is remembered, per topic; the memo starts again beyond this.
_KEYS_KEPT = 65_536

Headers = list[tuple[str, bytes]]  # aiokafka's record builder takes only a list
_NO_HEADERS: Headers = []  # never changed
Record = tuple[str, "int | None", bytes, "bytes | None", Headers]
#: (topic, partition) -> (the future of the last batch or record sent there, the offset of
#: the partition's last record relative to that future's offset).
Sent = dict[tuple[str, int], tuple[asyncio.Future, int]]
#: Called with that future once done, and ``last=`` that relative offset.
Acknowledged = Callable[..., None]


class RecordBatches:
    """Records waiting for :meth:`send`, in the order they were added."""

    def __init__(self, producer: Callable[[], Any],
                 on_failure: Callable[[asyncio.Future], None] | None = None) -> None:
        """``producer``: the started aiokafka producer (asked at each send);
        ``on_failure``: done-callback of every future sent (default: log a failure)."""
        self.producer = producer
        self.on_failure = _log_failure if on_failure is None else on_failure
        self.records: list[Record] = []
        self.hooks: list[tuple[tuple[str, int], Acknowledged]] = []
        #: per partition, the (future, callback) pairs not called yet, in hand-over order
        self.waiting: dict[tuple[str, int], deque[tuple[asyncio.Future, Callable]]] = {}
        self.lock = asyncio.Lock()
        self._partitioner = DefaultPartitioner()
        self._keys: dict[str, tuple[list[int], dict[bytes, int]]] = {}

    @classmethod
    def of(cls, app: faust.App) -> RecordBatches:
        """The records of ``app``'s producer, which must use Kafka's default partitioner
        (Faust's ``producer_partitioner`` unset, as SLA Police leaves it)."""
        if app.conf.producer_partitioner is not None:
            raise ValueError("record batches pick partitions with Kafka's default "
                             "partitioner; producer_partitioner must stay unset")
        return cls(partial(kafka_producer, app), partial(report_undelivered, app))

    def add(self, topic: str, key: bytes, value: bytes | None, headers: Headers | None = None,
            partition: int | None = None) -> None:
        """Queue one record; ``partition`` None: the key's partition (default partitioner)."""
        self.records.append((topic, partition, key, value, headers or _NO_HEADERS))

    def extend(self, records: Iterable[tuple[str, int, bytes, bytes | None]]) -> None:
        """Queue ``(topic, partition, key, value)`` records without headers (changelogs)."""
        self.records.extend((topic, partition, key, value, _NO_HEADERS)
                            for topic, partition, key, value in records)

    def when_acknowledged(self, topic: str, partition: int, hook: Acknowledged) -> None:
        """Call ``hook(future, last=offset)`` when the records added so far for ``topic``'s
        ``partition`` are sent and done (their partition's last future in that send; a
        future that failed if they could not be handed over)."""
        self.hooks.append(((topic, partition), hook))

    async def send(self) -> Sent:
        """Hand every queued record to the Kafka client, each partition's in order; the
        hand-over finishes (and the lock is held) even if this call is cancelled."""
        await self.lock.acquire()
        records, self.records = self.records, []
        hooks, self.hooks = self.hooks, []
        if not records and not hooks:
            self.lock.release()
            return {}
        return await asyncio.shield(asyncio.ensure_future(self._send_taken(records, hooks)))

    async def _send_taken(self, records: list[Record],
                          hooks: list[tuple[tuple[str, int], Acknowledged]]) -> Sent:
        try:
            try:
                sent = await self._hand_over(records)
            except Exception as exc:  # not handed over: as undelivered (cancelling is not)
                failed = self._not_handed_over(exc)
                for _tp, hook in hooks:
                    hook(failed, last=0)
                raise
            for tp, hook in hooks:
                pending, last = sent[tp]  # a hook is registered with records of its tp
                self._in_order(tp, pending, partial(hook, last=last))
            return sent
        finally:
            self.lock.release()

    def _in_order(self, tp: tuple[str, int], pending: asyncio.Future,
                  callback: Callable) -> None:
        """Call ``callback(pending)`` once ``pending`` and every future handed over to
        ``tp`` before it are done."""
        waiting = self.waiting.get(tp)
        if waiting is None:
            waiting = self.waiting[tp] = deque()
        waiting.append((pending, callback))
        pending.add_done_callback(partial(self._call_done, tp))

    def _call_done(self, tp: tuple[str, int], _done: asyncio.Future) -> None:
        waiting = self.waiting.get(tp)
        while waiting and waiting[0][0].done():
            pending, callback = waiting.popleft()
            callback(pending)
        if waiting is not None and not waiting:
            del self.waiting[tp]

    async def _hand_over(self, records: list[Record]) -> Sent:
        producer = self.producer()
        grouped = await self._by_partition(producer, records)
        sent: Sent = {}
        for tp, items in grouped.items():
            send = _send_batches if len(items) >= BATCH_FROM else _send_each
            sent[tp] = await send(producer, *tp, items, self.on_failure)
        return sent

    def _not_handed_over(self, exc: Exception) -> asyncio.Future:
        """Report records the client refused to take (its buffer still full after the
        request timeout, no metadata) as ``on_failure`` reports undelivered ones: they are
        out of the queue, and the batch that made them is acked when its loop body ends,
        error or not (Faust's ``take_events`` acks in a ``finally``), so nothing but this
        keeps its inputs from being committed."""
        failed = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        self.on_failure(failed)
        failed.exception()  # retrieved: no "never retrieved" warning when it is dropped
        return failed

    async def _by_partition(self, producer: Any, records: list[Record],
                            ) -> dict[tuple[str, int], list[tuple[bytes, bytes | None, Headers]]]:
        """The records grouped by topic partition (first seen first), each group in order."""
        for topic in {topic for topic, partition, *_ in records if partition is None}:
            await self._know_partitions(producer, topic)
        grouped: dict[tuple[str, int], list[tuple[bytes, bytes | None, Headers]]] = {}
        keys = self._keys
        for topic, partition, key, value, headers in records:
            if partition is None:
                known, memo = keys[topic]
                partition = memo.get(key)
                if partition is None:
                    partition = memo[key] = self._partitioner(key, known, known)
            items = grouped.get((topic, partition))
            if items is None:
                items = grouped[(topic, partition)] = []
            items.append((key, value, headers))
        return grouped

    async def _know_partitions(self, producer: Any, topic: str) -> None:
        """Load ``topic``'s partitions (metadata) as aiokafka lists them to its partitioner;
        forget the remembered keys if they changed or grew too many."""
        partitions = list(await producer.partitions_for(topic))
        kept = self._keys.get(topic)
        if kept is None or kept[0] != partitions or len(kept[1]) > _KEYS_KEPT:
            self._keys[topic] = (partitions, {})


async def _send_batches(producer: Any, topic: str, partition: int,
                        items: list[tuple[bytes, bytes | None, Headers]],
                        watch: Callable[[asyncio.Future], None]) -> tuple[asyncio.Future, int]:
    """Hand ``items`` over as record batches (a new one when one is full)."""
    batch, last = producer.create_batch(), 0
    for key, value, headers in items:
        metadata = batch.append(timestamp=None, key=key, value=value, headers=headers)
        if metadata is None:  # full: send it, start the next (a first record always fits)
            (await producer.send_batch(batch, topic, partition=partition)).add_done_callback(
                watch)
            batch = producer.create_batch()
            metadata = batch.append(timestamp=None, key=key, value=value, headers=headers)
        last = metadata.offset
    future = await producer.send_batch(batch, topic, partition=partition)
    future.add_done_callback(watch)
    return future, last


async def _send_each(producer: Any, topic: str, partition: int,
                     items: list[tuple[bytes, bytes | None, Headers]],
                     watch: Callable[[asyncio.Future], None]) -> tuple[asyncio.Future, int]:
    """Hand ``items`` over one by one (a partition with few records this time)."""
    future = None
    for key, value, headers in items:
        future = await producer.send(topic, value, key=key, partition=partition,
                                     headers=headers)
        future.add_done_callback(watch)
    assert future is not None
    return future, 0


def _log_failure(future: asyncio.Future) -> None:
    """Log a record that could not be delivered (records without an app: tests, benches)."""
    if not future.cancelled() and future.exception() is not None:
        logger.error("a record batch was not delivered: %r", future.exception())
