"""Put a mixin into the classes an app's transport instantiates (consumer, producer).

The fixes in :mod:`streams._faust.revocation`, :mod:`streams._faust.rebalance_seek`,
:mod:`streams._faust.end_offsets` and :mod:`streams._faust.producer_flush` correct
faust-streaming behaviour by subclassing its consumer or producer. Faust builds those
from the ``Consumer`` and ``Producer`` attributes of the app's transport instance
(``Transport.create_consumer``/``create_producer``), so a subclass set there reaches only
this app, and mixins combine. A mixin set after the app built the object would do
nothing, so that is refused; the app keeps the built objects in ``App._consumer`` and
``App._producer`` (None until the ``consumer``/``producer`` properties build them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import faust
from faust.transport import base as transport_base
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.transport.producer import Producer

from streams._faust.check import Requirement, subclass, uses

__all__ = ["REQUIRES", "WorkerConsumerWrapper", "built", "mix_into_transport"]

Kind = Literal["Consumer", "Producer"]
_PATCH = "transport mixins"


def built(app: faust.App, kind: Kind) -> bool:
    """True once ``app`` has built its consumer (or producer): too late for a mixin."""
    made = app._consumer if kind == "Consumer" else app._producer
    return made is not None


def mix_into_transport(app: faust.App, attribute: Kind, mixin: type, base: type) -> None:
    """Make ``app.transport.<attribute>`` (``"Consumer"`` or ``"Producer"``) a subclass
    of ``mixin`` and the class it was, which must derive from ``base``.

    Must run before the app creates that object (before it starts); idempotent.
    """
    transport = app.transport
    current = getattr(transport, attribute)
    if issubclass(current, mixin):
        return
    if not issubclass(current, base):
        raise TypeError(f"unexpected {attribute.lower()} class {current!r}")
    if built(app, attribute):
        raise RuntimeError(f"{mixin.__name__} must be installed before the app starts")
    combined = type(f"{mixin.__name__}{current.__name__}", (mixin, current),
                    {"__module__": mixin.__module__})
    setattr(transport, attribute, combined)


class WorkerConsumerWrapper:
    """Consumer mixin base: each aiokafka consumer the consumer thread creates goes
    through :meth:`wrap_worker_consumer` (not started yet) before the thread uses it.

    Faust's ``Consumer._new_consumer_thread`` builds an ``AIOKafkaConsumerThread`` whose
    ``_create_worker_consumer(transport)`` makes the aiokafka consumer; the fixes that
    change one of its methods (:mod:`~streams._faust.fetch_positions`,
    :mod:`~streams._faust.group_leave`) subclass this and say how, each calling
    ``super().wrap_worker_consumer`` first, so that mixins combine (the class is shared
    in the MRO: its ``_new_consumer_thread`` runs once, the wraps run in a chain)."""

    def _new_consumer_thread(self) -> Any:
        thread = super()._new_consumer_thread()  # type: ignore[misc]
        create: Callable[[Any], Any] = thread._create_worker_consumer
        wrap = self.wrap_worker_consumer
        thread._create_worker_consumer = lambda transport: wrap(create(transport))
        return thread

    def wrap_worker_consumer(self, consumer: Any) -> Any:
        """``consumer`` changed as the subclasses need; returned."""
        return consumer


def _unbuilt_default(name: str) -> Requirement:
    """``App.<name>`` is a class attribute that is None until the app builds the object."""

    def problem() -> str | None:
        if not hasattr(faust.App, name):
            return "missing"
        default = getattr(faust.App, name)
        return None if default is None else f"class default is {default!r}, expected None"

    return Requirement(_PATCH, f"faust.App.{name}", problem)


REQUIRES: tuple[Requirement, ...] = (
    _unbuilt_default("_consumer"),
    _unbuilt_default("_producer"),
    uses(_PATCH, faust.App, "consumer", "_consumer"),
    uses(_PATCH, faust.App, "producer", "_producer"),
    uses(_PATCH, transport_base.Transport, "create_consumer", "Consumer"),
    uses(_PATCH, transport_base.Transport, "create_producer", "Producer"),
    subclass(_PATCH, aiokafka_driver.Transport.Consumer, Consumer),
    subclass(_PATCH, aiokafka_driver.Transport.Producer, Producer),
)
