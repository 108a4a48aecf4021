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
  handed straight to the app's producer by :meth:`ChangelogWriter.send`, in write
  order, which keeps each changelog partition in the order the store saw;
- **durability before commit**: Faust flushes this same producer before every offset
  commit, so an input is committed only once its table records are on the broker;
- **persisted offsets**: when a record is acknowledged its offset is stored as the
  partition's persisted offset (what Faust's callback does), so a restarted RocksDB
  worker reads only the changelog written after it.

Every write of a table must go through one writer (mixing in ``table[key] = value``
could reorder records). The pipeline sends the queue after every message, even one
that failed, so the changelog never lags the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import faust
from faust.streams import current_event
from faust.types import TP

from streams._faust import RowColumn, partition_rows
from streams.interfaces import PartitionOf

__all__ = ["ChangelogWriter", "ColumnTable", "DirectTable"]


class ChangelogWriter:
    """Queues the changelog records of :class:`DirectTable` writes; sends them in order."""

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.queued: list[tuple[DirectTable, bytes, bytes | None, int]] = []

    def table(self, table: faust.Table, partition_of: PartitionOf) -> DirectTable:
        """Write ``table`` through this writer (all of its writes, from now on);
        ``partition_of`` tells a row's partition from its layout (for :meth:`DirectTable.rows`
        on Faust's memory store)."""
        return DirectTable(self, table, partition_of)

    def column_table(self, table: faust.Table, partition_of: PartitionOf,
                     derive: Callable[[bytes], bytes]) -> ColumnTable:
        """Like :meth:`table`, with a due column beside the rows (``derive``: a row's
        column record, for rows that come from the changelog)."""
        return ColumnTable(self, table, partition_of, derive)

    async def send(self) -> int:
        """Hand every queued record to the producer, in write order; return how many."""
        queued, self.queued = self.queued, []
        send = self.app.producer.send
        for table, key, value, partition in queued:
            pending = await send(table.topic_name, key, value, partition, None, None)
            pending.add_done_callback(table.persisted)
        return len(queued)


class DirectTable:
    """A bytes-to-bytes Faust table read from its store and written via a writer: the
    production :class:`streams.interfaces.KeyValueStore`."""

    def __init__(self, writer: ChangelogWriter, table: faust.Table,
                 partition_of: PartitionOf) -> None:
        self.writer, self.table, self.partition_of = writer, table, partition_of
        self._topic_name: str | None = None

    @property
    def topic_name(self) -> str:
        if self._topic_name is None:
            self._topic_name = self.table.changelog_topic.get_topic_name()
        return self._topic_name

    def get(self, key: bytes) -> bytes | None:
        return self.table.data.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.table.data[key] = value
        self.writer.queued.append((self, key, value, _event_partition()))

    def __delitem__(self, key: bytes) -> None:
        del self.table.data[key]
        self.writer.queued.append((self, key, None, _event_partition()))

    def rows(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, value)`` of every row of ``partitions`` (``partition_rows``)."""
        return partition_rows(self.table, partitions, self.partition_of)

    def persisted(self, pending: Any) -> None:
        """Done-callback of a changelog send: remember its offset as persisted."""
        if pending.cancelled() or pending.exception() is not None:
            return  # the flush before the next commit raises; nothing was persisted
        metadata = pending.result()
        tp = TP(metadata.topic, metadata.partition)
        self.table.data.set_persisted_offset(tp, metadata.offset)


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
        self.writer.queued.append((self, key, value, partition))

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.put(key, value, self.column.derive(value))

    def __delitem__(self, key: bytes) -> None:
        partition = _event_partition()
        self.column.delete(partition, key)
        self.writer.queued.append((self, key, None, partition))

    def columns(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        return self.column.items(partitions)


def _event_partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("table written outside of stream processing: no partition")
    return event.message.partition
