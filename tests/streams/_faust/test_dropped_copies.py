"""Preconditions of "forget dropped copies": a message two streams read, acked by one while
its copy for the other was still queued, is waited for forever once Faust empties the queues
for a stop or a rebalance (the defect); patched, the wait forgets it, without acking it."""

from __future__ import annotations

import gc

import faust
from faust.transport.consumer import ConsumerMessage
from faust.types import TP

CALLS = TP("calls", 2)


async def _shared_message(app: faust.App) -> tuple[ConsumerMessage, list]:
    """A message of ``calls``, a topic two streams subscribe to (acks on, as the agents'
    topics are), delivered as Faust's conductor does: one reference per stream, an event on
    each stream's queue."""
    message = ConsumerMessage(CALLS.topic, CALLS.partition, 3, 0.0, 0, [], b"c-1", b"tick", 0)
    message.incref(2)
    copies = []
    for _ in range(2):
        channel = app.topic(CALLS.topic).clone(is_iterator=True)
        app.topics.add(channel)
        event = app.create_event(b"c-1", b"tick", [], message)
        channel.queue.put_nowait(event)
        copies.append((channel, event))
    await app.topics._update_indices()
    assert app.topics.acks_enabled_for(CALLS.topic)
    return message, copies


def _taken_and_acked(app: faust.App, channel, message: ConsumerMessage) -> faust.EventT:
    """What a stream does with its copy: take it (tracked), process it, ack it."""
    event = channel.queue.get_nowait()
    message.tracked = True
    app.consumer.unacked.add(message)
    event.ack()
    return event


def _stop_empties_the_queues(app: faust.App) -> None:
    """``App._stop_consumer``'s (and a rebalance's) steps before ``wait_empty``."""
    app.flow_control.suspend()
    app.flow_control.clear()


async def test_faust_waits_for_a_message_whose_other_copy_it_dropped() -> None:
    app = faust.App("sla-police-defect", broker="kafka://127.0.0.1:9")  # not patched
    message, [(ledger, _), _calls] = await _shared_message(app)
    last_batch = [_taken_and_acked(app, ledger, message)]  # the agent keeps its last batch
    _stop_empties_the_queues(app)
    app.consumer._clean_unacked_messages()  # what wait_empty does after each wait
    gc.collect()
    assert message in app.consumer.unacked and message.refcount == 1  # waited for, forever
    assert last_batch


async def test_the_wait_forgets_it_and_the_offset_stays_uncommitted(make_app) -> None:
    app = make_app()
    message, [(ledger, _), _calls] = await _shared_message(app)
    last_batch = [_taken_and_acked(app, ledger, message)]
    _stop_empties_the_queues(app)
    app.consumer._clean_unacked_messages()
    assert message not in app.consumer.unacked
    assert not message.acked and not app.consumer._acked[CALLS]  # read again after the stop
    assert last_batch


async def test_a_copy_a_stream_still_holds_is_waited_for_until_acked(make_app) -> None:
    app = make_app()
    message, [(ledger, _), (calls, _)] = await _shared_message(app)
    _taken_and_acked(app, ledger, message)
    held = calls.queue.get_nowait()  # the calls agent took its copy and is processing it
    _stop_empties_the_queues(app)  # nothing of this message left in a queue
    app.consumer._clean_unacked_messages()
    assert message in app.consumer.unacked
    held.ack()
    app.consumer._clean_unacked_messages()
    assert message.acked and message not in app.consumer.unacked
    assert app.consumer._acked[CALLS] == [3]
