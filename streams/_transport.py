"""Put a mixin into the classes an app's transport instantiates (consumer, producer).

The fixes in :mod:`streams.revocation`, :mod:`streams.rebalance_seek` and
:mod:`streams.producer_flush` correct faust-streaming behaviour by subclassing its
consumer or producer. Faust builds those from attributes of the app's transport
instance, so a subclass set there reaches only this app, and mixins combine.
"""

from __future__ import annotations

import faust

__all__ = ["mix_into_transport"]


def mix_into_transport(app: faust.App, attribute: str, mixin: type, base: type) -> None:
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
    if getattr(app, f"_{attribute.lower()}", None) is not None:
        raise RuntimeError(f"{mixin.__name__} must be installed before the app starts")
    combined = type(f"{mixin.__name__}{current.__name__}", (mixin, current),
                    {"__module__": mixin.__module__})
    setattr(transport, attribute, combined)
