"""Leave the consumer group on stop also in generation 0 (the first member of a group on Tansu).

**The defect** (aiokafka with the Tansu broker). aiokafka's consumer leaves its group when it
stops (``GroupCoordinator._maybe_leave_group``) only if its generation is above 0: on Kafka
a member's first generation is 1. Tansu numbers the first generation of a new group 0, so
the first worker of a group never sends LeaveGroup. The worker that replaces it then finds
the group still led by a member that is gone: Tansu holds its JoinGroup, fails its
SyncGroup with RebalanceInProgress until the old member's session has expired (6 s), and
holds the second JoinGroup again: ready about 8 s later than other restarts. That was the
"one restart in four or five 6 to 8 s slower" of bench/RESULTS.md section 3 (the first
restart after a bench's ingest); reproduced with plain aiokafka consumers: a member of
generation 0 replaced in 11.1 s, later ones in 3.0 s, and 3.0 s every time with this patch.

**The fix.** A consumer mixin whose ``_new_consumer_thread`` wraps the thread's
``_create_worker_consumer``: the aiokafka consumer Faust builds gets a ``stop`` that, before
aiokafka's, gives the group coordinator (built by ``start``) a ``_maybe_leave_group`` which
sends LeaveGroup in generation 0 too (as the Java client does whenever it has a member id)
and otherwise calls aiokafka's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiokafka
import faust
from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import JoinGroupRequest, LeaveGroupRequest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.transport import WorkerConsumerWrapper, mix_into_transport

__all__ = ["REQUIRES", "LeaveInGenerationZero", "install_group_leave", "leave_on_stop"]

logger = logging.getLogger(__name__)


class LeaveInGenerationZero(WorkerConsumerWrapper):
    """Consumer mixin: the worker's aiokafka consumer leaves its group on stop in any
    generation."""

    def wrap_worker_consumer(self, consumer: aiokafka.AIOKafkaConsumer) -> Any:
        return leave_on_stop(super().wrap_worker_consumer(consumer))


def leave_on_stop(consumer: aiokafka.AIOKafkaConsumer) -> aiokafka.AIOKafkaConsumer:
    """Make ``consumer`` (not started yet) leave its group on ``stop`` in generation 0 too."""
    stop = consumer.stop

    async def stop_and_leave() -> None:
        coordinator = consumer._coordinator
        if isinstance(coordinator, GroupCoordinator):
            coordinator._maybe_leave_group = functools.partial(  # type: ignore[method-assign]
                _leave, coordinator, coordinator._maybe_leave_group)
        await stop()

    consumer.stop = stop_and_leave  # type: ignore[method-assign]
    return consumer


async def _leave(coordinator: GroupCoordinator, upstream: Callable[[], Awaitable[None]]) -> None:
    """aiokafka's leave, plus LeaveGroup in generation 0 (a member of Tansu's first one)."""
    if (coordinator.generation != 0 or coordinator._group_instance_id is not None
            or coordinator.member_id == JoinGroupRequest.UNKNOWN_MEMBER_ID):
        await upstream()
        return
    try:
        await coordinator._send_req(LeaveGroupRequest(coordinator.group_id, coordinator.member_id))
    except KafkaError as exc:  # minimal effort, as aiokafka's: the session expires anyway
        logger.warning("LeaveGroup in generation 0 failed: %r", exc)
    else:
        logger.debug("left group %s in generation 0", coordinator.group_id)
    coordinator.reset_generation()


def install_group_leave(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`LeaveInGenerationZero`
    (before it starts)."""
    mix_into_transport(app, "Consumer", LeaveInGenerationZero, Consumer)


_PATCH = "group leave in generation 0"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, Consumer, "_new_consumer_thread", ("self",), coroutine=False),
    method(_PATCH, AIOKafkaConsumerThread, "_create_worker_consumer", ("self", "transport"),
           coroutine=False),
    uses(_PATCH, AIOKafkaConsumerThread, "_create_consumer", "_create_worker_consumer"),
    method(_PATCH, aiokafka.AIOKafkaConsumer, "stop", ("self",), coroutine=True),
    uses(_PATCH, aiokafka.AIOKafkaConsumer, "stop", "_coordinator"),
    assigns(_PATCH, aiokafka.AIOKafkaConsumer, "start", "_coordinator"),
    uses(_PATCH, GroupCoordinator, "close", "_maybe_leave_group"),
    method(_PATCH, GroupCoordinator, "_maybe_leave_group", ("self",), coroutine=True),
    uses(_PATCH, GroupCoordinator, "_maybe_leave_group", "generation"),  # the defect's test
    assigns(_PATCH, GroupCoordinator, "__init__", "generation"),
    assigns(_PATCH, GroupCoordinator, "__init__", "member_id"),
    assigns(_PATCH, GroupCoordinator, "__init__", "_group_instance_id"),
    method(_PATCH, GroupCoordinator, "_send_req", ("self", "request"), coroutine=True),
    method(_PATCH, GroupCoordinator, "reset_generation", ("self",), coroutine=False),
)
