"""Preconditions of the complete flush: Faust's buffer task hands each queued message to
``ProducerBuffer._send_pending``; Faust's own flush returns while a message is still being
handed over (the defect); :class:`CompleteFlushBuffer` waits for it.

A send is held on an event the test releases, so nothing here depends on timing: a flush
that returns while the send is held returned too early.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from faust.transport.producer import ProducerBuffer

from streams._faust.producer_flush import CompleteFlushBuffer

_NEVER = 30.0  # seconds: only bounds a hang if a flush waited for ever


class _HeldChannel:
    """What ``_send_pending`` hands a message to: records it, holds it until released."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.sent: list[str] = []

    async def publish_message(self, fut, wait: bool = False) -> None:
        await self.released.wait()
        self.sent.append(fut.name)


def _message(channel: _HeldChannel, name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, message=SimpleNamespace(channel=channel))


async def _started(buffer: ProducerBuffer, app: faust.App) -> ProducerBuffer:
    buffer.app = app
    await buffer.start()
    return buffer


async def test_the_app_producer_uses_the_complete_flush_buffer(make_app) -> None:
    app = make_app()
    buffer = app.producer.buffer
    assert isinstance(buffer, CompleteFlushBuffer)
    assert buffer.app is app and isinstance(buffer.pending, asyncio.Queue)
    assert isinstance(buffer.message_sent, asyncio.Event)


async def test_faust_flush_returns_while_a_message_is_in_flight(make_app) -> None:
    channel = _HeldChannel()
    buffer = await _started(ProducerBuffer(), make_app())
    try:
        buffer.put(_message(channel, "a"))
        await asyncio.wait_for(buffer.flush(), _NEVER)  # gives up on the held message
        assert channel.sent == [] and buffer.size == 0  # taken off the queue, not sent
    finally:
        channel.released.set()
        await buffer.stop()


async def test_complete_flush_waits_for_every_message_in_order(make_app) -> None:
    channel = _HeldChannel()
    buffer = await _started(CompleteFlushBuffer(), make_app())
    try:
        for name in "abc":
            buffer.put(_message(channel, name))
        flush = asyncio.ensure_future(buffer.flush())
        while not buffer.in_flight:  # the buffer task took "a" and is handing it over
            await asyncio.sleep(0)
        assert not flush.done()
        channel.released.set()
        await asyncio.wait_for(flush, _NEVER)
        assert channel.sent == ["a", "b", "c"] and buffer.size == 0 and not buffer.in_flight
    finally:
        channel.released.set()
        await buffer.stop()


async def test_complete_flush_sends_the_rest_itself_once_its_task_stopped(make_app) -> None:
    channel = _HeldChannel()
    channel.released.set()
    buffer = CompleteFlushBuffer()
    buffer.app = make_app()  # never started: no task takes messages off the queue
    buffer._stopped.set()  # what ``Service.stop`` sets before ``on_stop`` flushes
    assert buffer.should_stop
    buffer.put(_message(channel, "a"))
    buffer.put(_message(channel, "b"))
    await asyncio.wait_for(buffer.flush(), _NEVER)
    assert channel.sent == ["a", "b"]
