"""The ticket stage in the stream: decode, call :mod:`sla`, emit, persist.

One agent consumes the co-partitioned ``complaints``, ``ticket-events`` and the
internal clock topic. Per message it either applies an inbound event to its
ticket, advances the partition's clock (stream-clock ticks), or fires what is
due (wall-clock wake-ups). Ticket state lives in a changelog-backed table; the
deadline index (worker memory) is rebuilt from it after every recovery.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections import Counter
from datetime import UTC, datetime

import faust

from models import CloudEvent, Rejection, parse_event
from models.topics import COMPLAINTS, INBOUND_TOPICS, TICKET_EVENTS
from sla import outcomes
from sla.engine import SlaEngine
from sla.notifications import notifications_for
from streams import metrics
from streams.clock_marks import ClockMarks
from streams.deadlines import DeadlineIndex
from streams.frontier import OffsetFrontier
from streams.interfaces import ColumnStore, CommittedOffsets, KeyValueStore, OutputSink
from streams.open_clocks import OpenClockCounts, clock_pairs
from streams.ticket_cache import DEFAULT_TICKET_CACHE, TicketCache
from streams.ticket_store import (
    DUE_HEAD_SIZE,
    Cause,
    StoredTicket,
    decode_due_pairs,
    decode_prefix,
    decode_stored,
    encode_saved,
    unpack_due_head,
)
from streams.topics import TICK, WAKE, Checkpoint

__all__ = ["TicketRecovery", "TicketStage", "mark_partition", "ticket_partition"]

logger = logging.getLogger("sla_police.streams")


class TicketStage:
    """Per message of the ticket input; what it reaches comes in as interfaces
    (:mod:`streams.interfaces`): ``tickets`` rows are :func:`ticket_partition`'s layout,
    with a due record each (:func:`streams.ticket_store.due_record`), ``marks`` rows
    :func:`mark_partition`'s. Decoded tickets are kept between messages, at most
    ``cache_size`` (:mod:`streams.ticket_cache`)."""

    def __init__(self, engine: SlaEngine, emitter: OutputSink, clock_mode: str, *,
                 clock_topic: str, tickets: ColumnStore, marks: KeyValueStore,
                 commits: CommittedOffsets, cache_size: int = DEFAULT_TICKET_CACHE) -> None:
        self.engine, self.emitter, self.commits = engine, emitter, commits
        self.stream_clock = clock_mode == "stream"
        self.tickets, self.marks = tickets, ClockMarks(marks, commits)
        self.cache = TicketCache(cache_size)
        self.index = DeadlineIndex()
        self.open_clocks = OpenClockCounts()  # the sla_open_clocks gauge
        self.ticks: dict[tuple[str, int], datetime] = {}
        self.failed: set[str] = set()  # tickets whose deadlines failed (see _deadline_failed)
        self.frontier = OffsetFrontier()  # ticks wait until no earlier message is missing
        self.clock_topic = clock_topic
        self.topic_ids = {COMPLAINTS: 0, TICKET_EVENTS: 1, self.clock_topic: 2}

    # -- dispatch ------------------------------------------------------------------

    async def process(self, event: faust.EventT) -> None:
        message = event.message
        if TICK in event.headers:
            await self._hold_tick(message, event.headers[TICK].decode())
        elif WAKE in event.headers and self.stream_clock:  # a sweep or a rebuild's nudge
            now = self.now(message.partition)
            if now is not None:
                await self._fire(message.partition, now, self._cause(message))
        elif WAKE in event.headers:
            await self._hold_checkpoint(message, event.headers[WAKE])
        elif message.topic != self.clock_topic:
            started = time.perf_counter()
            try:
                await self._on_inbound(event)
            finally:  # handled, even when an error dead-letters it: never stall the clock
                self.frontier.seen((message.topic, message.partition), message.offset)
            metrics.EVENT_PROCESSING.observe(time.perf_counter() - started)
            await self._release((message.topic,), message)

    def _cause(self, message: faust.types.Message) -> Cause:
        return (self.topic_ids.get(message.topic, 9), message.offset)

    def now(self, partition: int) -> datetime | None:
        """The ticket stage's clock for one partition (None: not known yet).

        The minimum over both inbound topics of the latest tick applied. With the stream
        clock ticks come from the log; with the wall clock they are the worker's own
        checkpoints (:meth:`_hold_checkpoint`), so in both modes a deadline fires only once
        everything the partition's log held before it has been processed.
        """
        marks = [self.ticks.get((t, partition)) for t in INBOUND_TOPICS]
        return None if None in marks else min(marks)  # type: ignore[type-var]

    # -- inbound events --------------------------------------------------------------

    async def _on_inbound(self, event: faust.EventT) -> None:
        message, key = event.message, event.key
        parsed = parse_event(event.value, now=datetime.now(UTC), accept="inbound")
        if isinstance(parsed, Rejection):
            await self._reject(event, parsed.reason)
            return
        if key is None or key.decode("utf-8", "replace") != parsed.subject:
            shown = None if key is None else key.decode("utf-8", "replace")
            await self._reject(event, f"message key {shown!r} does not match subject "
                                      f"{parsed.subject!r}: the ticket id must be the key")
            return
        metrics.observe_inbound(message.topic, parsed.type)
        stored = self._load(parsed.subject, message.partition)
        try:
            latest = stored.state.last_time
            if not self.engine.receive(stored.state, parsed):
                metrics.observe_duplicate(message.topic)
                return
            if latest is not None and parsed.time < latest:  # published after its moment
                metrics.observe_late(message.topic)
            await self._advance(stored, self.now(message.partition), self._cause(message))
            self._export_index_size()
        except BaseException:  # the object may be changed half way; the row is not
            self.cache.evict(parsed.subject)
            raise

    async def _reject(self, event: faust.EventT, reason: str) -> None:
        message = event.message
        key = None if event.key is None else event.key.decode("utf-8", "replace")
        at = (self.now(message.partition) if self.stream_clock else None) or datetime.now(UTC)
        letter = outcomes.dead_letter(event.value or b"", reason, topic=message.topic, at=at,
                                      partition=message.partition, offset=message.offset,
                                      key=key)
        await self.emitter.publish([letter])  # counts the rejection by kind, too

    # -- time ----------------------------------------------------------------------------

    async def _hold_tick(self, message: faust.types.Message, when_text: str) -> None:
        """Apply a tick once every earlier message of its partition has been processed."""
        tp = (message.topic, message.partition)
        self.frontier.hold(tp, message.offset, when_text)
        self.frontier.seen(tp, message.offset)
        await self._release((message.topic,), message)
        if not self.frontier.covers(tp, message.offset):
            logger.info("tick at %s[%d]@%d held: earlier messages of that partition are "
                        "still to come", *tp, message.offset)

    async def _hold_checkpoint(self, message: faust.types.Message, header: bytes) -> None:
        """Wall clock: a wake-up is a tick at the instant it was sent, on both inbound
        topics, held until every message they held at that instant has been processed."""
        checkpoint = Checkpoint.decode(header)
        partition = message.partition
        for topic in INBOUND_TOPICS:
            end = checkpoint.ends.get(topic, 0)
            self.frontier.hold((topic, partition), end - 1, checkpoint.at)
        await self._release(INBOUND_TOPICS, message)

    async def _release(self, topics: tuple[str, ...], message: faust.types.Message) -> None:
        """Apply the held ticks of ``topics`` (in ``message``'s partition) that the
        frontier has passed; what they fire is caused by ``message``."""
        for topic in topics:
            for when_text in self.frontier.release((topic, message.partition)):
                await self._on_tick(topic, message, when_text)

    async def _on_tick(self, topic: str, message: faust.types.Message, when_text: str) -> None:
        partition = message.partition
        when = datetime.fromisoformat(when_text)
        before = self.now(partition)
        previous = self.ticks.get((topic, partition))
        if previous is None or when > previous:
            self.ticks[(topic, partition)] = when
            if self.stream_clock:  # wall checkpoints are taken again after a hand-over
                self.marks.advance(f"{topic}|{partition}".encode(), when_text, topic,
                                   partition, message.offset)
        after = self.now(partition)
        if after is not None and (before is None or after > before):
            await self._fire(partition, after, self._cause(message))

    async def _fire(self, partition: int, now: datetime, cause: Cause) -> None:
        """Advance every ticket of ``partition`` that is due by ``now``."""
        started = time.perf_counter()
        committed = self._committed(partition)  # once per fire, not per ticket fired
        for ticket in self.index.pop_due(partition, now):
            try:
                await self._advance(self._load(ticket, partition), now, cause, committed)
            except Exception as exc:  # one ticket's bug must not stop the others' deadlines
                await self._deadline_failed(ticket, partition, now, exc)
        self._export_index_size()
        await self.emitter.watermark(partition, now.isoformat())
        metrics.TIMER_TICK.observe(time.perf_counter() - started)

    async def _deadline_failed(self, ticket: str, partition: int, now: datetime,
                               exc: Exception) -> None:
        """Dead-letter a ticket whose deadlines the engine failed on; it is left out of the
        deadline index (and of the sweep) until an event of its own comes."""
        logger.error("failed to advance ticket %s of partition %d to %s: %s", ticket,
                     partition, now.isoformat(), traceback.format_exc())
        self.cache.evict(ticket)  # the object may be changed half way; the row is not
        self.failed.add(ticket)
        raw = json.dumps({"ticket": ticket, "advanced_to": now.isoformat()}).encode()
        letter = outcomes.dead_letter(
            raw, f"internal error firing the ticket's deadlines: {type(exc).__name__}: {exc}",
            topic=self.clock_topic, at=now, partition=partition, key=ticket)
        await self.emitter.publish([letter])

    async def _advance(self, stored: StoredTicket, now: datetime | None, cause: Cause,
                       committed: dict[int, int] | None = None) -> None:
        """Apply what is due by ``now``, save, publish; ``committed``: :meth:`_committed` of
        the ticket's partition, if known (a fire asks once; a commit during the fire only
        leaves an entry more in an outbox until the next save)."""
        outputs: list[CloudEvent] = []
        before = clock_pairs(stored.state)
        if now is not None:
            outputs = self.engine.advance(stored.state, now)
            outputs += [n for e in outputs for n in notifications_for(e, self.engine.config)]
        if committed is None:
            committed = self._committed(stored.partition)
        texts = [e.to_json() for e in outputs]  # serialised once: outbox and records
        stored.remember(cause, texts, committed)
        after = clock_pairs(stored.state)
        self._save(stored, after)
        self.open_clocks.update(stored.partition, before, after)
        if outputs:  # an inbound event's save mostly has none (the event waits for the clock)
            await self.emitter.publish(outputs, triggers=True, texts=texts)
            self._observe_breach_delay(outputs)

    # -- state -----------------------------------------------------------------------

    def _load(self, ticket: str, partition: int) -> StoredTicket:
        """The ticket as last saved: kept decoded (:mod:`streams.ticket_cache`), else
        decoded from its row, else new; the object is the cache's from now on."""
        stored = self.cache.get(ticket)
        if stored is None:
            value = self.tickets.get(ticket.encode())
            stored = (StoredTicket(partition, self.engine.new_ticket(ticket)) if value is None
                      else decode_stored(value))
            self.cache.put(ticket, stored)
        return stored

    def _save(self, stored: StoredTicket, pairs: list[tuple[str, str]]) -> None:
        """Write the ticket's row and its due record (one store write), index its wake-up;
        ``pairs``: its open clocks (:func:`clock_pairs`)."""
        ticket = stored.state.ticket_id
        row, record, stamp = encode_saved(stored, pairs)
        self.tickets.put(ticket.encode(), row, record)
        self.index.set_stamp(stored.partition, ticket, stamp)
        self.failed.discard(ticket)

    def _export_index_size(self) -> None:
        """Set ``sla_deadline_index_size``: once per message that saved tickets (a fire
        saves many; the gauge takes a lock on every set)."""
        metrics.DEADLINE_INDEX_SIZE.set(len(self.index))

    def _committed(self, partition: int) -> dict[int, int]:
        """Committed offset per topic index of ``partition`` (for pruning its outboxes).

        Offsets of different partitions cannot be compared: a partition whose commit is
        not known yet (just taken over) prunes nothing.
        """
        out: dict[int, int] = {}
        for topic, index in self.topic_ids.items():
            offset = self.commits.committed(topic, partition)
            if offset is not None:
                out[index] = offset
        return out

    def _observe_breach_delay(self, outputs: list[CloudEvent]) -> None:
        if self.stream_clock:
            return  # virtual time: the wall-clock delay means nothing
        for event in outputs:
            if event.type == "sla.breached":
                metrics.observe_breach_delay(event)


class TicketRecovery:
    """After (re)assignment: rebuild the deadline index and the clock marks from the
    tables, and re-emit outbox entries whose cause is not committed yet."""

    def __init__(self, stage: TicketStage) -> None:
        self.stage = stage
        self.tickets_seen = 0

    def drop(self, partitions: set[int]) -> None:
        self.stage.cache.drop_partitions(partitions)
        for partition in partitions:
            self.stage.index.drop_partition(partition)
            self.stage.open_clocks.drop(partition)
            self.stage.frontier.forget((t, partition)
                                       for t in (*INBOUND_TOPICS, self.stage.clock_topic))
            for key in [k for k in self.stage.ticks if k[1] == partition]:
                del self.stage.ticks[key]
            self.stage.marks.forget(f"{t}|{partition}".encode() for t in INBOUND_TOPICS)

    async def rebuild(self, partitions: set[int], committed: dict[tuple[str, int], int]) -> int:
        """Index every ticket of ``partitions``; return how many outputs were re-emitted.

        Reads the due column (wake-up, latest outbox causes, open clocks: about 50 bytes a
        ticket), not the rows; a row is read only when its outbox may hold outputs whose
        cause is not committed yet."""
        stage = self.stage
        stage.cache.drop_partitions(partitions)  # the rows may come from the changelog now
        if stage.stream_clock:
            self._load_marks(partitions, committed)
        for topic in (*INBOUND_TOPICS, stage.clock_topic):
            for partition in partitions:
                stage.frontier.start((topic, partition), committed.get((topic, partition), 0))
        resent = seen = 0
        for partition in sorted(partitions):
            stage.open_clocks.drop(partition)
            count, pending = self._index_partition(partition, committed)
            seen += count
            for key in pending:
                resent += await self._resend_pending(key, partition, committed)
        self.tickets_seen = seen
        return resent

    def _index_partition(self, partition: int,
                         committed: dict[tuple[str, int], int]) -> tuple[int, list[bytes]]:
        """Load one partition's wake-ups and open clocks from the due column; return the
        number of tickets and the keys whose outbox may need re-sending."""
        names = {v: k for k, v in self.stage.topic_ids.items()}
        floor = [committed.get((names.get(i, ""), partition), 0) for i in range(3)]
        floor.append(committed.get(("", partition), 0))  # causes of an unknown topic
        f0, f1, f2, f3 = floor
        entries: list[tuple[float, str]] = []
        pairs: Counter[bytes] = Counter()
        pending: list[bytes] = []
        count = 0
        for _partition, key, record in self.stage.tickets.columns([partition]):
            count += 1
            stamp, c0, c1, c2, c3 = unpack_due_head(record)
            if stamp == stamp:  # not NaN: a wake-up
                entries.append((stamp, key.decode()))
            if c0 >= f0 or c1 >= f1 or c2 >= f2 or c3 >= f3:
                pending.append(key)
            pairs[record[DUE_HEAD_SIZE:]] += 1
        self.stage.index.load(partition, entries)
        clocks: Counter[tuple[str, str]] = Counter()
        for text, tickets in pairs.items():
            for pair in decode_due_pairs(text):
                clocks[pair] += tickets
        self.stage.open_clocks.add_counts(partition, clocks)
        return count, pending

    async def _resend_pending(self, key: bytes, partition: int,
                              committed: dict[tuple[str, int], int]) -> int:
        """Re-emit the outbox entries of ``key`` whose cause is not committed."""
        names = {v: k for k, v in self.stage.topic_ids.items()}
        value = self.stage.tickets.get(key)
        if value is None:
            return 0
        prefix = decode_prefix(value)
        pending = {c for c in prefix.causes
                   if c[1] >= committed.get((names.get(c[0], ""), partition), 0)}
        return await self._resend(value, pending) if pending else 0

    async def _resend(self, value: bytes, causes: set[Cause]) -> int:
        stored = decode_stored(value)
        count = 0
        for cause, outputs in stored.outbox:
            if cause in causes:
                await self.stage.emitter.republish(outputs)
                count += len(outputs)
        return count

    def _load_marks(self, partitions: set[int], committed: dict[tuple[str, int], int]) -> None:
        """Each partition's clock where it stood at the committed offsets
        (:mod:`streams.clock_marks`)."""
        marks = self.stage.marks
        for partition, key, value in marks.store.rows(partitions):
            topic = key.decode().rsplit("|", 1)[0]
            when = marks.restore(key, value, committed.get((topic, partition), 0))
            if when is not None:
                self.stage.ticks[(topic, partition)] = datetime.fromisoformat(when)


def ticket_partition(_key: bytes, value: bytes) -> int:
    """Partition of a ``tickets`` row (its value's prefix)."""
    return decode_prefix(value).partition


def mark_partition(key: bytes, _value: bytes) -> int:
    """Partition of a ``clock-marks`` row (``<topic>|<partition>``)."""
    return int(key.rsplit(b"|", 1)[1])
