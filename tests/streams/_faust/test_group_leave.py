"""Preconditions of the leave in generation 0: aiokafka still skips LeaveGroup in
generation 0 (the defect), and the app's worker consumer sends it on stop."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.protocol.group import JoinGroupRequest

from streams._faust.group_leave import leave_on_stop


def _coordinator(generation: int) -> GroupCoordinator:
    """A group coordinator (not started) of member ``m`` in ``generation``: records the
    requests it sends; its ``close`` leaves as aiokafka's does."""
    coordinator = object.__new__(GroupCoordinator)
    coordinator.group_id, coordinator.member_id = "g", "m"
    coordinator.generation, coordinator._group_instance_id = generation, None
    coordinator.sent = []

    async def send_req(request):
        coordinator.sent.append(request)

    def reset_generation():
        coordinator.generation = -1
        coordinator.member_id = JoinGroupRequest.UNKNOWN_MEMBER_ID

    async def close():
        await coordinator._maybe_leave_group()

    coordinator._send_req, coordinator.reset_generation = send_req, reset_generation
    coordinator.close = close
    return coordinator


async def test_aiokafka_does_not_leave_in_generation_zero() -> None:
    coordinator = _coordinator(0)
    await coordinator._maybe_leave_group()
    assert coordinator.sent == []  # the defect: Tansu's first generation is 0


def _stopping(generation: int):
    coordinator = _coordinator(generation)
    closed = []

    async def close_client():
        closed.append(True)

    consumer = SimpleNamespace(_closed=False, _coordinator=coordinator, _fetcher=None,
                               _client=SimpleNamespace(close=close_client))

    async def stop():  # aiokafka's stop: close the coordinator (which leaves), the client
        await consumer._coordinator.close()
        await consumer._client.close()

    consumer.stop = stop
    return leave_on_stop(consumer), coordinator, closed


async def test_the_consumer_leaves_in_generation_zero_on_stop() -> None:
    consumer, coordinator, closed = _stopping(0)
    await consumer.stop()
    assert [type(r).__name__ for r in coordinator.sent] == ["LeaveGroupRequest"]
    assert coordinator.sent[0]._member_id == "m" and coordinator.generation == -1
    assert closed == [True]


async def test_later_generations_leave_as_aiokafka_does() -> None:
    consumer, coordinator, _ = _stopping(3)
    await consumer.stop()
    assert len(coordinator.sent) == 1 and coordinator.generation == -1


async def test_the_worker_consumer_is_built_leaving(make_app) -> None:
    app = make_app("memory://")
    consumer = app.consumer._thread._create_worker_consumer(app.transport)  # not started
    assert consumer.stop.__qualname__.startswith("leave_on_stop.")
