"""Preconditions of the rebalance seek: Faust's consumer keeps a read-offset map that the
patch replaces, reaches aiokafka through ``_thread``, and aiokafka's ``seek_to_committed``
leaves a partition with no commit where it was (the defect the patch works around)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from faust.exceptions import ConsumerNotStarted
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.types import TP

from streams._faust import known_committed
from streams._faust.rebalance_seek import _NoReadOffsets

DONE, FRESH = TP("complaints", 0), TP("complaints", 1)


class _Client:
    """The aiokafka consumer behind the thread: its assignment, one coordinator whose
    OffsetFetch knows a commit for ``DONE`` only, and the seeks made."""

    def __init__(self) -> None:
        self.to_beginning: list[TP] = []
        self.seeks: list[tuple[TP, int]] = []
        self.offset_fetches: list[list[TP]] = []
        self._coordinator = SimpleNamespace(fetch_committed_offsets=self._fetch)

    async def _fetch(self, partitions: list[TP]) -> dict[TP, OffsetAndMetadata]:
        self.offset_fetches.append(sorted(partitions))
        return {DONE: OffsetAndMetadata(5, "")}

    def assignment(self) -> set[TP]:
        return {DONE, FRESH}

    def seek(self, partition: TP, offset: int) -> None:
        self.seeks.append((partition, offset))

    async def seek_to_beginning(self, *partitions: TP) -> None:
        self.to_beginning.extend(partitions)


async def _direct(fun, *args, **kwargs):  # ``call_thread`` without the thread
    return await fun(*args, **kwargs)


def test_the_read_offset_filter_is_off(make_app) -> None:
    consumer = make_app().consumer
    assert isinstance(consumer._read_offset, _NoReadOffsets)
    consumer._read_offset[DONE] = 5
    consumer._read_offset.update({FRESH: 9})
    assert consumer._read_offset[DONE] is None and consumer._read_offset[FRESH] is None


def test_the_consumer_reaches_aiokafka_through_its_thread(make_app) -> None:
    thread = make_app().consumer._thread
    assert isinstance(thread, AIOKafkaConsumerThread)
    with pytest.raises(ConsumerNotStarted):
        thread._ensure_consumer()  # the aiokafka client, once the thread has started


async def test_a_seek_asks_once_and_sends_uncommitted_partitions_to_their_start(
        make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = make_app().consumer
    client = _Client()
    monkeypatch.setattr(consumer._thread, "_ensure_consumer", lambda: client)
    monkeypatch.setattr(consumer._thread, "call_thread", _direct)
    await consumer.perform_seek()  # Faust's own path after an assignment
    assert client.offset_fetches == [[DONE, FRESH]]  # one request for the assignment
    assert client.seeks == [(DONE, 5)]
    assert client.to_beginning == [FRESH]
    assert consumer._read_offset[DONE] is None
    assert known_committed(consumer.app, "complaints", 0) == 5


async def test_aiokafka_committed_asks_the_coordinator_for_one_partition() -> None:
    asked: list[list[TopicPartition]] = []
    tp = TopicPartition("complaints", 0)

    async def fetch_committed_offsets(partitions):
        asked.append(list(partitions))
        return {tp: OffsetAndMetadata(7, "")}

    client = SimpleNamespace(_group_id="g", _coordinator=SimpleNamespace(
        fetch_committed_offsets=fetch_committed_offsets))
    assert await AIOKafkaConsumer.committed(client, tp) == 7
    assert asked == [[tp]]  # the call the one-request seek makes for the whole assignment


async def test_aiokafka_seek_to_committed_skips_partitions_without_a_commit() -> None:
    done, fresh = TopicPartition("complaints", 0), TopicPartition("complaints", 1)
    seeks: list[tuple[TopicPartition, int]] = []

    async def committed(tp):
        return {done: 5, fresh: None}[tp]

    client = SimpleNamespace(
        _subscription=SimpleNamespace(assigned_partitions=lambda: {done, fresh}),
        committed=committed,
        _fetcher=SimpleNamespace(seek_to=lambda tp, offset: seeks.append((tp, offset))),
    )
    result = await AIOKafkaConsumer.seek_to_committed(client)
    assert result == {done: 5, fresh: None}
    assert seeks == [(done, 5)]  # ``fresh`` keeps its position: the patch is still needed
