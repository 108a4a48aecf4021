"""Publish a JSONL file of inbound events to Kafka, each to its topic, keyed by ticket id.

Every line is validated with :func:`models.parse.parse_event` before it is sent: valid
events go to :func:`models.topics.inbound_topic_for` their type with key = ``subject``
(UTF-8) and value = the line's bytes unchanged (so duplicates stay byte-identical).
Invalid lines are reported and skipped, unless ``send_invalid`` asks to send them anyway
to exercise the dead-letter path: then they go where they claim to belong
(:func:`models.topics.inbound_route`, the routing replay predicts dead letters with).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from models import CloudEvent, parse_event
from models.topics import inbound_route, inbound_topic_for

__all__ = ["InvalidLine", "PublishReport", "publish_lines"]

#: How many invalid lines a report keeps verbatim (the rest are only counted).
MAX_INVALID_SAMPLES = 20
_IN_FLIGHT = 5000  # deliveries awaited in batches of this many
_PROGRESS_EVERY = 500


@dataclass(frozen=True, slots=True)
class InvalidLine:
    """A line refused by the contract: 1-based line number and why."""

    line_number: int
    reason: str


@dataclass(slots=True)
class PublishReport:
    """What a publish did. ``sent`` counts records per topic (invalid ones included when
    they were sent); ``invalid`` counts every invalid line, ``samples`` keeps the first 20."""

    lines: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    invalid: int = 0
    invalid_sent: int = 0
    samples: list[InvalidLine] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_sent(self) -> int:
        """Records sent, all topics together."""
        return sum(self.sent.values())

    @property
    def invalid_skipped(self) -> int:
        """Invalid lines that were not sent."""
        return self.invalid - self.invalid_sent

    @property
    def events_per_second(self) -> float:
        """Throughput of the whole run (0 when nothing took time)."""
        return self.total_sent / self.seconds if self.seconds > 0 else 0.0


def _raw(line: str | bytes) -> bytes:
    """The line's bytes without its line terminator."""
    data = line.encode("utf-8") if isinstance(line, str) else line
    return data.rstrip(b"\r\n")


class _Throttle:
    """Caps the send rate at ``rate`` records per second (None: no cap)."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self._rate, self._start, self._count = rate, time.monotonic(), 0

    async def wait(self) -> None:
        if self._rate is None:
            return
        self._count += 1
        ahead = self._start + (self._count - 1) / self._rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)


async def publish_lines(
    lines: Iterable[str | bytes],
    bootstrap: str,
    *,
    send_invalid: bool = False,
    now: datetime | None = None,
    rate: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> PublishReport:
    """Validate and send ``lines`` to Kafka at ``bootstrap``; return what happened.

    ``now`` is the processing time for the contract's future-time check (default: the
    wall clock); ``rate`` caps records per second; ``progress(n)`` is told every few hundred
    lines how many more were handled. Delivery errors propagate (after the producer stops).
    """
    from aiokafka import AIOKafkaProducer

    now = now or datetime.now(UTC)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id="sla-police-publish", linger_ms=5,
        acks="all", enable_idempotence=False, max_batch_size=256 * 1024,
    )
    report, started = PublishReport(), time.monotonic()
    try:
        await producer.start()
        await _send_all(producer, lines, report, now, send_invalid, _Throttle(rate), progress)
    finally:
        await producer.stop()
    report.seconds = time.monotonic() - started
    return report


async def _send_all(producer: Any, lines: Iterable[str | bytes], report: PublishReport,
                    now: datetime, send_invalid: bool, throttle: _Throttle,
                    progress: Callable[[int], None] | None) -> None:
    """The send loop: validate, route, send; await deliveries in batches."""
    pending: list[asyncio.Future[Any]] = []
    for number, line in enumerate(lines, start=1):
        report.lines = number
        raw = _raw(line)
        target = _route(raw, number, now, send_invalid, report)
        if target is not None:
            await throttle.wait()
            pending.append(await producer.send(target[0], raw, key=target[1]))
            report.sent[target[0]] += 1
        if len(pending) >= _IN_FLIGHT:
            await asyncio.gather(*pending)
            pending.clear()
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(_PROGRESS_EVERY)
    await asyncio.gather(*pending)
    if progress is not None and report.lines % _PROGRESS_EVERY:
        progress(report.lines % _PROGRESS_EVERY)


def _route(raw: bytes, number: int, now: datetime, send_invalid: bool,
           report: PublishReport) -> tuple[str, bytes | None] | None:
    """Where a line goes, or None when it is invalid and not to be sent (counted)."""
    event = parse_event(raw, now=now, accept="publish")  # ticket events, volumes, calls
    if isinstance(event, CloudEvent):
        return inbound_topic_for(event.type), event.subject.encode("utf-8")
    report.invalid += 1
    if len(report.samples) < MAX_INVALID_SAMPLES:
        report.samples.append(InvalidLine(number, event.reason))
    if not send_invalid:
        return None
    report.invalid_sent += 1
    return inbound_route(raw)
