"""Wire the live pipeline into a Faust app: agents, recovery hooks, timers.

Agents stay thin (decode, call :mod:`sla`, emit, persist) and never die on one
message: an unexpected error dead-letters that message with the reason and the
stream moves on. Recovery callbacks run before Faust resumes the streams, so
the deadline index and the stages' buffers are rebuilt before any new input.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import faust
from faust.types import TP

from models.topics import COMPLAINTS, INBOUND_TOPICS, TICKET_EVENTS
from sla import outcomes
from sla.engine import SlaEngine
from sla.specs import SlaConfig
from streams import metrics
from streams._faust import processing, seek_back
from streams.calls_pipeline import CallsPipeline, add_calls_stage
from streams.config import StreamSettings
from streams.emit import Emitter
from streams.end_offset_probe import EndOffsetProbe
from streams.offsets import KnownCommitted, committed_offsets
from streams.penalty_stage import PenaltyStage, state_partition
from streams.recovery import actives_ready
from streams.table_writes import ChangelogWriter
from streams.ticket_stage import TicketRecovery, TicketStage, mark_partition, ticket_partition
from streams.ticket_store import due_record_of_value, unpack_due_head
from streams.topics import WAKE, Checkpoint, Topics, define_topics

__all__ = ["Pipeline", "build_pipeline"]

logger = logging.getLogger("sla_police.streams")
SWEEP_INTERVAL = 300.0  # seconds between safety-net sweeps of the ticket table
WAKE_RESEND = 0.2  # seconds before a wake-up that was not answered is sent again
WATERMARK_EVERY = 1.0  # seconds: wall-clock watermarks even when nothing is due
STALL_AFTER = 10.0  # seconds an input partition may stand short of its end: re-read


class Pipeline:
    """The stages of one worker and the bookkeeping of which partitions it owns."""

    def __init__(self, app: faust.App, settings: StreamSettings, config: SlaConfig) -> None:
        self.app, self.settings = app, settings
        self.topics: Topics = define_topics(app, settings)
        self.writer = ChangelogWriter(app)  # every write of the stages' tables
        self.emitter = Emitter(app, self.topics, self.writer.records)  # sent with them
        self.writer.before_send.append(self.emitter.flush_triggers)  # a record per department
        raw = {"key_type": bytes, "value_type": bytes, "partitions": self.topics.partitions}
        self.ticket_table = app.Table("tickets", **raw)  # also served by the web view
        commits = KnownCommitted(app)
        self.tickets = TicketStage(
            SlaEngine(config), self.emitter, settings.clock, commits=commits,
            clock_topic=self.topics.clock.get_topic_name(),
            tickets=self.writer.column_table(self.ticket_table, ticket_partition,
                                             due_record_of_value),
            marks=self.writer.table(app.Table("clock-marks", **raw), mark_partition),
            cache_size=settings.ticket_cache)
        self.penalties = PenaltyStage(
            config, self.emitter, sources=self.topics.partitions, commits=commits,
            topic_name=self.topics.triggers.get_topic_name(), frontier=self.tickets.frontier,
            state=self.writer.table(app.Table("penalty-state", **raw), state_partition,
                                    short_lived=True))
        self.recovery = TicketRecovery(self.tickets)
        self.frontier = self.tickets.frontier  # every input partition's processed offsets
        self.ticket_partitions: set[int] = set()
        self.trigger_partitions: set[int] = set()
        self.wakes: dict[int, float] = {}
        self.end_offsets = EndOffsetProbe(settings.kafka_bootstrap or "")
        if settings.clock == "wall":
            app.add_dependency(self.end_offsets)  # started and stopped with the app
        self.last_sweep = time.monotonic()
        self.calls: CallsPipeline | None = None  # the calls stages, added by build_pipeline

    # -- message handling -------------------------------------------------------------

    async def process_batch(self, stage: Any, events: list[faust.EventT]) -> None:
        """Process a batch of messages (``stream.take_events``) one by one, settle the
        department stage once per partition, then hand the batch's changelog records to
        the producer: one per key changed (:mod:`streams.table_writes`).

        Faust acks the batch's messages only once this returns, and flushes the producer
        before it commits them, so an input is never committed before its records are
        on the broker; a crash mid-batch commits none of the batch.
        """
        try:
            for event in events:
                processing(event)  # Faust's current event: the tables' partition
                await self.guarded(stage, event)
            if stage is self.penalties:
                await self._settle_penalties()
        finally:  # what reached the store goes to its changelog, even after an error
            processing(None)
            await self.writer.send()

    async def _settle_penalties(self) -> None:
        """Settle each triggers partition the batch touched (its triggers kept in one row,
        one drain if watermarks moved); a failure dead-letters its last message."""
        for partition, (last, released) in self.penalties.take_touched().items():
            processing(last)
            try:
                await self.penalties.settle(partition, last.message.offset, released)
            except Exception as exc:  # as guarded: record it and move on
                logger.error("failed to settle triggers partition %d at offset %s: %s",
                             partition, last.message.offset, traceback.format_exc())
                await self._dead_letter(last, f"internal error: {type(exc).__name__}: {exc}")

    async def guarded(self, stage: Any, event: faust.EventT) -> None:
        """Process one message; an unexpected error dead-letters it, never the agent.

        A message this worker already processed since it got the partition (delivered
        again by a re-read of skipped input) only counts as seen: processing it twice
        would, for instance, publish its dead letter twice. The department stage only
        receives the message here; :meth:`process_batch` drains.
        """
        message = event.message
        tp = (message.topic, message.partition)
        repeat = False
        try:
            if stage is self.tickets:
                await self.ensure_tickets_ready(message.partition, message)
            else:
                await self.ensure_penalties_ready(message.partition)
            repeat = self.frontier.processed(tp, message.offset)
            if not repeat and stage is self.penalties:
                stage.receive(event)
            elif not repeat:
                await stage.process(event)
        except Exception as exc:  # a bug must not stop the stream: record it and move on
            logger.error("failed on %s[%s]@%s: %s", *tp, message.offset,
                         traceback.format_exc())
            await self._dead_letter(event, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            if repeat or message.topic == self.tickets.clock_topic:  # else the stage did
                self.frontier.seen(tp, message.offset)
            await self._read_skipped_again(tp, message.offset)

    async def _read_skipped_again(self, tp: tuple[str, int], offset: int) -> None:
        """Seek back over input the framework skipped (see :mod:`streams.frontier`)."""
        target = self.frontier.read_again(tp)
        if target is not None:
            logger.warning("%s[%d]: offsets from %d were skipped (first message after them: "
                           "%d); reading them again", *tp, target, offset)
            metrics.observe_input_reread(tp[0])
            await seek_back(self.app, *tp, target)

    async def _dead_letter(self, event: faust.EventT, reason: str) -> None:
        message = event.message
        letter = outcomes.dead_letter(
            event.value or b"", reason, topic=message.topic, at=datetime.now(UTC),
            partition=message.partition, offset=message.offset,
            key=None if event.key is None else event.key.decode("utf-8", "replace"))
        await self.emitter.publish([letter])

    # -- recovery ---------------------------------------------------------------------

    async def ensure_tickets_ready(self, partition: int, first: Any = None) -> None:
        """Rebuild a partition that changed hands, on its own first message.

        Faust resumes a partition's stream only once its changelog is applied;
        table recover callbacks, and messages of other partitions, were seen to
        come before that on Tansu, so nothing earlier is a safe moment.
        """
        if partition in self.ticket_partitions:
            return
        new = {partition}
        names = (COMPLAINTS, TICKET_EVENTS, self.tickets.clock_topic)
        committed = await self._committed([(t, p) for t in names for p in new])
        started = time.perf_counter()
        resent = await self.recovery.rebuild(new, committed)
        self.ticket_partitions |= new
        logger.info("ticket partitions %s ready: %d tickets, %d deadlines indexed, "
                    "%d outputs re-sent, rebuilt in %.3f s; committed %s; first message %s@%s",
                    sorted(new), self.recovery.tickets_seen, len(self.tickets.index), resent,
                    time.perf_counter() - started,
                    {t: o for (t, _), o in committed.items()},
                    getattr(first, "topic", None), getattr(first, "offset", None))

    async def ensure_penalties_ready(self, partition: int) -> None:
        """The department stage's counterpart of :meth:`ensure_tickets_ready`."""
        if partition in self.trigger_partitions:
            return
        name = self.topics.triggers.get_topic_name()
        new = {partition}
        committed = await self._committed([(name, p) for p in new])
        self.frontier.start((name, partition), committed[(name, partition)])
        resent = await self.penalties.rebuild(new, {p: committed[(name, p)] for p in new})
        self.trigger_partitions |= new
        logger.info("penalty partitions %s ready: %d pending, %d outputs re-sent", sorted(new),
                    sum(len(self.penalties.pending.get(p, [])) for p in new), resent)

    async def _committed(self, tps: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return await committed_offsets(self.settings.kafka_bootstrap or "", self.app.conf.id,
                                       tps)

    def active_ticket_partitions(self) -> set[int]:
        """The ticket partitions assigned to this worker (rebuilt or not yet)."""
        assigned = self.app.assignor.assigned_actives()
        return {tp.partition for tp in assigned if tp.topic == COMPLAINTS}

    async def on_revoked(self, sender: Any, revoked: set, **_: Any) -> None:
        gone = {tp.partition for tp in revoked if tp.topic == COMPLAINTS}
        self.recovery.drop(gone)
        self.ticket_partitions -= gone
        name = self.topics.triggers.get_topic_name()
        gone_triggers = {tp.partition for tp in revoked if tp.topic == name}
        self.frontier.forget((name, p) for p in gone_triggers)
        self.penalties.drop(gone_triggers)
        self.trigger_partitions -= gone_triggers

    # -- timers -----------------------------------------------------------------------

    async def wake_due_partitions(self) -> None:
        """Wall clock: send a checkpoint to partitions with something due (and, every
        second, to all of them, so the department stage's watermarks keep moving)."""
        if not actives_ready(self.app):
            return
        mono = time.monotonic()
        wake: set[int] = set()
        if mono - self.last_sweep >= SWEEP_INTERVAL:
            self.last_sweep = mono
            wake |= self.sweep()
        wake |= self.active_ticket_partitions() - self.ticket_partitions  # rebuild them
        if self.settings.clock == "wall":
            wake |= self._checkpoints_due(mono)
        if wake:
            await self._wake(sorted(wake))
        await self._read_stalled_again(mono)

    async def _read_stalled_again(self, mono: float) -> None:
        """Seek back partitions whose processed offsets stopped short of their end."""
        consumer, assigned = self.app.consumer, self.app.consumer.assignment()
        ends = {tp: consumer.highwater(TP(*tp)) for tp in self.frontier.tracked()
                if TP(*tp) in assigned}
        for tp, offset in self.frontier.stalled(mono, ends, after=STALL_AFTER):
            logger.warning("%s[%d]: nothing processed past offset %d for %.0f s or more "
                           "although the log goes on; reading it again", *tp, offset,
                           STALL_AFTER)
            metrics.observe_input_reread(tp[0])
            await seek_back(self.app, *tp, offset)

    def _checkpoints_due(self, mono: float) -> set[int]:
        now, due = datetime.now(UTC), set()
        for partition in sorted(self.ticket_partitions):
            pending = self.tickets.index.due_partitions(now, [partition])
            last = self.wakes.get(partition, 0.0)
            if (pending and mono - last >= WAKE_RESEND) or mono - last >= WATERMARK_EVERY:
                self.wakes[partition] = mono
                due.add(partition)
        return due

    async def _wake(self, partitions: list[int]) -> None:
        """Send each partition a wake-up; with the wall clock, a checkpoint: now, and where
        the partition's inbound topics end now (exact end offsets, one request)."""
        at = datetime.now(UTC).isoformat()
        ends: dict[tuple[str, int], int] = {}
        if self.settings.clock == "wall":
            ends = await self.end_offsets.ends([(t, p) for t in INBOUND_TOPICS
                                                for p in partitions])
        for partition in partitions:
            checkpoint = Checkpoint(at, {t: ends.get((t, partition), 0) for t in INBOUND_TOPICS})
            await self.topics.clock.send(key=b"", value=b"", partition=partition,
                                         headers={WAKE: checkpoint.encode()})

    def sweep(self) -> set[int]:
        """Safety net: index any stored ticket with a wake-up the index lacks; return
        the partitions that gained entries (they get a wake-up)."""
        fixed: set[int] = set()
        index, failed = self.tickets.index, self.tickets.failed
        for partition, key, record in self.tickets.tickets.columns(self.ticket_partitions):
            stamp = unpack_due_head(record)[0]
            if stamp == stamp and (ticket := key.decode()) not in index and ticket not in failed:
                index.set_stamp(partition, ticket, stamp)  # stamp is not NaN: a wake-up
                fixed.add(partition)
        if fixed:
            logger.info("sweep indexed tickets of partitions %s", sorted(fixed))
        return fixed


def build_pipeline(app: faust.App, settings: StreamSettings, config: SlaConfig) -> Pipeline:
    """Add SLA Police's agents, tables, hooks and timers to ``app``; the shell adds the
    ledger sink and the notifier (:mod:`streams.ledger_sink`, :mod:`streams.notifier`)."""
    pipeline = Pipeline(app, settings, config)

    @app.agent(pipeline.topics.ticket_input, name="sla-tickets", concurrency=1)
    async def ticket_agent(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            await pipeline.process_batch(pipeline.tickets, events)

    @app.agent(pipeline.topics.triggers, name="sla-penalties", concurrency=1)
    async def penalty_agent(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            await pipeline.process_batch(pipeline.penalties, events)

    app.on_partitions_revoked.connect(pipeline.on_revoked)
    app.timer(settings.timer_interval)(pipeline.wake_due_partitions)
    pipeline.calls = add_calls_stage(app, pipeline, config)  # streams/calls_pipeline.py
    return pipeline
