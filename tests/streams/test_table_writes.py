"""The changelog writer sends one record per key and batch, to the partition named.

A crash mid-send must leave each key either as before the batch or as after it (the
batch's input is processed again), so the queue keeps a key's last value at the place
of its last write; a short-lived key written and deleted before the send costs nothing.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from streams._faust import processing
from streams.fakes import FakeEvent
from streams.record_batches import BATCH_FROM, RecordBatches
from streams.table_writes import ChangelogWriter
from tests.streams.fake_kafka import FakeKafkaProducer


class _Store(dict):
    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted = (tp, offset)
        self.__dict__.setdefault("calls", []).append((tp.partition, offset))


def _writer() -> tuple[ChangelogWriter, FakeKafkaProducer]:
    producer = FakeKafkaProducer()
    records = RecordBatches(lambda: producer)
    return ChangelogWriter(SimpleNamespace(), records), producer  # type: ignore[arg-type]


def _faust_table(name: str) -> Any:
    topic = SimpleNamespace(get_topic_name=lambda: f"{name}-changelog")
    return SimpleNamespace(data=_Store(), changelog_topic=topic)


async def test_a_key_written_often_in_a_batch_is_sent_once_at_its_last_write() -> None:
    writer, producer = _writer()
    tickets = writer.table(_faust_table("tickets"), lambda k, v: None)
    current = FakeEvent("topic", 2, 0)
    processing(current)
    tickets[b"a"] = b"a1"
    tickets[b"b"] = b"b1"
    tickets[b"a"] = b"a2"
    assert tickets.get(b"a") == b"a2"  # the store is written at once
    assert await writer.send() == 2
    assert producer.sent == [("tickets-changelog", 2, b"b", b"b1", []),
                             ("tickets-changelog", 2, b"a", b"a2", [])]
    assert await writer.send() == 0


async def test_a_short_lived_row_written_and_deleted_before_the_send_costs_nothing() -> None:
    writer, producer = _writer()
    state = writer.table(_faust_table("state"), lambda k, v: None, short_lived=True)
    current = FakeEvent("topic", 0, 0)
    processing(current)
    state[b"old"] = b"1"
    await writer.send()
    producer.sent.clear()
    state[b"new"] = b"x"
    del state[b"new"]
    state[b"old"] = b"2"
    del state[b"old"]  # it was on the changelog before: a tombstone
    await writer.send()
    assert producer.sent == [("state-changelog", 0, b"old", None, [])]


async def test_without_short_lived_a_deletion_is_always_a_tombstone() -> None:
    writer, producer = _writer()
    tickets = writer.table(_faust_table("tickets"), lambda k, v: None)
    current = FakeEvent("topic", 1, 0)
    processing(current)
    tickets[b"a"] = b"1"
    del tickets[b"a"]
    await writer.send()
    assert producer.sent == [("tickets-changelog", 1, b"a", None, [])]


async def test_each_task_writes_to_the_partition_of_its_current_event() -> None:
    writer, producer = _writer()
    tickets = writer.table(_faust_table("tickets"), lambda k, v: None)

    async def agent(partition: int, key: bytes) -> None:
        current = FakeEvent("topic", partition, 0)
        processing(current)  # Faust's current event, as the pipeline sets it per message
        await asyncio.sleep(0)  # the other task names its partition meanwhile
        tickets[key] = key

    await asyncio.gather(agent(1, b"one"), agent(3, b"three"))
    await writer.send()
    assert sorted((key, partition) for _, partition, key, _, _ in producer.sent) == [
        (b"one", 1), (b"three", 3)]


async def test_the_persisted_offset_is_stored_once_per_partition_and_send() -> None:
    """From the last record of each partition (a RocksDB write each, not one per record)."""
    writer, _producer = _writer()
    table = _faust_table("tickets")
    tickets = writer.table(table, lambda k, v: None)
    for partition, key in ((0, b"a"), (1, b"b"), (0, b"c")):
        current = FakeEvent("topic", partition, 0)  # held: the current event is a weak ref
        processing(current)
        tickets[key] = key
    assert await writer.send() == 3
    await asyncio.sleep(0)  # done-callbacks run on the loop
    assert sorted(table.data.calls) == [(0, 1), (1, 0)]  # each partition's own offsets


async def test_the_persisted_offset_of_a_record_batch_is_its_last_records() -> None:
    """A partition with many records goes out as a record batch: its future reports the
    batch's first offset, the persisted one is the last record's."""
    writer, producer = _writer()
    table = _faust_table("tickets")
    tickets = writer.table(table, lambda k, v: None)
    current = FakeEvent("topic", 1, 0)
    processing(current)
    tickets[b"first"] = b"x"
    await writer.send()  # offset 0, one by one
    keys = [b"k%d" % n for n in range(BATCH_FROM)]
    for key in keys:
        tickets[key] = key
    assert await writer.send() == BATCH_FROM
    await asyncio.sleep(0)
    assert producer.batches == 1
    assert [key for _, _, key, _, _ in producer.sent] == [b"first", *keys]
    assert table.data.calls == [(1, 0), (1, BATCH_FROM)]
