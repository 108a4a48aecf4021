"""Preconditions of the committed positions at once: aiokafka's fetcher still asks for the
committed offsets of new partitions one after the other (the defect), and the wrapped one
asks once for all of them and starts each where aiokafka would."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import Fetcher, OffsetResetStrategy
from aiokafka.consumer.subscription_state import Assignment
from aiokafka.structs import OffsetAndMetadata

from streams._faust.fetch_positions import _update_positions

DONE, FRESH, OTHER = (TopicPartition("complaints", p) for p in range(3))
COMMITTED = {DONE: 5, OTHER: 9}  # FRESH has no commit


async def _coordinator(assignment: Assignment, requests: list[list[TopicPartition]]) -> None:
    """The group coordinator's refresh task: one OffsetFetch for every partition waiting."""
    while True:
        await assignment.commit_refresh_needed.wait()
        assignment.commit_refresh_needed.clear()
        asked = sorted(assignment.requesting_committed())
        requests.append(asked)
        for tp in asked:
            assignment.state_value(tp).update_committed(
                OffsetAndMetadata(COMMITTED.get(tp, -1), ""))


async def _positions(update) -> tuple[Assignment, list[list[TopicPartition]]]:
    assignment, requests = Assignment({DONE, FRESH, OTHER}), []
    refresh = asyncio.create_task(_coordinator(assignment, requests))
    try:
        await update(assignment)
    finally:
        refresh.cancel()
    return assignment, requests


def _fetcher() -> SimpleNamespace:
    async def list_offsets(node_id, topic_data):  # aiokafka's ListOffsets for the resets
        return {TopicPartition(topic, p): (0, -1) for topic, parts in topic_data.items()
                for p, _ in parts}

    return SimpleNamespace(_default_reset_strategy=OffsetResetStrategy.EARLIEST,
                           _proc_offset_request=list_offsets, _set_error=None)


async def test_aiokafka_asks_for_committed_offsets_one_partition_at_a_time() -> None:
    fetcher = _fetcher()
    _, requests = await _positions(
        lambda assignment: Fetcher._update_fetch_positions(fetcher, assignment, 0,
                                                           [DONE, FRESH, OTHER]))
    assert requests == [[DONE], [FRESH], [OTHER]]  # the defect: a round trip each


async def test_the_wrapped_fetcher_asks_once_and_starts_where_aiokafka_would() -> None:
    fetcher, seen = _fetcher(), []

    async def upstream(assignment, node_id, tps):
        seen.append(list(tps))
        return False

    assignment, requests = await _positions(
        lambda assignment: _update_positions(fetcher, upstream, assignment, 0,
                                             [DONE, FRESH, OTHER]))
    assert requests == [[DONE, FRESH, OTHER]]
    assert assignment.state_value(DONE).position == 5
    assert assignment.state_value(OTHER).position == 9
    assert assignment.state_value(FRESH).reset_strategy == OffsetResetStrategy.EARLIEST
    assert seen == [[DONE, FRESH, OTHER]]  # aiokafka's then sends the reset of FRESH


async def test_the_worker_consumer_is_built_wrapping_its_fetcher(make_app) -> None:
    app = make_app("memory://")
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # not started
    assert consumer.start.__qualname__.startswith("positions_at_once.")
