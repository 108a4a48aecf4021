"""Record what HR and executives are paid from in the ledger, live, as the worker emits it.

One agent (``sla-ledger``) reads the outbound topics the ledger keeps (penalties, SLA
outcomes, attributions, dead letters: every outbound type but notifications, wherever it
travels) and the business volumes (``volumes``, an inbound topic no ticket worker reads)
in batches of up to :data:`BATCH_MAX` values or :data:`BATCH_WITHIN` seconds,
parses them and writes each batch with the :class:`LedgerWriter` it is given (the shell
gives it :class:`ledger.Ledger`) in a thread (SQLAlchemy blocks; the event loop must not).

Calls (issue 15): the same agent reads the calls outputs (``caller-blocks``,
``call-quality``, ``block-notices``: :data:`CALLS_LEDGER_TOPICS`) and the inbound ``calls``
topic itself (``call.ended`` records and ``qa.reviewed`` verdicts, which no stage
re-publishes), and hands every calls event to :meth:`LedgerWriter.record_calls`, which keeps
what the ledger has tables for. What on ``calls`` is not a calls input (stream-clock ticks,
invalid lines, which the calls stage dead-letters) is left out without a word.
The schema is migrated when the agent starts.

Business volume for the boards: after migrating, after every batch holding a
``volume.reported``, and every :data:`VOLUME_REFRESH` seconds (a new month, another worker's
reports), the sink reads the current month's volumes back from the ledger and exposes them
as ``sla_business_volume_month`` (:func:`streams.metrics.set_business_volumes`). Read back,
not kept from the batches: the ledger already applies "newest report wins" and "a month's
report beats its days", and it survives restarts and rebalances. Every worker exposes every
department's volume, so dashboards take ``max``, never ``sum``, over instances.

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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import faust
import stamina

from models import KEPT_TYPES, CloudEvent, parse_event
from models.topics import (
    BLOCK_NOTICES,
    CALL_QUALITY,
    CALL_ROUTES,
    CALLER_BLOCKS,
    CALLS,
    OUTBOUND_ROUTES,
    PENALTIES,
    VOLUMES,
)
from streams import metrics

__all__ = [
    "BATCH_MAX",
    "BATCH_WITHIN",
    "CALLS_LEDGER_TOPICS",
    "FEED_TOPICS",
    "LEDGER_TOPICS",
    "NOT_KEPT",
    "VOLUME_REFRESH",
    "LedgerSink",
    "LedgerWriter",
    "RecordCounts",
    "add_ledger_sink",
    "ledger_app_id",
    "parse_calls_inputs",
    "parse_values",
]

logger = logging.getLogger("sla_police.streams.ledger")

#: Outbound types the ledger does not keep: notifications are messages about events it
#: already keeps.
NOT_KEPT = frozenset({"notification.requested"})
#: The outbound topics whose events the ledger keeps: each kept type's first route (alerts,
#: a second route of warnings and breaches, repeat sla-outcomes). Derived from the routes,
#: so a new outbound type (disputes, settled charges) is recorded wherever it travels.
LEDGER_TOPICS = tuple(dict.fromkeys(
    [PENALTIES, *(routes[0][0] for event_type, routes in OUTBOUND_ROUTES.items()
                  if event_type not in NOT_KEPT)]))
#: Business volumes (``volume.reported``, keyed by department): no ticket worker reads them;
#: the sink records them straight from their own inbound topic.
FEED_TOPICS = (VOLUMES,)
#: The calls outputs (:data:`models.topics.CALL_ROUTES`); the inbound ``calls`` topic is read too.
CALLS_LEDGER_TOPICS = (CALLER_BLOCKS, CALL_QUALITY, BLOCK_NOTICES)
BATCH_MAX = 500  # values per ledger transaction, at most
BATCH_WITHIN = 1.0  # seconds: a partial batch is written after this long
VOLUME_REFRESH = 60.0  # seconds between two read-backs of the month's business volumes
_RETRY_WAIT_MAX = 30.0  # seconds: longest pause between two tries of a failing database


class RecordCounts(Protocol):
    """What a write did: new and already-recorded events, per event type."""

    inserted: Counter[str]
    duplicates: Counter[str]

    def add(self, other: Any) -> Any:
        """Add ``other``'s counts to these; return self."""


class LedgerWriter(Protocol):
    """The ledger as the sink uses it (:class:`ledger.Ledger` is one): blocking calls, run
    in a thread; recording the same event twice must change nothing."""

    @property
    def url(self) -> str:
        """Where the ledger is, password hidden (for the log)."""

    def migrate(self) -> str:
        """Create or upgrade the schema; return its revision."""

    def record(self, events: Iterable[CloudEvent]) -> RecordCounts:
        """Record outbound events, idempotently."""

    def record_calls(self, events: Iterable[CloudEvent]) -> int:
        """Record the calls events the ledger keeps (others ignored), idempotently; return
        how many were new."""

    def month_volumes(self, now: datetime) -> Mapping[str, tuple[str, int]]:
        """department -> (unit, count) of business volume for the month of ``now``."""

    def is_transient(self, exc: BaseException) -> bool:
        """True when trying again may cure ``exc`` (server down, file locked)."""

    def close(self) -> None:
        """Close the connections."""


def parse_values(values: Iterable[bytes | None]) -> list[CloudEvent]:
    """The outbound events and business volumes among ``values``; anything else is logged
    and left out."""
    events: list[CloudEvent] = []
    for raw in values:
        parsed = parse_event(raw, accept="any")
        if isinstance(parsed, CloudEvent) and (parsed.type in KEPT_TYPES
                                               or parsed.type in CALL_ROUTES):
            events.append(parsed)
        else:
            what = parsed.reason if not isinstance(parsed, CloudEvent) else parsed.type
            logger.error("ledger: skipped a value that is not an outbound event (%s, %d "
                         "bytes)", what, len(raw or b""))  # never the payload: customer data
    return events


def parse_calls_inputs(values: Iterable[bytes | None]) -> list[CloudEvent]:
    """The calls inputs among values read from the ``calls`` topic; ticks (empty values) and
    invalid lines (dead-lettered by the calls stage) are left out."""
    events = []
    for raw in values:
        parsed = parse_event(raw, accept="calls") if raw else None
        if isinstance(parsed, CloudEvent):
            events.append(parsed)
    return events


class LedgerSink:
    """A ledger writer driven from the event loop: every database call runs in a thread,
    transient failures are retried with backoff (forever: the ledger must not lose what HR
    is paid from, and Kafka keeps the backlog)."""

    def __init__(self, writer: LedgerWriter, *, wait_initial: float = 0.5,
                 wait_max: float = _RETRY_WAIT_MAX) -> None:
        self.writer = writer
        self.migrated = False
        self._retry = {"on": writer.is_transient, "attempts": None, "timeout": None,
                       "wait_initial": wait_initial, "wait_max": wait_max}

    async def _call(self, fun: Any, *args: Any) -> Any:
        async for attempt in stamina.retry_context(**self._retry):
            with attempt:
                return await asyncio.to_thread(fun, *args)
        raise AssertionError("unreachable: stamina retries until success or raises")

    async def migrate(self) -> str:
        """Create or upgrade the schema (idempotent; concurrent workers take turns)."""
        revision = await self._call(self.writer.migrate)
        logger.info("ledger %s at schema revision %s", self.writer.url, revision)
        self.migrated = True
        return revision

    async def record(self, values: Sequence[bytes | None],
                     calls_inputs: Sequence[bytes | None] = ()) -> RecordCounts:
        """Record the outbound events among ``values``; count them in the metrics. The calls
        events among them and the ``calls_inputs`` (values of the ``calls`` topic) go to
        :meth:`LedgerWriter.record_calls`."""
        parsed = parse_values(values)
        events = [e for e in parsed if e.type in KEPT_TYPES]
        calls = [e for e in parsed if e.type in CALL_ROUTES] + parse_calls_inputs(calls_inputs)
        if calls:
            await self.record_calls(calls)
        try:
            stats = await self._call(self.writer.record, events)
        except Exception:  # not transient: find the event at fault, keep the others
            logger.exception("ledger: a batch of %d events failed; recording them one by one",
                             len(events))
            stats = await self._record_singly(events)
        _observe(stats)
        if any(event.type == "volume.reported" for event in events):
            await self.refresh_volumes()
        return stats

    async def record_calls(self, events: list[CloudEvent]) -> int:
        """Hand calls events to the writer; a batch the database refuses (not transiently)
        is recorded one event at a time, so only the event at fault is skipped (logged).
        The inbound ``call.ended``, ``block.requested`` and ``block.decided`` are among them:
        the ledger keeps call records and block requests from them.
        """
        try:
            return await self._call(self.writer.record_calls, events)
        except Exception:
            logger.exception("ledger: a batch of %d calls events failed; recording them one "
                             "by one", len(events))
        new = 0
        for event in events:
            try:
                new += await self._call(self.writer.record_calls, [event])
            except Exception:
                logger.exception("ledger: skipped %s %s, which the database refused",
                                 event.type, event.id)
        return new

    async def refresh_volumes(self, now: datetime | None = None) -> bool:
        """Expose the volumes the ledger holds for the month of ``now`` (default: the wall
        clock); False, and the previous values kept, when the ledger is not migrated yet or
        cannot be read (logged: the boards lag, nothing else suffers)."""
        if not self.migrated:
            return False
        moment = now or datetime.now(UTC)
        try:
            volumes = await asyncio.to_thread(self.writer.month_volumes, moment)
        except Exception as exc:
            logger.warning("ledger: could not read the month's business volumes back (%s)",
                           type(exc).__name__)
            return False
        metrics.set_business_volumes(volumes)
        return True

    async def _record_singly(self, events: list[CloudEvent]) -> RecordCounts:
        """One transaction per event, so a refused event costs only itself."""
        stats = await self._call(self.writer.record, [])  # nothing recorded yet
        for event in events:
            try:
                stats.add(await self._call(self.writer.record, [event]))
            except Exception:
                logger.exception("ledger: skipped %s %s, which the database refused",
                                 event.type, event.id)
        return stats

    async def close(self, *_: Any, **__: Any) -> None:
        """Close the pooled connections (usable as a Faust shutdown signal receiver)."""
        await asyncio.to_thread(self.writer.close)


def _observe(stats: RecordCounts) -> None:
    """Count every event of a batch: ``observe_ledger_record`` counts one write per call."""
    for event_type, n in stats.inserted.items():
        for _ in range(n):
            metrics.observe_ledger_record(event_type, inserted=True)
    for event_type, n in stats.duplicates.items():
        for _ in range(n):
            metrics.observe_ledger_record(event_type, inserted=False)


def ledger_app_id(app_id: str) -> str:
    """The consumer group (Faust app id) of a ledger sink running in its own process: its
    own, so its offsets never mix with the SLA workers' and it can be scaled alone."""
    return f"{app_id}-ledger"


def add_ledger_sink(app: faust.App, outbound: Mapping[str, faust.TopicT],
                    writer: LedgerWriter) -> LedgerSink:
    """Add the ``sla-ledger`` agent to ``app``, recording with ``writer``.

    ``outbound`` are the pipeline's outbound topics (:attr:`streams.topics.Topics.outbound`).
    The app may be a stream worker's (the ledger recorded in the worker) or an app of its
    own with this agent alone (``sla-police ledger sink``: :func:`ledger_app_id`), which
    takes the database writes and their share of the interpreter off the SLA workers."""
    sink = LedgerSink(writer)
    names = [outbound[name].get_topic_name() for name in LEDGER_TOPICS]
    names += [*FEED_TOPICS, *CALLS_LEDGER_TOPICS, CALLS]
    channel = outbound[PENALTIES].derive(topics=names)

    @app.agent(channel, name="sla-ledger", concurrency=1)
    async def ledger_agent(stream: faust.StreamT) -> None:
        await sink.migrate()
        await sink.refresh_volumes()
        async for events in stream.take_events(BATCH_MAX, within=BATCH_WITHIN):
            await sink.record([e.value for e in events if e.message.topic != CALLS],
                              [e.value for e in events if e.message.topic == CALLS])

    @app.timer(VOLUME_REFRESH)
    async def refresh_volumes() -> None:
        await sink.refresh_volumes()

    app.on_before_shutdown.connect(sink.close)
    return sink
