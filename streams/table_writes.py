"""Table writes without Faust's per-record send machinery.

Faust turns every ``table[key] = value`` into a changelog record through
``Topic.send_soon``: a ``FutureMessage``, the producer buffer's queue, a background
task that hands the record to aiokafka, sensor calls, and a done-callback that
stores the record's offset in the partition's RocksDB. Profiled in the throughput
bench (bench/RESULTS.md), that path cost more CPU than the table write itself, and
the stages write a changelog record for nearly every message they read.

:class:`ChangelogWriter` keeps what that path guarantees and drops the rest:

- **the local store** is written at once, through the table's own store (same
  encoding, same RocksDB database per partition), so later reads see the value;
- **the changelog record** (same key, same value bytes, same partition: the one of
  the message being processed, as Faust's ``partition_for_key`` picks) is queued and
  handed to the Kafka client by :meth:`ChangelogWriter.send`, in write order, which
  keeps each changelog partition in the order the store saw; it goes out with the
  emitter's records, one record batch per partition (:mod:`streams.record_batches`);
- **durability before commit**: Faust flushes this same producer before every offset
  commit, so an input is committed only once its table records are on the broker;
- **persisted offsets**: when a record is acknowledged its offset is stored as the
  partition's persisted offset (what Faust's callback does), so a restarted RocksDB
  worker reads only the changelog written after it.

Every write of a table must go through one writer (mixing in ``table[key] = value``
could reorder records). The pipeline sends the queue after every batch of messages
(``stream.take_events``), even one with a failed message, so the changelog never
lags the store by more than a batch, and always before the batch's offsets are acked.

**One record per key and batch.** The queue keeps only a key's last value, at the
position of its last write: a ticket touched by five messages of a batch costs one
record, not five. A key first written in the batch (absent from the store before)
and deleted again before the send costs nothing (a penalty trigger buffered and
applied in the same batch). Recovery after a crash mid-send then sees each key
either as before the batch or as after it, never in between, and keys in the order
of their last writes; the input of the whole batch is not committed, so it is
processed again. The stages keep their cross-key rules (the department stage writes
a drain's records, outbox, book, then deletes its pending rows) by writing each of
those keys once per batch, in that order (one drain per partition and batch:
:meth:`streams.penalty_stage.PenaltyStage.settle`).

**Which partition.** A record goes to the partition of the message being processed:
Faust's ``current_event()``, which Faust's RocksDB store also needs to pick the
partition's database. Inside a batch no event is current unless the pipeline names it
for each message (``streams._faust.processing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import faust
from faust.streams import current_event
from faust.types import TP

from streams._faust import RowColumn, partition_rows
from streams.interfaces import PartitionOf
from streams.record_batches import RecordBatches

__all__ = ["ChangelogWriter", "ColumnTable", "DirectTable"]


class _Queued:
    """A key's pending changelog record: its last value (None: a deletion), its
    partition, and whether the key was absent from the store before this send's first
    write of it (then a deletion cancels the record instead of sending a tombstone)."""

    __slots__ = ("fresh", "partition", "value")

    def __init__(self, value: bytes | None, partition: int, fresh: bool) -> None:
        self.value, self.partition, self.fresh = value, partition, fresh


class ChangelogWriter:
    """Queues the changelog records of :class:`DirectTable` writes, one per key (its last
    value, at its last write's place); sends them in that order."""

    def __init__(self, app: faust.App, records: RecordBatches | None = None) -> None:
        self.app = app
        self.queued: dict[tuple[DirectTable, bytes], _Queued] = {}
        #: Outbound records, also the emitter's: :meth:`send` hands them all over.
        self.records = RecordBatches.of(app) if records is None else records
        self.tables: dict[str, DirectTable] = {}  # changelog topic -> its table
        #: Called first by :meth:`send`: what adds its records only then (trigger packs).
        self.before_send: list[Callable[[], None]] = []

    def table(self, table: faust.Table, partition_of: PartitionOf, *,
              short_lived: bool = False) -> DirectTable:
        """Write ``table`` through this writer (all of its writes, from now on);
        ``partition_of`` tells a row's partition from its layout (for :meth:`DirectTable.rows`
        on Faust's memory store). ``short_lived``: rows are often deleted soon after they
        are written, so a first write looks the key up (one more store read) to let a
        deletion before the send cancel both records."""
        return DirectTable(self, table, partition_of, short_lived=short_lived)

    def queue(self, table: DirectTable, key: bytes, value: bytes | None, fresh: bool) -> None:
        """Queue ``key``'s record (``fresh``: the key was not in the store before)."""
        earlier = self.queued.pop((table, key), None)
        if earlier is not None:
            fresh = earlier.fresh
            if value is None and fresh:
                return  # written and deleted since the last send: nothing to record
        self.queued[(table, key)] = _Queued(value, _event_partition(), fresh)

    def holds(self, table: DirectTable, key: bytes) -> bool:
        """True if ``key`` has a record waiting to be sent."""
        return (table, key) in self.queued

    def column_table(self, table: faust.Table, partition_of: PartitionOf,
                     derive: Callable[[bytes], bytes]) -> ColumnTable:
        """Like :meth:`table`, with a due column beside the rows (``derive``: a row's
        column record, for rows that come from the changelog)."""
        return ColumnTable(self, table, partition_of, derive)

    async def send(self) -> int:
        """Hand every queued record to the producer, in order; return how many.

        The records go out with whatever the emitter added (:attr:`records`, shared), one
        record batch per partition. The persisted offset of a table's partition is stored
        once per send, from its last record (Faust's callback stores it for every record: a
        RocksDB write each). A partition's records get increasing offsets in send order,
        and a failed send fails the flush before the next commit, so the last one's offset
        says what the earlier ones' would have."""
        for add_records in self.before_send:
            add_records()
        queued, self.queued = self.queued, {}
        names = {table: table.topic_name for table in {table for table, _key in queued}}
        tables = self.tables
        tables.update((name, table) for table, name in names.items())
        self.records.extend((names[table], record.partition, key, record.value)
                            for (table, key), record in queued.items())
        for (topic, _partition), (pending, last) in (await self.records.send()).items():
            table = tables.get(topic)
            if table is not None:
                pending.add_done_callback(partial(table.persisted, last=last))
        return len(queued)


class DirectTable:
    """A bytes-to-bytes Faust table read from its store and written via a writer: the
    production :class:`streams.interfaces.KeyValueStore`."""

    def __init__(self, writer: ChangelogWriter, table: faust.Table,
                 partition_of: PartitionOf, *, short_lived: bool = False) -> None:
        self.writer, self.table, self.partition_of = writer, table, partition_of
        self.short_lived = short_lived
        self._topic_name: str | None = None

    @property
    def topic_name(self) -> str:
        if self._topic_name is None:
            self._topic_name = self.table.changelog_topic.get_topic_name()
        return self._topic_name

    def get(self, key: bytes) -> bytes | None:
        return self.table.data.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        fresh = (self.short_lived and not self.writer.holds(self, key)
                 and self.table.data.get(key) is None)
        self.table.data[key] = value
        self.writer.queue(self, key, value, fresh)

    def __delitem__(self, key: bytes) -> None:
        del self.table.data[key]
        self.writer.queue(self, key, None, False)

    def rows(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, value)`` of every row of ``partitions`` (``partition_rows``)."""
        return partition_rows(self.table, partitions, self.partition_of)

    def persisted(self, pending: Any, *, last: int = 0) -> None:
        """Done-callback of a changelog send: remember its offset as persisted (``last``:
        the partition's last record's offset relative to the one ``pending`` reports, that
        of a record batch's first record)."""
        if pending.cancelled() or pending.exception() is not None:
            return  # the flush before the next commit raises; nothing was persisted
        metadata = pending.result()
        if metadata is None:  # acks=0: no offsets
            return
        tp = TP(metadata.topic, metadata.partition)
        self.table.data.set_persisted_offset(tp, metadata.offset + last)


class ColumnTable(DirectTable):
    """A :class:`DirectTable` whose rows each have a record in a column beside them, written
    in the same local write and never to the changelog (:class:`streams._faust.RowColumn`):
    the production :class:`streams.interfaces.ColumnStore`."""

    def __init__(self, writer: ChangelogWriter, table: faust.Table, partition_of: PartitionOf,
                 derive: Callable[[bytes], bytes]) -> None:
        super().__init__(writer, table, partition_of)
        self.column = RowColumn(table, "due", derive, partition_of)

    def put(self, key: bytes, value: bytes, record: bytes) -> None:
        partition = _event_partition()
        self.column.put(partition, key, value, record)
        self.writer.queue(self, key, value, False)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.put(key, value, self.column.derive(value))

    def __delitem__(self, key: bytes) -> None:
        partition = _event_partition()
        self.column.delete(partition, key)
        self.writer.queue(self, key, None, False)

    def columns(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        return self.column.items(partitions)


def _event_partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("table written outside of stream processing: no partition")
    return event.message.partition
