"""Table writes without Faust's per-record send machinery.

Faust turns every ``table[key] = value`` into a changelog record through
``Topic.send_soon``: a ``FutureMessage``, the producer buffer's queue, a background
task that hands the record to aiokafka, sensor calls, and a done-callback that
stores the record's offset in the partition's RocksDB. Profiled in the throughput
bench (bench/RESULTS.md), that path cost more CPU than the table write itself, and
the stages write a changelog record for nearly every message they read.

:class:`ChangelogWriter` keeps what that path guarantees and drops the rest:

- **reads see every write at once**: a write is kept in memory (the table's
  ``unacked``) until it is stored;
- **the changelog record** (same key, same value bytes, same partition: the one of
  the message being processed, as Faust's ``partition_for_key`` picks) is queued and
  handed to the Kafka client by :meth:`ChangelogWriter.send`, in write order, which
  keeps each changelog partition in write order; it goes out with the emitter's
  records, one record batch per partition (:mod:`streams.record_batches`);
- **the local store is written behind the changelog**: once a partition's records
  of a send are acknowledged, their writes go to the table's own store (same
  encoding, same RocksDB database per partition) in one batch, then the partition's
  *persisted offset* (what Faust's callback stores per record), so a restarted
  RocksDB worker reads only the changelog written after it. The store never holds a
  value its changelog may lack: after any stop, that read gives every key the
  changelog's last value (Faust's own path writes the store first, and a SIGKILL
  could leave it ahead of the changelog; ``streams/NOTES.md``);
- **durability before commit**: Faust flushes this same producer before every offset
  commit, so an input is committed only once its table records are on the broker.

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

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

import faust
from faust.streams import current_event
from faust.types import TP

from streams._faust import RowColumn, partition_rows, write_rows
from streams.interfaces import PartitionOf
from streams.record_batches import RecordBatches

__all__ = ["ChangelogWriter", "ColumnTable", "DirectTable", "LostAcknowledgement",
           "written_behind"]

logger = logging.getLogger("sla_police.streams")


class LostAcknowledgement(RuntimeError):
    """A table's send was acknowledged before an earlier one: that one's callback was lost."""


class _Write:
    """One write of a key not yet in the store: its value (None: a deletion), its column
    record (:class:`ColumnTable`), its partition; ``applied`` once its changelog record
    was acknowledged and the write stored."""

    __slots__ = ("applied", "partition", "record", "value")

    def __init__(self, value: bytes | None, record: bytes | None, partition: int) -> None:
        self.value, self.record, self.partition, self.applied = value, record, partition, False


class _Queued:
    """A key's pending changelog record: its last write since the last send; ``fresh``:
    the key was absent before this send's first write of it (then a deletion cancels the
    record instead of sending a tombstone); ``before``: the key's unacknowledged write at
    that moment (what reads see again when the record is cancelled)."""

    __slots__ = ("before", "fresh", "write")

    def __init__(self, write: _Write, fresh: bool, before: _Write | None) -> None:
        self.write, self.fresh, self.before = write, fresh, before


class ChangelogWriter:
    """Queues the changelog records of :class:`DirectTable` writes, one per key (its last
    value, at its last write's place); sends them in that order."""

    def __init__(self, app: faust.App, records: RecordBatches | None = None) -> None:
        self.app = app
        self.queued: dict[tuple[DirectTable, bytes], _Queued] = {}
        #: Outbound records, also the emitter's: :meth:`send` hands them all over.
        self.records = RecordBatches.of(app) if records is None else records
        #: Called first by :meth:`send`: what adds its records only then (trigger packs).
        self.before_send: list[Callable[[], None]] = []

    def table(self, table: faust.Table, partition_of: PartitionOf, *,
              short_lived: bool = False) -> DirectTable:
        """Write ``table`` through this writer (all of its writes, from now on);
        ``partition_of`` tells a row's partition from its layout (for :meth:`DirectTable.rows`
        on Faust's memory store). ``short_lived``: rows are often deleted soon after they
        are written, so a first write looks the key up (one more read) to let a deletion
        before the send cancel both records."""
        return DirectTable(self, table, partition_of, short_lived=short_lived)

    def queue(self, table: DirectTable, key: bytes, write: _Write, fresh: bool) -> None:
        """Queue ``key``'s record (``fresh``: the key was absent before) and let reads of
        ``table`` see ``write`` until it is stored."""
        earlier = self.queued.pop((table, key), None)
        if earlier is None:
            before = table.unacked.get(key)
        else:
            fresh, before = earlier.fresh, earlier.before
            if write.value is None and fresh:  # written and deleted since the last send
                table.cancel(key, before)
                return
        self.queued[(table, key)] = _Queued(write, fresh, before)
        table.unacked[key] = write

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
        record batch per partition. Once a table partition's records are acknowledged,
        their writes are stored and the persisted offset set, from the last record
        (:meth:`DirectTable.acknowledged`, registered with the records: the agents share
        the writer and the records, so another agent's send may hand these over)."""
        for add_records in self.before_send:
            add_records()
        queued, self.queued = self.queued, {}
        names = {table: table.topic_name for table in {table for table, _key in queued}}
        writes_of: dict[tuple[DirectTable, int], list[tuple[bytes, _Write]]] = {}
        records = []
        for (table, key), entry in queued.items():
            write = entry.write
            records.append((names[table], write.partition, key, write.value))
            writes_of.setdefault((table, write.partition), []).append((key, write))
        self.records.extend(records)
        for (table, partition), writes in writes_of.items():
            self.records.when_acknowledged(names[table], partition,
                                           table.acknowledgement(partition, writes))
        await self.records.send()
        return len(queued)


class DirectTable:
    """A bytes-to-bytes Faust table written via a writer: the production
    :class:`streams.interfaces.KeyValueStore`.

    **Written behind its changelog.** A write is kept in :attr:`unacked` (what reads see
    first) and stored only once its changelog record is acknowledged
    (:meth:`acknowledged`, with the partition's persisted offset), so the local store is
    always what the changelog held at some offset at or past the persisted one, whatever
    the stop: a SIGKILL, a crash, a broker outage. A restart applies the changelog
    records after the persisted offset and gets exactly the changelog's last value of
    every key (:mod:`streams.local_tables` needs to discard nothing). Once a send fails,
    or one is acknowledged out of order, the table stores nothing more (:meth:`freeze`):
    a later acknowledgement would store writes past ones the store lacks; either is
    reported as an undelivered record, so the worker stops before its next commit.
    """

    def __init__(self, writer: ChangelogWriter, table: faust.Table,
                 partition_of: PartitionOf, *, short_lived: bool = False) -> None:
        self.writer, self.table, self.partition_of = writer, table, partition_of
        self.short_lived = short_lived
        self.unacked: dict[bytes, _Write] = {}  # key -> its last write not yet stored
        self.frozen = False
        #: per partition: sends registered, sends stored (see :meth:`acknowledged`)
        self.sends: dict[int, int] = {}
        self.stored_sends: dict[int, int] = {}
        self._topic_name: str | None = None
        written_behind(writer.app).add(table.name)

    @property
    def topic_name(self) -> str:
        if self._topic_name is None:
            self._topic_name = self.table.changelog_topic.get_topic_name()
        return self._topic_name

    def get(self, key: bytes) -> bytes | None:
        write = self.unacked.get(key)
        return self.table.data.get(key) if write is None else write.value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        fresh = (self.short_lived and not self.writer.holds(self, key)
                 and self.get(key) is None)
        self.writer.queue(self, key, _Write(value, None, _event_partition()), fresh)

    def __delitem__(self, key: bytes) -> None:
        if self.get(key) is None:
            raise KeyError(key)
        self.writer.queue(self, key, _Write(None, None, _event_partition()), False)

    def rows(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, value)`` of every row of ``partitions`` (``partition_rows``),
        as reads see them."""
        wanted = set(partitions)
        return self._as_read(partition_rows(self.table, wanted, self.partition_of), wanted,
                             lambda write: write.value)

    def _as_read(self, stored: Iterable[tuple[int, bytes, bytes]], partitions: set[int],
                 of_write: Callable[[_Write], Any]) -> Iterator[tuple[int, bytes, bytes]]:
        """``stored`` (partition, key, item) with the writes not stored yet of
        ``partitions`` in force: an item replaced by ``of_write(write)``, a deleted key
        left out, a key not stored yet added."""
        unacked = {key: write for key, write in self.unacked.items()
                   if write.partition in partitions}
        for partition, key, item in stored:
            write = unacked.pop(key, None)
            if write is None:
                yield partition, key, item
            elif write.value is not None:
                yield partition, key, of_write(write)
        for key, write in unacked.items():
            if write.value is not None:
                yield write.partition, key, of_write(write)

    def cancel(self, key: bytes, before: _Write | None) -> None:
        """A write cancelled before its send: reads see ``before`` again (if not stored
        since; otherwise the store holds it)."""
        if before is None or before.applied:
            self.unacked.pop(key, None)
        else:
            self.unacked[key] = before

    def acknowledgement(self, partition: int,
                        writes: list[tuple[bytes, _Write]]) -> Callable[..., None]:
        """The done-callback of the next send of ``partition``'s ``writes``."""
        number = self.sends.get(partition, 0)
        self.sends[partition] = number + 1
        return partial(self.acknowledged, partition=partition, writes=writes, number=number)

    def acknowledged(self, pending: Any, *, partition: int, writes: list[tuple[bytes, _Write]],
                     number: int, last: int = 0) -> None:
        """Done-callback of send ``number`` of ``partition``: store its ``writes`` (one
        batch) and the persisted offset (``last``: the partition's last record's offset
        relative to the one ``pending`` reports, that of a record batch's first record).

        Sends are acknowledged in order (a partition's records are); one that comes out
        of order means an earlier one's callback was lost, and storing this one would
        leave the store past writes it lacks: the table is frozen instead."""
        if self.frozen:
            return
        if pending.cancelled() or pending.exception() is not None:
            self.freeze("a changelog record was not acknowledged")
            return  # the flush before the next commit raises
        if number != self.stored_sends.get(partition, 0):
            reason = (f"send {number} of partition {partition} was acknowledged before "
                      f"send {self.stored_sends.get(partition, 0)}")
            self.freeze(reason)
            self._report(reason)
            return
        self.stored_sends[partition] = number + 1
        self._store(partition, [(key, write.value, write.record) for key, write in writes])
        metadata = pending.result()
        if metadata is not None:  # acks=0: no offsets
            tp = TP(metadata.topic, metadata.partition)
            self.table.data.set_persisted_offset(tp, metadata.offset + last)
        unacked = self.unacked
        for key, write in writes:
            write.applied = True
            if unacked.get(key) is write:
                del unacked[key]

    def _store(self, partition: int, rows: list[tuple[bytes, bytes | None, bytes | None]]) -> None:
        write_rows(self.table, partition, rows)

    def _report(self, reason: str) -> None:
        """Report a lost acknowledgement as an undelivered record: the worker stops before
        its next commit (fence entry 15) instead of running on with a frozen table, whose
        writes would pile up in memory until it stops."""
        lost = asyncio.get_running_loop().create_future()
        lost.set_exception(LostAcknowledgement(f"local table {self.table.name}: {reason}"))
        self.writer.records.on_failure(lost)

    def freeze(self, reason: str) -> None:
        """Store nothing more: the local store stays what the changelog held up to the
        persisted offset (reads still see every write)."""
        if not self.frozen:
            self.frozen = True
            logger.warning("local table %s frozen at its persisted offsets: %s; a restart "
                           "reads its changelog from there", self.table.name, reason)


class ColumnTable(DirectTable):
    """A :class:`DirectTable` whose rows each have a record in a column beside them, written
    in the same local write and never to the changelog (:class:`streams._faust.RowColumn`):
    the production :class:`streams.interfaces.ColumnStore`."""

    def __init__(self, writer: ChangelogWriter, table: faust.Table, partition_of: PartitionOf,
                 derive: Callable[[bytes], bytes]) -> None:
        super().__init__(writer, table, partition_of)
        self.column = RowColumn(table, "due", derive, partition_of)

    def put(self, key: bytes, value: bytes, record: bytes) -> None:
        self.writer.queue(self, key, _Write(value, record, _event_partition()), False)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.put(key, value, self.column.derive(value))

    def columns(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, record)`` of every row of ``partitions``, as reads see them."""
        wanted = set(partitions)
        return self._as_read(self.column.items(wanted), wanted, lambda write: write.record)

    def _store(self, partition: int, rows: list[tuple[bytes, bytes | None, bytes | None]]) -> None:
        self.column.write(partition, rows)


_WRITTEN_BEHIND: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def written_behind(app: Any) -> set[str]:
    """Names of ``app``'s tables written through a :class:`ChangelogWriter` (their local
    stores are always a prefix of their changelogs)."""
    return _WRITTEN_BEHIND.setdefault(app, set())


def _event_partition() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("table written outside of stream processing: no partition")
    return event.message.partition
