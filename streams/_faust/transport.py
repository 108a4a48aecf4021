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

from typing import Literal

import faust
from faust.transport import base as transport_base
from faust.transport.consumer import Consumer
from faust.transport.drivers import aiokafka as aiokafka_driver
from faust.transport.producer import Producer

from streams._faust.check import Requirement, subclass, uses

__all__ = ["REQUIRES", "built", "mix_into_transport"]

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
