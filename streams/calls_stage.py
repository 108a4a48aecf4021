"""The calls stage in the stream: one :class:`~sla.calls.CallerState` per caller.

One agent consumes the ``calls`` topic (keyed by the pseudonymous caller) and its internal
clock topic ``{app_id}-calls-clock`` (co-partitioned). Per message it either applies an
inbound calls event to its caller (:meth:`CallsEngine.receive` then ``advance`` to the
partition's clock), advances the partition's clock (stream-clock ticks on ``calls``), or
takes a wall-clock checkpoint (a wake-up on the clock topic carrying the end offset of
``calls`` at that instant). When a partition's clock moves, every caller due by then (a
block's expiry, a permanent block's review, an event queued ahead of the clock) is
advanced, and a watermark tells the QA stage how far the partition has forwarded.

The same mechanics as :mod:`streams.ticket_stage` (which it mirrors, not changes): a tick
or a checkpoint is applied only once every earlier offset of its partition has been
processed (:class:`~streams.frontier.OffsetFrontier`), so a deadline never fires before an
event the log already held at its due time; callers live in the changelog-backed
``callers`` table (:mod:`streams.calls_store`) with an outbox; the deadline index (worker
memory) and the clock marks are rebuilt after every hand-over (:class:`CallsRecovery`).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import faust

from models import CloudEvent, Rejection, parse_event
from models.topics import CALLS
from sla import outcomes
from sla._specs_calls import CallsSpec
from sla.calls import CallsEngine
from sla.replay import share_zone
from streams import metrics
from streams.calls_emit import is_forward
from streams.calls_store import (
    Cause,
    StoredCaller,
    decode_caller,
    decode_caller_prefix,
    encode_caller,
    wakeup_of,
)
from streams.clock_marks import ClockMarks
from streams.deadlines import DeadlineIndex
from streams.frontier import OffsetFrontier
from streams.interfaces import CommittedOffsets, KeyValueStore
from streams.topics import TICK, WAKE, Checkpoint

__all__ = ["NO_POLICY", "CallsRecovery", "CallsSink", "CallsStage", "calls_mark_partition"]

logger = logging.getLogger("sla_police.streams")

#: Why every calls event is dead-lettered when the policy file has no ``calls:`` section.
NO_POLICY = "the policy has no 'calls:' section: calls events are not processed"


class CallsSink(Protocol):
    """Where the calls stages' outputs go (:class:`streams.calls_emit.CallsEmitter`)."""

    async def publish(self, events: Iterable[CloudEvent]) -> None:
        """Send outputs on their routes (an agent's ``call.ended``: to the QA stage)."""

    async def republish(self, outputs: list[str]) -> None:
        """Send again outputs kept in an outbox (JSON, same ids)."""

    async def watermark(self, source_partition: int, when: str) -> None:
        """Tell the QA stage that ``source_partition`` forwarded everything up to ``when``."""


class CallsStage:
    """Per message of the calls input; ``callers`` rows are
    :func:`streams.calls_store.caller_partition`'s layout, ``marks`` rows
    :func:`calls_mark_partition`'s (the partition as the key)."""

    def __init__(self, spec: CallsSpec | None, emitter: CallsSink, clock_mode: str, *,
                 clock_topic: str, callers: KeyValueStore, marks: KeyValueStore,
                 commits: CommittedOffsets, frontier: OffsetFrontier | None = None) -> None:
        self.engine = None if spec is None else CallsEngine(spec)
        self.emitter, self.commits = emitter, commits
        self.stream_clock = clock_mode == "stream"
        self.callers, self.marks = callers, ClockMarks(marks, commits)
        self.clock_topic = clock_topic
        self.index = DeadlineIndex()
        self.ticks: dict[int, datetime] = {}
        self.blocked: dict[int, set[str]] = {}  # the sla_caller_blocks_active gauge
        self.failed: set[str] = set()
        self.frontier = frontier if frontier is not None else OffsetFrontier()
        self.topic_ids = {CALLS: 0, clock_topic: 1}

    # -- dispatch ------------------------------------------------------------------

    async def process(self, event: faust.EventT) -> None:
        message = event.message
        if TICK in event.headers:
            await self._hold(message, message.offset, event.headers[TICK].decode())
            self.frontier.seen((message.topic, message.partition), message.offset)
            await self._release(message)
        elif WAKE in event.headers and self.stream_clock:  # a rebuild's nudge
            now = self.now(message.partition)
            if now is not None:
                await self._fire(message.partition, now, self._cause(message))
        elif WAKE in event.headers:  # wall clock: a checkpoint
            checkpoint = Checkpoint.decode(event.headers[WAKE])
            await self._hold(message, checkpoint.ends.get(CALLS, 0) - 1, checkpoint.at)
            await self._release(message)
        elif message.topic != self.clock_topic:
            try:
                await self._on_inbound(event)
            finally:  # handled, even when an error dead-letters it: never stall the clock
                self.frontier.seen((message.topic, message.partition), message.offset)
            await self._release(message)

    def _cause(self, message: faust.types.Message) -> Cause:
        return (self.topic_ids.get(message.topic, 9), message.offset)

    def now(self, partition: int) -> datetime | None:
        """The partition's clock: the latest tick (or checkpoint) applied; None before."""
        return self.ticks.get(partition)

    # -- inbound -------------------------------------------------------------------

    async def _on_inbound(self, event: faust.EventT) -> None:
        message, key = event.message, event.key
        if self.engine is None:
            await self._reject(event, NO_POLICY)
            return
        parsed = parse_event(event.value, now=datetime.now(UTC), accept="calls")
        if isinstance(parsed, Rejection):
            await self._reject(event, parsed.reason)
            return
        if key is None or key.decode("utf-8", "replace") != parsed.subject:
            shown = None if key is None else key.decode("utf-8", "replace")
            await self._reject(event, f"message key {shown!r} does not match subject "
                                      f"{parsed.subject!r}: the caller reference must be "
                                      "the key")
            return
        parsed = share_zone(parsed)
        stored = self._load(parsed.subject, message.partition)
        if not self.engine.receive(stored.state, parsed):
            metrics.observe_duplicate(message.topic)
            return
        metrics.observe_inbound(message.topic, parsed.type)
        if parsed.type == "call.ended":
            metrics.observe_call_ended(parsed.data.ended_by, parsed.data.disposition)
        elif parsed.type == "qa.reviewed":
            metrics.observe_qa_verdict(parsed.data.verdict)
        forward = [parsed] if is_forward(parsed) else []
        await self._advance(stored, self.now(message.partition), self._cause(message), forward)

    async def _reject(self, event: faust.EventT, reason: str) -> None:
        message = event.message
        key = None if event.key is None else event.key.decode("utf-8", "replace")
        at = (self.now(message.partition) if self.stream_clock else None) or datetime.now(UTC)
        letter = outcomes.dead_letter(event.value or b"", reason, topic=message.topic, at=at,
                                      partition=message.partition, offset=message.offset,
                                      key=key)
        await self.emitter.publish([letter])

    # -- time ----------------------------------------------------------------------

    async def _hold(self, message: faust.types.Message, offset: int, when_text: str) -> None:
        """Keep a tick (or checkpoint) until ``calls`` is processed up to ``offset``."""
        self.frontier.hold((CALLS, message.partition), offset, when_text)

    async def _release(self, message: faust.types.Message) -> None:
        """Apply the held ticks the frontier has passed; what they fire is caused by
        ``message``."""
        partition = message.partition
        for when_text in self.frontier.release((CALLS, partition)):
            when = datetime.fromisoformat(when_text)
            previous = self.ticks.get(partition)
            if previous is None or when > previous:
                self.ticks[partition] = when
                if self.stream_clock:  # wall checkpoints are taken again after a hand-over
                    self.marks.advance(str(partition).encode(), when_text, message.topic,
                                       partition, message.offset)
                await self._fire(partition, when, self._cause(message))

    async def _fire(self, partition: int, now: datetime, cause: Cause) -> None:
        """Advance every caller of ``partition`` due by ``now``; then the watermark."""
        for caller in self.index.pop_due(partition, now):
            try:
                await self._advance(self._load(caller, partition), now, cause)
            except Exception as exc:  # one caller's bug must not stop the others
                await self._deadline_failed(caller, partition, now, exc)
        await self.emitter.watermark(partition, now.isoformat())

    async def _deadline_failed(self, caller: str, partition: int, now: datetime,
                               exc: Exception) -> None:
        logger.error("failed to advance caller of partition %d to %s: %s", partition,
                     now.isoformat(), traceback.format_exc())
        self.failed.add(caller)
        raw = json.dumps({"caller": caller, "advanced_to": now.isoformat()}).encode()
        letter = outcomes.dead_letter(
            raw, f"internal error firing the caller's deadlines: {type(exc).__name__}: {exc}",
            topic=self.clock_topic, at=now, partition=partition, key=caller)
        await self.emitter.publish([letter])

    async def _advance(self, stored: StoredCaller, now: datetime | None, cause: Cause,
                       forward: list[CloudEvent] | None = None) -> None:
        assert self.engine is not None
        outputs = list(forward or [])
        if now is not None:
            outputs += self.engine.advance(stored.state, now)
        stored.remember(cause, [e.to_json() for e in outputs], self._committed(stored.partition))
        self._save(stored)
        await self.emitter.publish(outputs)

    # -- state ---------------------------------------------------------------------

    def _load(self, caller: str, partition: int) -> StoredCaller:
        value = self.callers.get(caller.encode())
        if value is None:
            assert self.engine is not None
            return StoredCaller(partition, self.engine.new_caller(caller))
        return decode_caller(value)

    def _save(self, stored: StoredCaller) -> None:
        caller = stored.state.caller
        self.callers[caller.encode()] = encode_caller(stored)
        self.index.set(stored.partition, caller, wakeup_of(stored.state))
        self.failed.discard(caller)
        self._set_blocked(stored.partition, caller, stored.state.block is not None)

    def _set_blocked(self, partition: int, caller: str, blocked: bool) -> None:
        callers = self.blocked.setdefault(partition, set())
        if blocked:
            callers.add(caller)
        else:
            callers.discard(caller)
        metrics.CALLER_BLOCKS_ACTIVE.set(sum(len(c) for c in self.blocked.values()))

    def _committed(self, partition: int) -> dict[int, int]:
        """Committed offset per topic index of ``partition`` (prunes its outboxes)."""
        out: dict[int, int] = {}
        for topic, index in self.topic_ids.items():
            offset = self.commits.committed(topic, partition)
            if offset is not None:
                out[index] = offset
        return out


class CallsRecovery:
    """After (re)assignment: rebuild the deadline index, the clock marks and the blocks
    gauge from the tables, and re-send outbox entries whose cause is not committed."""

    def __init__(self, stage: CallsStage) -> None:
        self.stage = stage
        self.callers_seen = 0

    def drop(self, partitions: set[int]) -> None:
        stage = self.stage
        for partition in partitions:
            stage.index.drop_partition(partition)
            stage.frontier.forget((t, partition) for t in (CALLS, stage.clock_topic))
            stage.ticks.pop(partition, None)
            stage.marks.forget([str(partition).encode()])
            stage.blocked.pop(partition, None)
        metrics.CALLER_BLOCKS_ACTIVE.set(sum(len(c) for c in stage.blocked.values()))

    async def rebuild(self, partitions: set[int], committed: dict[tuple[str, int], int]) -> int:
        """Index every caller of ``partitions``; return how many outputs were re-sent."""
        stage, names = self.stage, {v: k for k, v in self.stage.topic_ids.items()}
        if stage.stream_clock:  # the clock at the committed offset (streams.clock_marks)
            for partition, key, value in stage.marks.store.rows(partitions):
                when = stage.marks.restore(key, value, committed.get((CALLS, partition), 0))
                if when is not None:
                    stage.ticks[partition] = datetime.fromisoformat(when)
        for topic in (CALLS, stage.clock_topic):
            for partition in partitions:
                stage.frontier.start((topic, partition), committed.get((topic, partition), 0))
        resent = seen = 0
        for partition in partitions:
            stage.blocked[partition] = set()
        for _partition, key, value in stage.callers.rows(partitions):
            prefix, caller = decode_caller_prefix(value), key.decode()
            seen += 1
            if prefix.blocked:
                stage.blocked.setdefault(prefix.partition, set()).add(caller)
            if prefix.wakeup is not None:
                stage.index.set_stamp(prefix.partition, caller, prefix.wakeup)
            pending = {c for c in prefix.causes
                       if c[1] >= committed.get((names.get(c[0], ""), prefix.partition), 0)}
            if pending:
                for cause, outputs in decode_caller(value).outbox:
                    if cause in pending:
                        await stage.emitter.republish(outputs)
                        resent += len(outputs)
        metrics.CALLER_BLOCKS_ACTIVE.set(sum(len(c) for c in stage.blocked.values()))
        self.callers_seen = seen
        return resent


def calls_mark_partition(key: bytes, _value: bytes) -> int:
    """Partition of a ``calls-clock-marks`` row (the key is the partition)."""
    return int(key)
