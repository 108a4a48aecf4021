"""Hand each fetched message to its stream without four tasks per message.

**Defect.** Faust's fetcher (``Consumer._drain_messages``) delivers every message it reads
with ``await self.wait_first(callback(message), self.suspend_flow.wait())``: mode's
``Service.wait_first`` wraps the delivery, the flow wait and the consumer's own "stopped"
and "crashed" waits in four tasks, waits for the first with ``asyncio.wait`` and cancels
the other three. The delivery (decode, then put on the stream's queue) almost always
completes without waiting, yet the message paid 42 µs on this VM where the delivery alone
takes 2.5 (``bench.bench_delivery``; bench/RESULTS.md §0000): about a sixth of what an
empty Faust agent spends per message. Without it the worker's CPU per message fell by a
fifth and the ledger sink's per inbound event by a third.

**Patch.** A consumer mixin whose ``wait_first`` recognises that one call (two awaitables,
no timeout, the second the consumer's own ``suspend_flow.wait()``) and runs the delivery
at once, up to its first wait, as an eager task would:

- it finishes there (the queue had room): the flow wait is closed unstarted and the
  result is what ``wait_first`` returns when the delivery wins (nothing won, stopping,
  when the consumer was stopped or crashed meanwhile, as upstream reports it);
- it has to wait (a full queue, a lock held): the rest of it becomes a task and goes
  through Faust's own ``wait_first`` against the flow wait, as before, so a suspended
  flow (a rebalance) still frees the fetcher and cancels the delivery;
- it raises: the error comes out of ``wait_first``, as upstream propagates it.

Every other ``wait_first`` call of the consumer (a delivery that is not a plain coroutine
included) takes mode's own path, and a suspended flow sends even this one there. The order
of messages is unchanged: the fetcher awaits each delivery before it reads the next
message, on either path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import CoroutineType
from typing import Any

import faust
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from mode import Service
from mode.services import WaitResults

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.transport import mix_into_transport

__all__ = ["REQUIRES", "EagerDelivery", "finish_later", "install_eager_delivery"]

_EVENT_WAIT = asyncio.Event.wait.__code__


class EagerDelivery:
    """Consumer mixin: the fetcher's per-message ``wait_first`` runs the delivery eagerly."""

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        flow = self.suspend_flow  # type: ignore[attr-defined]
        if timeout is not None or len(coros) != 2 or flow.is_set() \
                or type(coros[0]) is not CoroutineType or not _waits_on(coros[1], flow):
            return await super().wait_first(*coros, timeout=timeout)  # type: ignore[misc]
        delivery, flow_wait = coros
        try:
            waiting_on = delivery.send(None)
        except StopIteration as done:
            flow_wait.close()
            if self._stopped.is_set() or self._crashed.is_set():  # type: ignore[attr-defined]
                return WaitResults([], [], True)
            return WaitResults([delivery], [done.value], False)
        except BaseException:
            flow_wait.close()
            raise
        rest = asyncio.ensure_future(finish_later(delivery, waiting_on))
        return await super().wait_first(rest, flow_wait)  # type: ignore[misc]


def _waits_on(awaitable: Any, event: asyncio.Event) -> bool:
    """Whether ``awaitable`` is an unstarted ``event.wait()`` coroutine."""
    frame = getattr(awaitable, "cr_frame", None)
    return (getattr(awaitable, "cr_code", None) is _EVENT_WAIT and frame is not None
            and frame.f_locals.get("self") is event)


async def finish_later(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    """Drive ``coro``, started elsewhere and suspended where it yielded ``yielded`` (the
    future it waits on, or None for a bare yield), to its end, as a task of its own would.

    What ``coro`` yields is passed up to the task running this unchanged, and what that
    task is woken with (nothing, the future's error, a cancellation) is passed down the
    same way: ``asyncio.Task`` steps this coroutine exactly as it would have stepped
    ``coro``, so a cancellation reaches ``coro`` where it waits.
    """
    while True:
        try:
            await _Yield(yielded)
        except BaseException as exc:  # noqa: BLE001 - passed on to coro, as a task does
            thrown: BaseException | None = exc
        else:
            thrown = None
        try:
            yielded = coro.send(None) if thrown is None else coro.throw(thrown)
        except StopIteration as done:
            return done.value


class _Yield:
    """Awaiting it yields ``value`` to the running task, as the coroutine that yielded it
    would have (a future keeps the "blocking" mark its ``__await__`` set)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return (yield self.value)


def install_eager_delivery(app: faust.App) -> None:
    """Give ``app``'s transport a consumer class with :class:`EagerDelivery` (before it
    starts)."""
    mix_into_transport(app, "Consumer", EagerDelivery, AIOKafkaConsumer)


_PATCH = "eager delivery"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, Service, "wait_first", ("self", "coros", "timeout")),
    uses(_PATCH, Consumer, "_drain_messages", "wait_first"),
    uses(_PATCH, Consumer, "_drain_messages", "suspend_flow"),
    assigns(_PATCH, Consumer, "__init__", "suspend_flow"),
    uses(_PATCH, Service, "wait_first", "_stopped"),
    uses(_PATCH, Service, "wait_first", "_crashed"),
)
