"""The topics of the live pipeline and the control headers that travel on them.

Values and keys are raw bytes: events are validated by :mod:`models` in the
agents, never by a Faust codec, so a bad payload is a dead letter, not a crash.

Control messages carry an empty value and one header:

- ``sla-tick`` (on both inbound topics, stream clock): "this partition has
  everything up to <time>"; the ticket stage's clock is the minimum over topics.
- ``sla-wake`` (on the internal clock topic, wall clock): "deadlines are due in
  this partition"; sent by the worker's own timer.
- ``sla-watermark`` (on the internal triggers topic): "ticket partition <p> has
  sent every penalty trigger up to <time>"; orders the department stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from models.topics import COMPLAINTS, DEAD_LETTERS, OUTBOUND_ROUTES, TICKET_EVENTS
from streams.config import StreamSettings

__all__ = ["TICK", "WAKE", "WATERMARK", "Topics", "define_topics", "internal_names"]

TICK = "sla-tick"
WAKE = "sla-wake"
WATERMARK = "sla-watermark"

_RAW = {"key_serializer": "raw", "value_serializer": "raw"}


@dataclass(frozen=True)
class Topics:
    ticket_input: faust.TopicT  # complaints + ticket-events + clock, co-partitioned
    clock: faust.TopicT
    triggers: faust.TopicT
    outbound: dict[str, faust.TopicT]
    partitions: int


def internal_names(app_id: str) -> tuple[str, str]:
    """(clock topic, triggers topic): prefixed by the app id, so apps never share them."""
    return f"{app_id}-clock", f"{app_id}-penalty-triggers"


def define_topics(app: faust.App, settings: StreamSettings) -> Topics:
    """The pipeline's topics in ``app``, with ``settings.topic_partitions`` partitions."""
    clock_name, triggers_name = internal_names(settings.app_id)
    n = settings.topic_partitions
    outbound_names = {topic for routes in OUTBOUND_ROUTES.values() for topic, _ in routes}
    return Topics(
        ticket_input=app.topic(COMPLAINTS, TICKET_EVENTS, clock_name, partitions=n, **_RAW),
        clock=app.topic(clock_name, partitions=n, internal=True, **_RAW),
        triggers=app.topic(triggers_name, partitions=n, internal=True, **_RAW),
        outbound={name: app.topic(name, partitions=n, **_RAW)
                  for name in sorted(outbound_names | {DEAD_LETTERS})},
        partitions=n,
    )
