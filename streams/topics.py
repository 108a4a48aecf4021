"""The topics of the live pipeline and the control headers that travel on them.

Values and keys are raw bytes: events are validated by :mod:`models` in the
agents, never by a Faust codec, so a bad payload is a dead letter, not a crash.

Control messages carry an empty value and one header:

- ``sla-tick`` (on both inbound topics, stream clock): "this partition has
  everything up to <time>"; the ticket stage's clock is the minimum over topics.
- ``sla-wake`` (on the internal clock topic): sent by the worker's own timer. With the
  wall clock it is a *checkpoint* (:class:`Checkpoint`): "at <instant> the partition's
  inbound topics ended at these offsets"; the ticket stage moves the partition's clock to
  that instant once it has processed those offsets, so a deadline never fires before the
  events the log already held at its due time. With the stream clock it only asks the
  stage to fire what is due by the partition's current clock.
- ``sla-watermark`` (on the internal triggers topic): "ticket partition <p> has
  sent every penalty trigger up to <time>"; orders the department stage.

The triggers topic's other records are *packs*: keyed by department, a value of one or
more trigger events' JSON, one per line (:mod:`streams.emit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import faust

from models.topics import COMPLAINTS, DEAD_LETTERS, OUTBOUND_ROUTES, TICKET_EVENTS
from streams.config import StreamSettings

__all__ = ["TICK", "WAKE", "WATERMARK", "Checkpoint", "Topics", "define_topics",
           "internal_names"]

TICK = "sla-tick"
WAKE = "sla-wake"
WATERMARK = "sla-watermark"

_RAW = {"key_serializer": "raw", "value_serializer": "raw"}


@dataclass(frozen=True)
class Checkpoint:
    """A wall-clock wake-up: the instant ``at`` (ISO 8601) and the end offsets ``ends`` of
    the partition's inbound topics at that instant (topic name -> next offset)."""

    at: str
    ends: dict[str, int]

    def encode(self) -> bytes:
        return json.dumps({"at": self.at, "ends": self.ends}, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, header: bytes) -> Checkpoint:
        obj = json.loads(header)
        return cls(at=obj["at"], ends={str(k): int(v) for k, v in obj["ends"].items()})


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
