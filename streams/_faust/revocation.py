"""Commit what was processed *before* Faust forgets it on a rebalance (issue 4).

**The defect.** When partitions are revoked, faust-streaming's
``Consumer.on_partitions_revoked`` first drops its bookkeeping for them
(``_acked``, ``_committed_offset``, ...) and only then runs the app's revoke
handler, which waits for the agents and commits. That commit therefore has
nothing left to commit for the revoked partitions: every message processed
since the last periodic commit (up to ``broker_commit_interval``, 1 s) is
delivered again after the rebalance, to whichever worker gets the partition.
Faust's rebalancing is eager, so on every join or leave *all* partitions are
revoked, the survivor's own included.

For SLA Police that replay is not harmless: the ticket stage's recovery
re-emits every outbox entry whose cause is not committed (that is how a
SIGKILL loses nothing), so outputs that were already published, breaches
included, were published a second time after a graceful hand-over.

**The fix.** Before Faust's handler runs, stop the flow of messages, wait for
the in-flight events to finish (they are acked when the agent asks for the
next one) and commit; the commit flushes the producer first, so every output
of a committed message is on the broker. Faust's own handler then repeats the
same steps and finds nothing left to do. When the app is stopping, Faust's
``App.on_stop`` already drains and commits, so nothing is added there.
"""

from __future__ import annotations

import logging
from typing import Any

import faust
from faust.transport.consumer import Consumer
from faust.types import TP

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "CommitOnRevoke", "install_commit_on_revoke"]

logger = logging.getLogger(__name__)


class CommitOnRevoke:
    """Consumer mixin: drain and commit revoked partitions while Faust still knows them."""

    app: faust.App

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        consumer: Any = self
        if revoked and not self.app.should_stop:
            await drain_and_commit(consumer)
        await super().on_partitions_revoked(revoked)  # type: ignore[misc]


async def drain_and_commit(consumer: Any) -> None:
    """Pause fetching, wait until every started event is acked, commit (producer flushed)."""
    app = consumer.app
    assignment = consumer.assignment()
    if not assignment:
        return
    consumer.stop_flow()
    app.flow_control.suspend()
    consumer.pause_partitions(assignment)
    app.flow_control.clear()  # buffered, unstarted messages: read again after the rebalance
    await consumer.wait_empty()  # waits for the agents, then commits (flushes the producer)
    logger.debug("committed before revocation: %s", consumer._committed_offset)


def install_commit_on_revoke(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`CommitOnRevoke`.

    Must run before the app creates its consumer (before it starts); idempotent.
    Combines with any consumer class already installed (e.g. exact end offsets).
    """
    mix_into_transport(app, "Consumer", CommitOnRevoke, Consumer)


_PATCH = "commit on revoke"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, Consumer, "on_partitions_revoked", ("self", "revoked"), coroutine=True),
    uses(_PATCH, Consumer, "on_partitions_revoked", "_committed_offset"),
    uses(_PATCH, Consumer, "on_partitions_revoked", "_on_partitions_revoked"),
    method(_PATCH, Consumer, "assignment", ("self",), coroutine=False),
    method(_PATCH, Consumer, "stop_flow", ("self",), coroutine=False),
    method(_PATCH, Consumer, "pause_partitions", ("self", "tps"), coroutine=False),
    method(_PATCH, Consumer, "wait_empty", ("self",), coroutine=True),
    uses(_PATCH, Consumer, "wait_empty", "commit"),
    assigns(_PATCH, Consumer, "__init__", "_committed_offset"),
)
