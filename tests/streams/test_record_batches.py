"""Outbound records go out per partition in the order they were added: keyed ones where
Kafka's default partitioner puts them, many at once as record batches."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from streams.record_batches import BATCH_FROM, RecordBatches
from tests.streams.fake_kafka import FakeKafkaProducer


def _batches(**fake: int) -> tuple[RecordBatches, FakeKafkaProducer]:
    producer = FakeKafkaProducer(**fake)
    return RecordBatches(lambda: producer), producer


async def test_keyed_records_go_to_the_default_partitioners_choice_in_order() -> None:
    records, producer = _batches(partitions=3)
    keys = [b"T-%d" % n for n in range(40)] + [b"T-1", b"logistics", b"T-1"]
    for n, key in enumerate(keys):
        records.add("outcomes", key, b"%d" % n, [("ce-id", b"%d" % n)])
    records.add("triggers", b"", b"", [("wm", b"0|x")], partition=2)
    sent = await records.send()
    every = [0, 1, 2]
    expected = {("outcomes", DefaultPartitioner()(key, every, every)) for key in keys}
    assert set(sent) == expected | {("triggers", 2)}
    for topic, partition in expected:  # each partition's records in the order added
        mine = [(k, v, h) for t, p, k, v, h in producer.sent if (t, p) == (topic, partition)]
        assert mine == [(key, b"%d" % n, [("ce-id", b"%d" % n)]) for n, key in enumerate(keys)
                        if DefaultPartitioner()(key, every, every) == partition]
    assert producer.sent[-1] == ("triggers", 2, b"", b"", [("wm", b"0|x")])
    assert await records.send() == {}


async def test_a_partition_with_many_records_gets_record_batches_full_ones_first() -> None:
    records, producer = _batches(batch_room=5)
    for n in range(12):
        records.add("tickets-changelog", b"k%d" % n, None, partition=1)
    records.add("tickets-changelog", b"few", b"v", partition=0)
    sent = await records.send()
    assert producer.batches == 3  # 5 + 5 + 2; the partition with one record: one by one
    assert [key for _, _, key, _, _ in producer.sent] == [
        *(b"k%d" % n for n in range(12)), b"few"]
    future, last = sent[("tickets-changelog", 1)]
    assert (future.result().offset, last) == (10, 1)  # the third batch, its second record
    assert len([r for r in producer.sent if r[1] == 1]) >= BATCH_FROM


async def test_two_sends_at_once_keep_a_partitions_order() -> None:
    records, producer = _batches()
    real, delays = producer.send_batch, [0.02, 0.0]

    async def slow_send_batch(*args, **kwargs):  # waits, as aiokafka's may: longer the 1st
        await asyncio.sleep(delays.pop(0))
        return await real(*args, **kwargs)

    producer.send_batch = slow_send_batch
    for n in range(BATCH_FROM):
        records.add("t", b"first-%d" % n, b"", partition=0)
    first = asyncio.ensure_future(records.send())
    await asyncio.sleep(0)  # the first send took its records and waits on the client
    for n in range(BATCH_FROM):
        records.add("t", b"second-%d" % n, b"", partition=0)
    await asyncio.gather(first, records.send())
    assert [key for _, _, key, _, _ in producer.sent] == [
        *(b"first-%d" % n for n in range(BATCH_FROM)),
        *(b"second-%d" % n for n in range(BATCH_FROM))]


def test_a_custom_partitioner_is_refused() -> None:
    app = SimpleNamespace(conf=SimpleNamespace(producer_partitioner=lambda *a: 0))
    with pytest.raises(ValueError, match="default partitioner"):
        RecordBatches.of(app)  # type: ignore[arg-type]


async def test_every_undelivered_record_and_batch_is_reported() -> None:
    """Batches (a full one and the rest) and single records alike: each failed future is
    handed to ``on_failure``, which the app's producer uses to stop committing."""
    producer = FakeKafkaProducer(batch_room=5)
    producer.fail_with = ConnectionError("broker away")
    failed: list[BaseException] = []
    records = RecordBatches(lambda: producer, lambda future: failed.append(future.exception()))
    for n in range(BATCH_FROM):  # partition 0: two record batches
        records.add("t", b"k%d" % n, b"", partition=0)
    for n in range(2):  # partition 1: two records sent one by one
        records.add("t", b"k%d" % n, b"", partition=1)
    await records.send()
    await asyncio.sleep(0)  # done-callbacks run on the loop
    assert producer.batches == 2 and failed == [producer.fail_with] * 4


async def test_records_the_client_refuses_to_take_are_reported_as_undelivered() -> None:
    """aiokafka raises from ``send_batch`` when its buffer stays full past the request
    timeout (a broker away): those records are out of the queue, and the batch that made
    them is acked all the same, so ``on_failure`` must hear of them as of a failed
    delivery; the error still reaches the caller."""
    producer = FakeKafkaProducer()
    refused = KafkaTimeoutError()

    async def full_buffer(*_args, **_kwargs):
        raise refused

    producer.send_batch = full_buffer  # type: ignore[method-assign]
    failed: list[BaseException] = []
    records = RecordBatches(lambda: producer, lambda future: failed.append(future.exception()))
    for n in range(BATCH_FROM):
        records.add("t", b"k%d" % n, b"", partition=0)
    with pytest.raises(KafkaTimeoutError):
        await records.send()
    assert failed == [refused]
    assert await records.send() == {}  # what was refused is not sent again by this worker


async def test_a_cancelled_send_is_not_a_failure() -> None:
    """Cancelling (the worker stopping) is not a lost record: a restart resumes from the
    last commit, which the stopping worker makes only after a complete flush."""
    producer = FakeKafkaProducer()

    async def cancelled(*_args, **_kwargs):
        raise asyncio.CancelledError

    producer.send = cancelled  # type: ignore[method-assign]
    failed: list[BaseException] = []
    records = RecordBatches(lambda: producer, lambda future: failed.append(future.exception()))
    records.add("t", b"k", b"", partition=0)
    with pytest.raises(asyncio.CancelledError):
        await records.send()
    assert failed == []


async def test_a_hook_is_called_by_whichever_send_takes_its_records() -> None:
    """Agents share the records: one agent's send may hand over what another added, and
    the other's own send then finds nothing; its hook still hears of its records."""
    records, producer = _batches()
    producer.gate = gate = asyncio.Event()  # the first hand-over waits at the gate
    heard: list[tuple[str, int, int]] = []

    def hook(name: str):
        return lambda future, *, last: heard.append((name, future.result().offset, last))

    records.add("a", b"k", b"1", partition=0)
    first = asyncio.ensure_future(records.send())  # holds the lock at the gate
    await asyncio.sleep(0)
    records.extend([("t", 1, b"x", b"1")])
    records.when_acknowledged("t", 1, hook("first writer"))
    second = asyncio.ensure_future(records.send())  # waits for the lock
    records.extend([("t", 1, b"y", b"2")])
    records.when_acknowledged("t", 1, hook("second writer"))
    third = asyncio.ensure_future(records.send())
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, second, third)
    await asyncio.sleep(0)
    assert heard == [("first writer", 1, 0), ("second writer", 1, 0)]  # x at 0, y at 1


async def test_a_cancelled_send_still_hands_over_and_calls_its_hooks() -> None:
    records, producer = _batches()
    producer.gate = gate = asyncio.Event()
    heard: list[int] = []
    records.extend([("t", 0, b"k", b"v")])
    records.when_acknowledged("t", 0, lambda future, *, last: heard.append(last))
    sending = asyncio.ensure_future(records.send())
    await asyncio.sleep(0)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert records.lock.locked()  # the hand-over goes on: no other send may overtake it
    gate.set()
    for _ in range(3):
        await asyncio.sleep(0)
    assert producer.sent == [("t", 0, b"k", b"v", [])] and heard == [0]
    assert not records.lock.locked()


async def test_a_hook_hears_of_records_that_could_not_be_handed_over() -> None:
    records, producer = _batches()

    async def refuse(*args, **kwargs):
        raise KafkaTimeoutError()

    producer.send = refuse  # type: ignore[method-assign]
    heard: list[BaseException | None] = []
    records.extend([("t", 0, b"k", b"v")])
    records.when_acknowledged("t", 0, lambda future, *, last: heard.append(future.exception()))
    with pytest.raises(KafkaTimeoutError):
        await records.send()
    assert len(heard) == 1 and isinstance(heard[0], KafkaTimeoutError)


async def test_a_partitions_hooks_are_called_in_hand_over_order() -> None:
    """aiokafka resolves a later hand-over's future first when its records, sent one by one,
    joined the record batch an earlier hand-over sent (whose future, a shield, resolves a
    loop turn later): a table's writes must still be acknowledged in the order sent."""
    records, producer = _batches()
    producer.hold = True
    called: list[tuple[int, int]] = []
    for n in range(2):
        records.add("callers-changelog", b"c-%d" % n, b"v", partition=3)
        records.when_acknowledged("callers-changelog", 3,
                                  lambda done, last, n=n: called.append((n, done.result().offset)))
        await records.send()
    [(first, first_metadata), (second, second_metadata)] = producer.unacknowledged
    second.set_result(second_metadata)
    await asyncio.sleep(0)
    assert called == []  # the earlier hand-over is not acknowledged yet
    first.set_result(first_metadata)
    await asyncio.sleep(0)
    assert called == [(0, 0), (1, 1)]
    assert not records.waiting
