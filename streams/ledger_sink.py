"""Record what HR and executives are paid from in the ledger, live, as the worker emits it.

One agent (``sla-ledger``) reads the outbound topics the ledger keeps (penalties, SLA
outcomes, attributions, dead letters) in batches of up to :data:`BATCH_MAX` values or
:data:`BATCH_WITHIN` seconds, parses them and writes each batch with
:meth:`sla_police.ledger.Ledger.record` in a thread (SQLAlchemy blocks; the event loop must
not). The schema is migrated when the agent starts.

Why it is safe to replay: the ledger dedupes by event id and outbound ids are deterministic,
so a batch seen again (redelivery after a crash, the ticket stage's outbox re-sending, two
workers) inserts nothing. Offsets are committed only after a batch is recorded (Faust acks a
``take()`` batch once the loop body is done), so nothing is lost either.

Failures: a transient database error (server down, connection lost, file locked) is retried
with capped backoff until it succeeds; meanwhile only these topics' partitions pause (Faust's
per-partition flow control), the SLA pipeline keeps running. A value that is not an outbound
event (should not happen) is logged and skipped. A batch the database refuses for another
reason is recorded one event at a time, so only the event at fault is skipped (and logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import faust
import stamina
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models import OUTBOUND_TYPES, CloudEvent, parse_event
from models.topics import ATTRIBUTIONS, DEAD_LETTERS, OUTCOMES, PENALTIES
from sla_police.ledger import Ledger, RecordStats
from streams import metrics

__all__ = [
    "BATCH_MAX",
    "BATCH_WITHIN",
    "LEDGER_TOPICS",
    "LedgerSink",
    "add_ledger_sink",
    "parse_values",
]

logger = logging.getLogger("sla_police.streams.ledger")

#: The outbound topics whose events the ledger keeps (notifications and alerts are not kept:
#: alerts repeat sla-outcomes, notifications are messages about events already kept).
LEDGER_TOPICS = (PENALTIES, OUTCOMES, ATTRIBUTIONS, DEAD_LETTERS)
BATCH_MAX = 500  # values per ledger transaction, at most
BATCH_WITHIN = 1.0  # seconds: a partial batch is written after this long
_RETRY_WAIT_MAX = 30.0  # seconds: longest pause between two tries of a failing database


def _is_transient(exc: Exception) -> bool:
    """True for database errors that trying again can cure (lost server, locked file)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def parse_values(values: Iterable[bytes | None]) -> list[CloudEvent]:
    """The outbound events among ``values``; anything else is logged and left out."""
    events: list[CloudEvent] = []
    for raw in values:
        parsed = parse_event(raw, accept="any")
        if isinstance(parsed, CloudEvent) and parsed.type in OUTBOUND_TYPES:
            events.append(parsed)
        else:
            what = parsed.reason if not isinstance(parsed, CloudEvent) else parsed.type
            logger.error("ledger: skipped a value that is not an outbound event (%s): %r",
                         what, (raw or b"")[:200])
    return events


class LedgerSink:
    """The ledger at one URL, driven from the event loop: every database call runs in a
    thread, transient failures are retried with backoff (forever: the ledger must not lose
    what HR is paid from, and Kafka keeps the backlog)."""

    def __init__(self, url: str, *, wait_initial: float = 0.5,
                 wait_max: float = _RETRY_WAIT_MAX) -> None:
        self.ledger = Ledger(url)  # raises LedgerError for an unsupported database: fail fast
        self._retry = {"on": _is_transient, "attempts": None, "timeout": None,
                       "wait_initial": wait_initial, "wait_max": wait_max}

    async def _call(self, fun: Any, *args: Any) -> Any:
        async for attempt in stamina.retry_context(**self._retry):
            with attempt:
                return await asyncio.to_thread(fun, *args)
        raise AssertionError("unreachable: stamina retries until success or raises")

    async def migrate(self) -> str:
        """Create or upgrade the schema (idempotent; concurrent workers take turns)."""
        revision = await self._call(self.ledger.migrate)
        logger.info("ledger %s at schema revision %s", self.ledger.url, revision)
        return revision

    async def record(self, values: Sequence[bytes | None]) -> RecordStats:
        """Record the outbound events among ``values``; count them in the metrics."""
        events = parse_values(values)
        if not events:
            return RecordStats()
        try:
            stats = await self._call(self.ledger.record, events)
        except Exception:  # not transient: find the event at fault, keep the others
            logger.exception("ledger: a batch of %d events failed; recording them one by one",
                             len(events))
            stats = await self._record_singly(events)
        _observe(stats)
        return stats

    async def _record_singly(self, events: list[CloudEvent]) -> RecordStats:
        """One transaction per event, so a refused event costs only itself."""
        stats = RecordStats()
        for event in events:
            try:
                stats.add(await self._call(self.ledger.record, [event]))
            except Exception:
                logger.exception("ledger: skipped %s %s, which the database refused",
                                 event.type, event.id)
        return stats

    async def close(self, *_: Any, **__: Any) -> None:
        """Close the pooled connections (usable as a Faust shutdown signal receiver)."""
        await asyncio.to_thread(self.ledger.close)


def _observe(stats: RecordStats) -> None:
    """Count every event of a batch: ``observe_ledger_record`` counts one write per call."""
    for event_type, n in stats.inserted.items():
        for _ in range(n):
            metrics.observe_ledger_record(event_type, inserted=True)
    for event_type, n in stats.duplicates.items():
        for _ in range(n):
            metrics.observe_ledger_record(event_type, inserted=False)


def add_ledger_sink(app: faust.App, pipeline: Any, settings: Any) -> LedgerSink | None:
    """Add the ``sla-ledger`` agent to ``app``, recording into ``settings.database_url``.

    Off when the setting ``ledger_enabled`` is false (returns None).
    """
    if not getattr(settings, "ledger_enabled", True):
        logger.info("ledger sink disabled (SLA_LEDGER_ENABLED=false)")
        return None
    sink = LedgerSink(settings.database_url)
    names = [pipeline.topics.outbound[name].get_topic_name() for name in LEDGER_TOPICS]
    channel = pipeline.topics.outbound[PENALTIES].derive(topics=names)

    @app.agent(channel, name="sla-ledger", concurrency=1)
    async def ledger_agent(stream: faust.StreamT) -> None:
        await sink.migrate()
        async for values in stream.take(BATCH_MAX, within=BATCH_WITHIN):
            await sink.record(values)

    app.on_before_shutdown.connect(sink.close)
    return sink
