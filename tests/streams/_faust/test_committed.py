"""Preconditions of ``known_committed``: Faust's ``Consumer._commit_offsets`` records each
commit in ``_committed_offset``, and a revocation removes the partition from it."""

from __future__ import annotations

import pytest
from faust.types import TP

from streams._faust import known_committed

TICKETS = TP("ticket-events", 3)


async def test_a_commit_is_known_until_its_partition_is_revoked(
        make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    consumer = app.consumer
    assert known_committed(app, "ticket-events", 3) is None  # nothing committed yet

    async def done() -> None:  # a flushed producer; no events in flight
        pass

    async def committed_by_broker(offsets) -> bool:
        return True

    monkeypatch.setattr(consumer, "assignment", lambda: {TICKETS})
    monkeypatch.setattr(app.producer, "flush", done)
    monkeypatch.setattr(consumer, "_commit", committed_by_broker)
    monkeypatch.setattr(consumer, "wait_empty", done)
    assert await consumer._commit_offsets({TICKETS: 42})  # Faust's commit path
    assert known_committed(app, "ticket-events", 3) == 42
    assert known_committed(app, "ticket-events", 2) is None

    async def app_handler(revoked) -> None:
        pass

    consumer._on_partitions_revoked = app_handler
    await consumer.on_partitions_revoked({TICKETS})
    assert known_committed(app, "ticket-events", 3) is None
