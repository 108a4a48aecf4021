"""Preconditions of ``kafka_producer``: it is the aiokafka producer Faust's producer wraps,
unavailable before the app starts, and the one Faust's flush (run before every offset
commit) waits for, so record batches handed to it are on the broker before a commit."""

from __future__ import annotations

import pytest
from faust.exceptions import NotReady

from streams._faust import kafka_producer


class _Client:
    flushed = 0

    async def flush(self) -> None:
        self.flushed += 1


async def test_faust_flushes_the_producer_record_batches_go_to(make_app) -> None:
    app = make_app()
    with pytest.raises(NotReady):
        kafka_producer(app)  # not started
    client = _Client()
    app.producer._producer = client  # what the producer's start assigns
    assert kafka_producer(app) is client
    await app.producer.flush()  # what the consumer awaits before it commits
    assert client.flushed == 1
