"""Publishing stream-clock ticks: how a replayer, a test or a demo drives time.

With ``SLA_CLOCK=stream`` a worker's clock stands still until it reads a tick
(a message with the ``sla-tick`` header) on BOTH inbound topics of a partition (the
ticket stage) and on ``calls`` (the calls stage, :data:`TICK_TOPICS`).
A tick at ``T`` promises: every event with time <= T is already published.
:func:`watermarks` computes the ticks a JSONL log allows, in file order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models import Rejection, parse_event
from models.topics import CALLS, INBOUND_TOPICS
from streams.topics import TICK

__all__ = ["TICK_TOPICS", "publish_tick", "watermarks"]

#: Every topic a stream-clock tick goes to: the ticket stage's inbound topics and ``calls``.
TICK_TOPICS = (*INBOUND_TOPICS, CALLS)

_EPSILON = timedelta(microseconds=1)


def watermarks(lines: Sequence[bytes]) -> list[datetime | None]:
    """For each line, the latest tick that may follow it: just before the earliest
    time of any later valid event (None when a later event is earlier than anything
    we could promise). The last entry is None: the caller ticks to ``until``."""
    times: list[datetime | None] = []
    for line in lines:
        parsed = parse_event(line, accept="inbound")
        if isinstance(parsed, Rejection):  # a calls event constrains the ticks too
            parsed = parse_event(line, accept="calls")
        times.append(None if isinstance(parsed, Rejection) else parsed.time)
    out: list[datetime | None] = [None] * len(lines)
    low: datetime | None = None
    for i in range(len(lines) - 1, -1, -1):
        out[i] = None if low is None else low - _EPSILON
        if times[i] is not None and (low is None or times[i] < low):
            low = times[i]
    return out


async def publish_tick(producer, partitions: int, when: datetime) -> None:
    """Send a tick at ``when`` to every partition of :data:`TICK_TOPICS` (aiokafka)."""
    header = [(TICK, when.isoformat().encode())]
    for topic in TICK_TOPICS:
        for partition in range(partitions):
            await producer.send(topic, value=b"", key=None, partition=partition, headers=header)

