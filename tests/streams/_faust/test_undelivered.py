"""Preconditions of holding commits after an undelivered record: Faust commits right after
``producer.flush()``, and aiokafka's flush returns once a failed batch is done (the defect);
:class:`HoldCommits` turns a failure into a flush that raises, so that commit never happens.

The live path (a broker paused past the request timeout, the worker stopping, its restart
sending what was lost) is ``tests/integration/test_stream_outage.py``.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.producer.message_accumulator import MessageAccumulator
from aiokafka.structs import TopicPartition
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.types import TP

from streams._faust.undelivered import HoldCommits, UndeliveredRecords, report_undelivered

_TP = TP("sla-complaints", 0)


def _failed(exc: BaseException) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future


async def test_aiokafka_flush_returns_after_a_failed_batch() -> None:
    accumulator = MessageAccumulator(cluster=None, batch_size=16384, compression_type=0,
                                     batch_ttl=1.0)
    batch = accumulator.create_builder()
    batch.append(timestamp=None, key=b"k", value=b"v", headers=[])
    future = await accumulator.add_batch(batch, TopicPartition("t", 0), timeout=1.0)
    drained = accumulator._batches[TopicPartition("t", 0)][0]
    drained.failure(exception=ConnectionError("broker away"))
    await asyncio.wait_for(accumulator.flush(), 5.0)  # returns: a failure is "done" too
    assert isinstance(future.exception(), ConnectionError)


async def test_the_app_producer_holds_commits(make_app) -> None:
    assert isinstance(make_app().producer, HoldCommits)


async def test_an_undelivered_record_stops_the_app_and_every_later_commit(make_app) -> None:
    app = make_app()
    consumer, committed = app.consumer, []

    async def commit(offsets) -> bool:
        committed.append(offsets)
        return True

    consumer._commit = commit
    consumer.assignment = lambda: {_TP}
    assert await consumer._commit_offsets({_TP: 5}) and committed == [{_TP: 5}]
    first = ConnectionError("broker away")
    report_undelivered(app, _failed(first))
    report_undelivered(app, _failed(TimeoutError()))  # counted, the first one kept
    for _ in range(2):  # and not only the commit right after it
        with pytest.raises(UndeliveredRecords, match="2 record"):
            await consumer._commit_offsets({_TP: 9})
    assert committed == [{_TP: 5}] and app.producer.undelivered is first
    await app.producer.crashing  # the crash the first failure scheduled on the loop
    assert isinstance(app.crash_reason, UndeliveredRecords)


async def test_a_delivered_record_changes_nothing(make_app) -> None:
    app = make_app()
    delivered = asyncio.get_running_loop().create_future()
    delivered.set_result(None)
    report_undelivered(app, delivered)
    await app.producer.flush()
    assert app.producer.undelivered is None and app.crash_reason is None


async def test_a_record_the_client_refuses_to_take_stops_every_later_commit(
        make_app, monkeypatch) -> None:
    """Faust's driver raises from ``send`` when aiokafka's buffer stays full past the request
    timeout: no future to watch, and the batch is acked all the same, so the producer
    keeps that error as the first failure."""
    refused = KafkaTimeoutError()

    async def full_buffer(self, *args, **kwargs):
        raise refused

    app = make_app()  # built (and its internals checked) before the driver is replaced
    monkeypatch.setattr(aiokafka_driver.Producer, "send", full_buffer)
    with pytest.raises(KafkaTimeoutError):
        await app.producer.send("t", b"k", b"v", None, None, None)
    with pytest.raises(UndeliveredRecords, match="1 record"):
        await app.producer.flush()
    assert app.producer.undelivered is refused
    await app.producer.crashing
    assert isinstance(app.crash_reason, UndeliveredRecords)
