"""Preconditions of the short consumer poll: Faust still builds the worker's aiokafka
consumer with a 1.5 s long-poll; the app's consumer thread builds it with 100 ms."""

from __future__ import annotations

import inspect

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from streams._faust.short_poll import FETCH_MAX_WAIT_MS


def test_faust_still_hard_codes_a_long_poll() -> None:
    assert "fetch_max_wait_ms=1500" in inspect.getsource(
        AIOKafkaConsumerThread._create_worker_consumer)


async def test_the_worker_consumer_long_polls_100_ms(make_app) -> None:
    app = make_app("memory://")
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # not started
    assert consumer._fetch_max_wait_ms == FETCH_MAX_WAIT_MS == 100
