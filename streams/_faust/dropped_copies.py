"""Stop waiting for a message whose copies the framework dropped from its streams' queues.

**The defect.** A message of a topic several streams read is put on each stream's queue,
with a reference count of one per stream; each stream acks its copy, and the last ack
marks the offset done. On a stop or a rebalance Faust suspends the flow and empties the
queues (``FlowControlEvent.clear``, from ``App._stop_consumer``,
``App._on_partitions_revoked`` and ``resume``): a copy still queued is dropped, so its
message can never be acked in this generation, which is right (it is read again). But
``Consumer.wait_empty`` then waits, without a timeout, until every message a stream took
is acked or gone (``_unacked_messages`` is a weak set; it runs ``gc.collect()``). A message
one stream took and acked while its copy for another was dropped is neither as long as
something still refers to it, and something does: an agent keeps its last batch in its
``async for`` variable, Faust's stream loop its last message in a local. The stop (or the
rebalance) waits forever, warning every 11 s.

In SLA Police the calls agent and the ledger sink in a worker both read ``calls``. Seen once
in ``make test``: ``sla-police up --demo`` did not exit after SIGTERM, waiting for two ticks
of ``calls`` the ledger had written and acked while the calls agent, behind, still had them
queued. With the calls agent slowed by 0.3 s a message it happened on every stop.

**The patch.** The app's flow control counts, before it empties the queues, the copies it
drops of each message; the consumer's ``_clean_unacked_messages`` (``wait_empty`` runs it
after each wait of up to a second) also forgets a message whose copies not acked yet were
all dropped. Forgotten is not acked: the offset is not committed, so the message is read
again, after the restart or by the partition's next owner, as Faust means every message it
drops to be. A copy a stream still holds keeps the wait going until that stream acks it.
"""

from __future__ import annotations

import weakref
from typing import Any

import faust
from faust.streams import Stream
from faust.transport.consumer import Consumer
from faust.types import EventT, Message
from mode.utils.queues import FlowControlEvent, FlowControlQueue

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "ForgetDroppedCopies", "count_dropped", "install_forget_dropped"]

#: message -> copies of it dropped from stream queues (gone with the message)
_DROPPED: weakref.WeakKeyDictionary[Message, int] = weakref.WeakKeyDictionary()
#: flow controls whose ``clear`` counts first
_COUNTING: weakref.WeakSet[FlowControlEvent] = weakref.WeakSet()


class ForgetDroppedCopies:
    """Consumer mixin: a message none of whose unacked copies a stream holds any more is
    no longer waited for (and not acked)."""

    def _clean_unacked_messages(self) -> None:
        super()._clean_unacked_messages()  # type: ignore[misc]
        unacked = self._unacked_messages  # type: ignore[attr-defined]
        unacked -= {message for message in unacked if _all_dropped(message)}


def _all_dropped(message: Message) -> bool:
    dropped = _DROPPED.get(message, 0)
    return bool(dropped) and not message.acked and message.refcount <= dropped


def count_dropped(flow: FlowControlEvent) -> None:
    """Count the event copies in ``flow``'s queues (about to be emptied) per message."""
    for queue in list(flow._queues):
        for item in list(queue._queue):  # type: ignore[attr-defined]
            if isinstance(item, EventT):
                _DROPPED[item.message] = _DROPPED.get(item.message, 0) + 1


def install_forget_dropped(app: faust.App) -> None:
    """Count what ``app``'s flow control drops; give its transport the consumer mixin.
    Before the app starts; idempotent."""
    flow: Any = app.flow_control
    if flow not in _COUNTING:
        clear = flow.clear

        def count_then_clear() -> None:
            count_dropped(flow)
            clear()

        flow.clear = count_then_clear
        _COUNTING.add(flow)
    mix_into_transport(app, "Consumer", ForgetDroppedCopies, Consumer)


_PATCH = "forget dropped copies"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, FlowControlEvent, "clear", ("self",), coroutine=False),
    uses(_PATCH, FlowControlEvent, "clear", "_queues"),
    uses(_PATCH, FlowControlEvent, "resume", "clear"),
    assigns(_PATCH, FlowControlEvent, "__init__", "_queues"),
    uses(_PATCH, FlowControlQueue, "clear", "_queue"),
    uses(_PATCH, faust.App, "_stop_consumer", "clear"),
    uses(_PATCH, faust.App, "_on_partitions_revoked", "clear"),
    method(_PATCH, Consumer, "_clean_unacked_messages", ("self",), coroutine=False),
    uses(_PATCH, Consumer, "wait_empty", "_clean_unacked_messages"),
    assigns(_PATCH, Consumer, "__init__", "_unacked_messages"),
    uses(_PATCH, Stream, "_py_aiter", "unacked"),
    assigns(_PATCH, Message, "__init__", "refcount"),
)
