"""Wire the calls stages into the worker's Faust app, beside the ticket pipeline.

Two agents: ``sla-calls`` on ``calls`` and its clock topic ``{app_id}-calls-clock``
(:class:`~streams.calls_stage.CallsStage`), ``sla-calls-qa`` on the repartition topic
``{app_id}-calls-qa`` keyed by agent (:class:`~streams.calls_qa_stage.QaStage`). They share
the ticket pipeline's changelog writer, offset frontier (so its re-reads of skipped or
stalled input cover these partitions too), end-offset probe and dead-letter path; the ticket
stages are not touched. Three tables: ``callers``, ``calls-clock-marks``, ``calls-qa``.

Each partition is rebuilt on its own first message after it changed hands, as the ticket
stage's are (:meth:`CallsPipeline.ensure_calls_ready`); a timer nudges partitions not
rebuilt yet and, with the wall clock, sends each calls partition a checkpoint (the instant
and the end offset of ``calls``) at least once a second and soon after something falls due.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import faust

from models.topics import CALLS
from sla.specs import SlaConfig
from streams.calls_emit import CallsEmitter
from streams.calls_qa_stage import QaStage, qa_partition
from streams.calls_stage import CallsRecovery, CallsStage, calls_mark_partition
from streams.calls_store import caller_partition
from streams.offsets import KnownCommitted
from streams.recovery import actives_ready
from streams.topics import WAKE, Checkpoint

__all__ = ["CallsPipeline", "add_calls_stage", "calls_internal_names"]

logger = logging.getLogger("sla_police.streams")
WAKE_RESEND = 0.2  # seconds before a wake-up of a partition with something due is sent again
CHECKPOINT_EVERY = 1.0  # seconds: wall-clock checkpoints even when nothing is due
_RAW = {"key_serializer": "raw", "value_serializer": "raw"}


def calls_internal_names(app_id: str) -> tuple[str, str]:
    """(clock topic, QA repartition topic) of the calls stages, prefixed by the app id."""
    return f"{app_id}-calls-clock", f"{app_id}-calls-qa"


class CallsPipeline:
    """The calls stages of one worker and which of their partitions it has rebuilt."""

    def __init__(self, app: faust.App, pipeline: Any, config: SlaConfig) -> None:
        self.app, self.pipeline, self.settings = app, pipeline, pipeline.settings
        n = pipeline.topics.partitions
        self.clock_name, self.qa_name = calls_internal_names(self.settings.app_id)
        self.input = app.topic(CALLS, self.clock_name, partitions=n, **_RAW)
        self.clock = app.topic(self.clock_name, partitions=n, internal=True, **_RAW)
        self.qa_topic = app.topic(self.qa_name, partitions=n, internal=True, **_RAW)
        raw = {"key_type": bytes, "value_type": bytes, "partitions": n}
        writer, commits = pipeline.writer, KnownCommitted(app)
        self.frontier = pipeline.frontier
        self.emitter = CallsEmitter(app, pipeline.emitter, self.qa_name, n)
        self.stage = CallsStage(
            config.calls, self.emitter, self.settings.clock, clock_topic=self.clock_name,
            callers=writer.table(app.Table("callers", **raw), caller_partition),
            marks=writer.table(app.Table("calls-clock-marks", **raw), calls_mark_partition),
            commits=commits, frontier=self.frontier)
        self.qa = QaStage(config.calls, self.emitter, sources=n, topic_name=self.qa_name,
                          state=writer.table(app.Table("calls-qa", **raw), qa_partition),
                          commits=commits, frontier=self.frontier)
        self.recovery = CallsRecovery(self.stage)
        self.calls_partitions: set[int] = set()
        self.qa_partitions: set[int] = set()
        self.wakes: dict[int, float] = {}

    async def guarded(self, stage: Any, event: faust.EventT) -> None:
        """Process one message; an unexpected error dead-letters it, never the agent
        (the ticket pipeline's rule, :meth:`streams.pipeline.Pipeline.guarded`)."""
        message = event.message
        tp = (message.topic, message.partition)
        repeat = False
        try:
            if stage is self.stage:
                await self.ensure_calls_ready(message.partition, message)
            else:
                await self.ensure_qa_ready(message.partition)
            repeat = self.frontier.processed(tp, message.offset)
            if not repeat:
                await stage.process(event)
        except Exception as exc:  # a bug must not stop the stream: record it and move on
            logger.error("failed on %s[%s]@%s: %s", *tp, message.offset,
                         traceback.format_exc())
            await self.pipeline._dead_letter(event, f"internal error: {type(exc).__name__}: "
                                                    f"{exc}")
        finally:  # what reached the store goes to its changelog, even after an error
            await self.pipeline.writer.send()
            if repeat or message.topic == self.clock_name:  # else the stage did
                self.frontier.seen(tp, message.offset)
            await self.pipeline._read_skipped_again(tp, message.offset)

    async def ensure_calls_ready(self, partition: int, first: Any = None) -> None:
        """Rebuild a calls partition that changed hands, on its own first message."""
        if partition in self.calls_partitions:
            return
        committed = await self.pipeline._committed(
            [(CALLS, partition), (self.clock_name, partition)])
        resent = await self.recovery.rebuild({partition}, committed)
        self.calls_partitions.add(partition)
        logger.info("calls partition %d ready: %d callers, %d timed entries, %d outputs "
                    "re-sent; first message %s@%s", partition, self.recovery.callers_seen,
                    len(self.stage.index), resent, getattr(first, "topic", None),
                    getattr(first, "offset", None))

    async def ensure_qa_ready(self, partition: int) -> None:
        """The QA stage's counterpart of :meth:`ensure_calls_ready`."""
        if partition in self.qa_partitions:
            return
        committed = await self.pipeline._committed([(self.qa_name, partition)])
        offset = committed[(self.qa_name, partition)]
        self.frontier.start((self.qa_name, partition), offset)
        resent = await self.qa.rebuild({partition}, {partition: offset})
        self.qa_partitions.add(partition)
        logger.info("calls QA partition %d ready: %d items re-sent", partition, resent)

    def active_calls_partitions(self) -> set[int]:
        return {tp.partition for tp in self.app.assignor.assigned_actives()
                if tp.topic == CALLS}

    async def on_revoked(self, sender: Any, revoked: set, **_: Any) -> None:
        gone = {tp.partition for tp in revoked if tp.topic == CALLS}
        self.recovery.drop(gone)
        self.calls_partitions -= gone
        gone_qa = {tp.partition for tp in revoked if tp.topic == self.qa_name}
        self.frontier.forget((self.qa_name, p) for p in gone_qa)
        self.qa.drop(gone_qa)
        self.qa_partitions -= gone_qa

    async def wake(self) -> None:
        """Nudge partitions not rebuilt yet; with the wall clock, send checkpoints."""
        if not actives_ready(self.app):
            return
        wake = self.active_calls_partitions() - self.calls_partitions
        if self.settings.clock == "wall":
            mono, now = time.monotonic(), datetime.now(UTC)
            for partition in sorted(self.calls_partitions):
                due = self.stage.index.due_partitions(now, [partition])
                last = self.wakes.get(partition, 0.0)
                if (due and mono - last >= WAKE_RESEND) or mono - last >= CHECKPOINT_EVERY:
                    self.wakes[partition] = mono
                    wake.add(partition)
        if wake:
            await self._send_wakes(sorted(wake))

    async def _send_wakes(self, partitions: list[int]) -> None:
        at = datetime.now(UTC).isoformat()
        ends: dict[tuple[str, int], int] = {}
        if self.settings.clock == "wall":
            ends = await self.pipeline.end_offsets.ends([(CALLS, p) for p in partitions])
        for partition in partitions:
            checkpoint = Checkpoint(at, {CALLS: ends.get((CALLS, partition), 0)})
            await self.clock.send(key=b"", value=b"", partition=partition,
                                  headers={WAKE: checkpoint.encode()})


def add_calls_stage(app: faust.App, pipeline: Any, config: SlaConfig) -> CallsPipeline:
    """Add the calls agents, hooks and timer to ``app`` beside ``pipeline``'s."""
    calls = CallsPipeline(app, pipeline, config)

    @app.agent(calls.input, name="sla-calls", concurrency=1)
    async def calls_agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await calls.guarded(calls.stage, event)

    @app.agent(calls.qa_topic, name="sla-calls-qa", concurrency=1)
    async def calls_qa_agent(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await calls.guarded(calls.qa, event)

    app.on_partitions_revoked.connect(calls.on_revoked)
    app.timer(pipeline.settings.timer_interval)(calls.wake)
    return calls
