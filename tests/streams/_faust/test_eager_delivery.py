"""Preconditions and behaviour of the eager delivery: Faust's fetcher still delivers each
message through ``wait_first`` against the flow wait; the app's consumer runs a delivery
that needs no wait at once, and one that must wait exactly as mode's ``wait_first`` does
(it finishes when it can, a suspended flow cancels it, errors come out)."""

from __future__ import annotations

import asyncio
import inspect
import warnings

import pytest
from faust.transport.consumer import Consumer
from mode import Service

from streams._faust.eager_delivery import EagerDelivery, finish_later


@pytest.fixture
async def consumer(make_app):
    """The app's consumer, built on the test's loop with the fence's mixins, not started."""
    consumer = make_app("memory://").consumer
    assert isinstance(consumer, EagerDelivery)
    return consumer


@pytest.fixture
def upstream_calls(monkeypatch) -> list[int]:
    """Counts the calls that reach mode's own ``wait_first`` (four tasks each)."""
    calls: list[int] = []
    original = Service.wait_first

    async def counted(self, *coros, timeout=None):
        calls.append(len(coros))
        return await original(self, *coros, timeout=timeout)

    monkeypatch.setattr(Service, "wait_first", counted)
    return calls


def test_faust_still_delivers_each_message_through_wait_first() -> None:
    source = " ".join(inspect.getsource(Consumer._drain_messages).split())
    assert "await self.wait_first( callback(message), self.suspend_flow.wait() )" in source


async def test_a_delivery_with_room_runs_at_once_without_tasks(consumer, upstream_calls):
    queue: asyncio.Queue[str] = asyncio.Queue()

    async def deliver(value: str) -> str:
        await queue.put(value)
        return "delivered"

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the unstarted flow wait is closed, not leaked
        result = await consumer.wait_first(deliver("m1"), consumer.suspend_flow.wait())
    assert queue.get_nowait() == "m1"
    assert result.results == ["delivered"] and not result.stopped
    assert upstream_calls == []


async def test_a_delivery_that_must_wait_finishes_when_the_queue_has_room(
        consumer, upstream_calls):
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
    queue.put_nowait("earlier")

    async def deliver(value: str) -> str:
        await queue.put(value)
        return "delivered"

    waiting = asyncio.ensure_future(
        consumer.wait_first(deliver("m2"), consumer.suspend_flow.wait()))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the fetcher waits for the stream, as upstream
    assert queue.get_nowait() == "earlier"
    result = await asyncio.wait_for(waiting, 1)
    assert result.results == ["delivered"] and not result.stopped
    assert queue.get_nowait() == "m2"
    assert upstream_calls == [2]


async def test_a_suspended_flow_frees_the_fetcher_and_cancels_the_delivery(consumer):
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
    queue.put_nowait("earlier")
    seen: list[str] = []

    async def deliver(value: str) -> None:
        try:
            await queue.put(value)
        except asyncio.CancelledError:
            seen.append("cancelled where it waited")
            raise

    waiting = asyncio.ensure_future(
        consumer.wait_first(deliver("m3"), consumer.suspend_flow.wait()))
    await asyncio.sleep(0.01)
    consumer.suspend_flow.set()  # a rebalance
    result = await asyncio.wait_for(waiting, 1)
    await asyncio.sleep(0)
    assert result.results == [True] and not result.stopped  # the flow wait won
    assert seen == ["cancelled where it waited"]
    assert queue.qsize() == 1 and queue.get_nowait() == "earlier"  # m3 never got there


async def test_an_error_in_the_delivery_comes_out_of_wait_first(consumer):
    async def deliver() -> None:
        raise ValueError("undecodable")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="undecodable"):
            await consumer.wait_first(deliver(), consumer.suspend_flow.wait())


async def test_a_stopped_consumer_reports_stopping_as_upstream(consumer):
    consumer._stopped.set()

    async def deliver() -> str:
        return "delivered"

    result = await consumer.wait_first(deliver(), consumer.suspend_flow.wait())
    assert result.stopped and result.results == []


async def test_other_waits_and_a_suspended_flow_take_modes_path(consumer, upstream_calls):
    async def deliver() -> str:
        return "delivered"

    other = asyncio.Event()
    other.set()
    await asyncio.wait_for(consumer.wait_first(deliver(), other.wait()), 1)  # not the flow's
    consumer.suspend_flow.set()
    await asyncio.wait_for(consumer.wait_first(deliver(), consumer.suspend_flow.wait()), 1)
    assert upstream_calls == [2, 2]


async def test_a_cancellation_at_a_bare_yield_reaches_the_coroutine():
    seen: list[str] = []

    async def yields_then_waits() -> None:
        await asyncio.sleep(0)  # a bare yield
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    coro = yields_then_waits()
    first = coro.send(None)  # started elsewhere: it yielded None
    assert first is None
    task = asyncio.ensure_future(finish_later(coro, first))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
