"""Precondition of ``streams._faust.current_event``: Faust's current event is a per-task
context variable that take_events' buffer task does not hand to the agent's body, and
``processing`` sets what ``faust.streams.current_event()`` returns in the calling task."""

from __future__ import annotations

import asyncio

from faust.streams import current_event

from streams._faust import processing
from streams.fakes import FakeEvent


async def test_processing_sets_the_current_event_of_this_task_only() -> None:
    event = FakeEvent("ticket-events", 3, 17)
    seen_elsewhere: list[object] = []

    async def other_task() -> None:
        seen_elsewhere.append(current_event())

    other = asyncio.get_running_loop().create_task(other_task())  # created before the set
    processing(event)
    await other
    assert current_event() is event
    assert seen_elsewhere == [None]
    processing(None)
    assert current_event() is None
