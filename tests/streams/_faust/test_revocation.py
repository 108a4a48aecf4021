"""Preconditions of the commit on revoke: Faust's ``Consumer.on_partitions_revoked`` drops
the acks and committed offsets of revoked partitions *before* the app's handler commits
(the defect); the patch drains and commits while they are still there."""

from __future__ import annotations

import faust
import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

TICKETS = TP("ticket-events", 2)


def _processed(consumer) -> None:
    """The partition as after processing: offset 3 committed, offset 4 acked since."""
    consumer._committed_offset[TICKETS] = 3
    consumer._acked[TICKETS] = [4]


def _remember_handler_view(consumer, seen: dict) -> None:
    async def app_handler(revoked) -> None:  # the app's revoke handler (waits, commits)
        seen["handler"] = (dict(consumer._acked), dict(consumer._committed_offset))

    consumer._on_partitions_revoked = app_handler


async def test_faust_forgets_revoked_acks_before_the_app_handler_runs(make_app) -> None:
    consumer = make_app().consumer
    _processed(consumer)
    seen: dict = {}
    _remember_handler_view(consumer, seen)
    await Consumer.on_partitions_revoked(consumer, {TICKETS})  # Faust's, unpatched
    assert seen["handler"] == ({}, {})  # nothing left to commit: the patch is still needed


async def test_the_patch_commits_before_faust_forgets(
        make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    app: faust.App = make_app()
    consumer = app.consumer
    _processed(consumer)
    seen: dict = {}
    _remember_handler_view(consumer, seen)

    async def wait_empty() -> None:  # Faust's waits for the agents, then commits
        seen["commit"] = dict(consumer._acked)
        seen["stopped"] = (consumer.flow_active, set(consumer._paused_partitions),
                           app.flow_control.is_active())

    monkeypatch.setattr(consumer, "assignment", lambda: {TICKETS})
    monkeypatch.setattr(consumer, "wait_empty", wait_empty)
    await consumer.on_partitions_revoked({TICKETS})
    assert seen["commit"] == {TICKETS: [4]}  # the commit still saw the ack
    assert seen["handler"] == ({}, {})
    assert seen["stopped"] == (False, {TICKETS}, False)  # no new event started meanwhile
