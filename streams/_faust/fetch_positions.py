"""Start positions of newly assigned partitions from one committed-offset request, not one each.

**The defect** (a cost, aiokafka's). After an assignment aiokafka's fetcher gives each
partition without a position its committed offset (``Fetcher._update_fetch_positions``):
it asks for the partitions one after the other, awaiting each answer (an OffsetFetch round
trip) before asking for the next. A worker is assigned about 100 partitions (inputs,
internal topics and changelogs): 73 requests in a row on the consumer's connection at
every start, where Faust's recovery sends its ListOffsets too (Tansu answers a
connection's requests in order), 0.56 s at 2,000 open tickets on a lightly loaded machine.

**The fix.** The fetcher's ``_update_fetch_positions`` is wrapped: it first asks for the
committed offsets of every partition that needs one at once (each partition state's
``fetch_committed()``, all requested before any is awaited: the coordinator's refresh task
sends one OffsetFetch for every partition waiting), applies them as aiokafka does (the
committed offset, or a reset by ``auto_offset_reset`` where there is none), then calls
aiokafka's, which has nothing left to ask one by one and sends the resets' ListOffsets.
With ``auto_offset_reset="none"`` the partitions without a commit are left to aiokafka.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import aiokafka
import faust
from aiokafka.consumer.fetcher import Fetcher, OffsetResetStrategy
from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.consumer.subscription_state import Assignment, TopicPartitionState
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer

from streams._faust.check import Requirement, assigns, method, prop, uses
from streams._faust.transport import WorkerConsumerWrapper, mix_into_transport

__all__ = ["REQUIRES", "PositionsAtOnce", "install_positions_at_once", "positions_at_once"]

_UNKNOWN_OFFSET = -1  # aiokafka's "no committed offset"


class PositionsAtOnce(WorkerConsumerWrapper):
    """Consumer mixin: the worker's aiokafka fetcher asks for committed offsets at once."""

    def wrap_worker_consumer(self, consumer: aiokafka.AIOKafkaConsumer) -> Any:
        return positions_at_once(super().wrap_worker_consumer(consumer))


def positions_at_once(consumer: aiokafka.AIOKafkaConsumer) -> aiokafka.AIOKafkaConsumer:
    """Make ``consumer`` (not started yet) wrap its fetcher once ``start`` has built it."""
    start = consumer.start

    async def start_at_once() -> None:
        await start()
        fetcher = consumer._fetcher
        fetcher._update_fetch_positions = functools.partial(  # type: ignore[method-assign]
            _update_positions, fetcher, fetcher._update_fetch_positions)

    consumer.start = start_at_once  # type: ignore[method-assign]
    return consumer


async def _update_positions(fetcher: Fetcher, upstream: Callable[..., Awaitable[bool]],
                            assignment: Assignment, node_id: int, tps: list) -> bool:
    """Committed offsets of every partition of ``tps`` that needs one, in one request; then
    aiokafka's ``_update_fetch_positions`` for the rest (resets, errors)."""
    states = {tp: assignment.state_value(tp) for tp in tps}
    pending = {tp: state for tp, state in states.items() if _needs_committed(state)}
    if len(pending) > 1:
        asked = [state.fetch_committed() for state in pending.values()]  # before any await
        try:
            answers = await asyncio.gather(*asked)
        except asyncio.CancelledError:  # unassigned meanwhile: as aiokafka's returns
            return False
        reset = fetcher._default_reset_strategy
        for state, committed in zip(pending.values(), answers, strict=True):
            if not _needs_committed(state):  # a seek happened while waiting
                continue
            if committed.offset != _UNKNOWN_OFFSET:
                state.reset_to(committed.offset)
            elif reset != OffsetResetStrategy.NONE:
                state.await_reset(reset)
    return await upstream(assignment, node_id, tps)


def _needs_committed(state: TopicPartitionState) -> bool:
    return not state.has_valid_position and not state.awaiting_reset


def install_positions_at_once(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`PositionsAtOnce` (before it
    starts)."""
    mix_into_transport(app, "Consumer", PositionsAtOnce, Consumer)


_PATCH = "committed positions at once"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, Consumer, "_new_consumer_thread", ("self",), coroutine=False),
    method(_PATCH, AIOKafkaConsumerThread, "_create_worker_consumer", ("self", "transport"),
           coroutine=False),
    uses(_PATCH, AIOKafkaConsumerThread, "_create_consumer", "_create_worker_consumer"),
    method(_PATCH, aiokafka.AIOKafkaConsumer, "start", ("self",), coroutine=True),
    assigns(_PATCH, aiokafka.AIOKafkaConsumer, "start", "_fetcher"),
    method(_PATCH, Fetcher, "_update_fetch_positions", ("self", "assignment", "node_id", "tps"),
           coroutine=True),
    uses(_PATCH, Fetcher, "_update_fetch_positions", "fetch_committed"),  # the defect
    uses(_PATCH, Fetcher, "_fetch_requests_routine", "_update_fetch_positions"),
    assigns(_PATCH, Fetcher, "__init__", "_default_reset_strategy"),
    method(_PATCH, Assignment, "state_value", ("self", "tp"), coroutine=False),
    method(_PATCH, TopicPartitionState, "fetch_committed", ("self",), coroutine=False),
    method(_PATCH, TopicPartitionState, "reset_to", ("self", "position"), coroutine=False),
    method(_PATCH, TopicPartitionState, "await_reset", ("self", "strategy"), coroutine=False),
    prop(_PATCH, TopicPartitionState, "has_valid_position"),
    prop(_PATCH, TopicPartitionState, "awaiting_reset"),
    # one request for every partition waiting: the coordinator's refresh of committed offsets
    uses(_PATCH, GroupCoordinator, "_maybe_refresh_commit_offsets", "requesting_committed"),
)
