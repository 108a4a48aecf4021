"""The department stage in the stream: penalties in event-time order.

Repeat multipliers and monthly caps depend on a department's history, so
triggers (``sla.breached``, ``sla.attributed``) are buffered until every ticket
partition has promised, with a watermark, that nothing earlier will follow; then
they are applied in (time, id) order, exactly as replay does.

Triggers are drained when a watermark arrives, never on the trigger's own
message: only a watermark can release anything new, except for a trigger that
arrives behind the watermarks (a worker catching up on a backlog), and draining
those one by one wrote a book, an outbox row and its deletion per trigger. With
the wall clock each ticket partition sends a watermark whenever it fires
deadlines and at least once a second, so a trigger waits about a second at most;
with the stream clock, watermarks follow the ticks. The pipeline reads the
triggers topic in batches and settles each partition once per batch
(:meth:`PenaltyStage.settle`): the batch's triggers are kept in one row
(:mod:`streams.penalty_pending`), then one drain writes each touched book once.

All state sits in one table, so its changelog keeps the writes of one drain in
order: ``rec|<dept>|<ticket>`` (penalty records) first, then the drain's outbox
rows, then each touched ``book|<dept>`` once (windowed totals, last applied
trigger), then the deletion of the ``triggers|...`` rows whose triggers have all
been applied. A crash before a book write replays the pending triggers against the
old book and recomputes the same penalties.

The outbox: ``out|<partition>|<offset>|<chunk>`` rows hold the outputs of each
drain whose cause (the triggers-topic offset of the message that released it) is
not committed yet, at most :data:`OUTBOX_CHUNK` outputs a row, so no table value
outgrows a Kafka message however large a burst. A restarted worker re-emits them,
since a SIGKILL can make the table writes durable while the outputs they caused
never left the producer; rows are deleted once their cause is committed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, MutableMapping
from datetime import datetime

import faust

from models import CloudEvent, parse_event
from sla.codec import decode_records, encode_records
from sla.notifications import notifications_for
from sla.penalties import PenaltyBook, PenaltyEngine, PenaltyRecord
from sla.specs import SlaConfig
from streams.clock_marks import ClockMarks
from streams.frontier import OffsetFrontier
from streams.interfaces import CommittedOffsets, KeyValueStore, OutputSink
from streams.penalty_books import BookStore
from streams.penalty_pending import PendingTriggers, Trigger
from streams.topics import WATERMARK

__all__ = ["OUTBOX_CHUNK", "PenaltyStage"]

logger = logging.getLogger("sla_police.streams")

#: Outputs per outbox row: about 1 KB each with notifications, so rows stay well
#: under Kafka's default 1 MB message limit.
OUTBOX_CHUNK = 200


class _Records(MutableMapping[str, list[PenaltyRecord]]):
    """A department's per-ticket penalty records, stored under their own table keys."""

    def __init__(self, table: KeyValueStore, department: str) -> None:
        self.table, self.prefix = table, f"rec|{department}|"

    def __getitem__(self, ticket: str) -> list[PenaltyRecord]:
        value = self.table.get((self.prefix + ticket).encode())
        if value is None:
            raise KeyError(ticket)
        return decode_records(json.loads(value))

    def __setitem__(self, ticket: str, records: list[PenaltyRecord]) -> None:
        self.table[(self.prefix + ticket).encode()] = json.dumps(encode_records(records)).encode()

    def __delitem__(self, ticket: str) -> None:
        del self.table[(self.prefix + ticket).encode()]

    def __iter__(self) -> Iterator[str]:
        raise NotImplementedError("records are looked up per ticket")

    def __len__(self) -> int:
        raise NotImplementedError("records are looked up per ticket")


class PenaltyStage:
    """Per message of the triggers topic ``topic_name``, fed by ``sources`` ticket
    partitions; what it reaches comes in as interfaces (:mod:`streams.interfaces`):
    ``state`` rows are :func:`state_partition`'s layout."""

    def __init__(self, config: SlaConfig, emitter: OutputSink, *, sources: int,
                 topic_name: str, state: KeyValueStore, commits: CommittedOffsets,
                 frontier: OffsetFrontier | None = None) -> None:
        self.engine, self.emitter, self.commits = PenaltyEngine(config), emitter, commits
        # a watermark waits until every earlier trigger of its partition was processed
        self.frontier = frontier if frontier is not None else OffsetFrontier()
        self.sources, self.topic_name = sources, topic_name
        self.state = state
        self.books = BookStore(self.state, lambda department: _Records(self.state, department))
        self.triggers = PendingTriggers(self.state)
        self.pending = self.triggers.heaps  # partition -> heap of triggers waiting
        self.marks: dict[int, dict[int, datetime]] = {}
        self.mark_rows = ClockMarks(state, commits)  # as of the commit: streams.clock_marks
        self.outbox: dict[int, list[tuple[int, bytes]]] = {}  # partition -> (cause, row key)
        self.touched: dict[int, tuple[faust.EventT, bool]] = {}  # see take_touched

    async def process(self, event: faust.EventT) -> None:
        """One message on its own: :meth:`receive` it, then :meth:`settle` its partition
        (a failure is raised, for the caller to dead-letter the message)."""
        self.receive(event)
        for partition, (last, released) in self.take_touched().items():
            await self.settle(partition, last.message.offset, released)

    def receive(self, event: faust.EventT) -> None:
        """Buffer a trigger, or apply a watermark once every trigger before it in the
        partition has been buffered: after a rebalance the framework can deliver a
        partition's messages out of order (``streams/frontier.py``), and a watermark
        applied too early would drain past a trigger still to come, which the book would
        then refuse as already passed. Nothing is written for a trigger and nothing is
        drained here: :meth:`settle` does both, once per partition and batch."""
        message = event.message
        tp = (message.topic, message.partition)
        if WATERMARK in event.headers:
            self.frontier.hold(tp, message.offset, event.headers[WATERMARK].decode())
        elif event.key:  # a pack: the department's triggers of a batch, a JSON text a line
            department = event.key.decode()
            for raw in event.value.decode().split("\n"):
                self.triggers.add(message.partition, message.offset, department, raw)
        self.frontier.seen(tp, message.offset)
        released = self.touched.get(message.partition, (event, False))[1]
        for header in self.frontier.release(tp):
            source, when = header.split("|", 1)
            self._mark(message.partition, int(source), when, message.offset)
            released = True
        self.touched[message.partition] = (event, released)

    def take_touched(self) -> dict[int, tuple[faust.EventT, bool]]:
        """The partitions received since the last call, each with its last message and
        whether a watermark moved: :meth:`settle` each once, so every key (trigger rows,
        records, outbox, books) is written once per batch, in the order the crash rule
        needs."""
        touched, self.touched = self.touched, {}
        return touched

    async def settle(self, partition: int, offset: int, released: bool) -> None:
        """Keep the triggers received since the last call in one row; if watermarks moved,
        drain (``offset``, the partition's last message received, is the outbox's cause)."""
        self.triggers.keep(partition)
        if released:
            await self.drain(partition, offset)

    def _mark(self, partition: int, source: int, when_text: str, offset: int) -> None:
        """Source partition ``source``'s watermark reached ``when_text``, applied by the
        message at ``offset``."""
        when = datetime.fromisoformat(when_text)
        marks = self.marks.setdefault(partition, {})
        if source not in marks or when > marks[source]:
            marks[source] = when
            self.mark_rows.advance(f"mark|{partition}|{source}".encode(), when_text,
                                   self.topic_name, partition, offset)

    def low_watermark(self, partition: int) -> datetime | None:
        marks = self.marks.get(partition, {})
        return min(marks.values()) if len(marks) >= self.sources else None

    async def drain(self, partition: int, offset: int) -> None:
        """Apply every pending trigger the low watermark has released, in order.

        Each touched book is written once per drain, after its triggers' records and
        before the trigger rows whose last trigger this drain applied are deleted: a crash
        anywhere in between leaves those rows, and re-applying them against the old book
        recomputes the same penalties (see :meth:`PenaltyEngine.apply`).
        """
        low = self.low_watermark(partition)
        if low is None or not self.pending.get(partition):
            return
        limit = low.timestamp()
        books: dict[str, PenaltyBook] = {}
        popped: list[Trigger] = []
        try:
            emitted = self._apply_released(partition, limit, books, popped)
        except BaseException:
            if popped:  # the trigger that failed: skipped, or it would block every drain
                logger.error("penalty trigger skipped, it could not be applied: %s",
                             popped.pop()[3])
            self._undo(partition, popped)
            raise
        try:
            self._prune_outbox(partition)
            texts = [e.to_json() for e in emitted]  # serialised once: outbox and records
            self._keep_outbox(partition, offset, texts)
            for book in books.values():
                self.books.save(book, partition)
        except BaseException:
            self._undo(partition, popped)
            raise
        self.triggers.applied(partition, popped)
        await self.emitter.publish(emitted, texts=texts)

    def _undo(self, partition: int, popped: list[Trigger]) -> None:
        """As after a crash: books are read again from the table, and the triggers
        (whose rows are still there) wait for the next drain."""
        self.books.forget()
        self.triggers.put_back(partition, popped)

    def _apply_released(self, partition: int, limit: float, books: dict[str, PenaltyBook],
                        popped: list[Trigger]) -> list[CloudEvent]:
        """Pop and apply the triggers at or before ``limit``; return the outputs."""
        emitted: list[CloudEvent] = []
        for trigger in self.triggers.pop_released(partition, limit):
            popped.append(trigger)
            _stamp, _event_id, department, raw, _row = trigger
            if department not in books:
                books[department] = self.books.load(department, partition)
            outputs = self.engine.apply(books[department], parse_event(raw, accept="any"))
            emitted.extend(outputs)  # apply() is idempotent: see its docstring
            emitted.extend(n for e in outputs for n in notifications_for(e, self.engine.config))
        return emitted

    def _keep_outbox(self, partition: int, offset: int, outputs: list[str]) -> None:
        rows = self.outbox.setdefault(partition, [])
        for chunk, start in enumerate(range(0, len(outputs), OUTBOX_CHUNK)):
            key = f"out|{partition}|{offset}|{chunk}".encode()
            self.state[key] = json.dumps(outputs[start:start + OUTBOX_CHUNK]).encode()
            rows.append((offset, key))

    def _prune_outbox(self, partition: int) -> None:
        """Delete the outbox rows whose cause is committed (its outputs are on Kafka)."""
        committed, rows = self._committed(partition), self.outbox.get(partition, [])
        done = [row for row in rows if row[0] < committed]
        for _, key in done:
            del self.state[key]
        if done:
            self.outbox[partition] = [row for row in rows if row[0] >= committed]

    def _committed(self, partition: int) -> int:
        """Committed offset of this worker's triggers partition; -1 while unknown."""
        offset = self.commits.committed(self.topic_name, partition)
        return -1 if offset is None else offset

    # -- recovery ----------------------------------------------------------------------

    def drop(self, partitions: set[int]) -> None:
        self.books.forget(partitions)
        for partition in partitions:
            self.touched.pop(partition, None)
            self.triggers.drop(partition)
            self.mark_rows.forget_prefixed(f"mark|{partition}|".encode())
            self.marks.pop(partition, None)
            self.outbox.pop(partition, None)

    async def rebuild(self, partitions: set[int], committed: dict[int, int]) -> int:
        """Reload pending triggers and watermarks of ``partitions``; re-emit outbox entries
        whose cause (a triggers-topic offset) is not committed. Returns outputs re-sent."""
        resent = 0
        for partition, key, value in self.state.rows(partitions):
            kind, _, rest = key.decode().partition("|")
            if kind == "mark":
                when = self.mark_rows.restore(key, value, committed.get(partition, 0))
                if when is not None:
                    source = int(rest.split("|")[1])
                    self.marks.setdefault(partition, {})[source] = datetime.fromisoformat(when)
            elif kind in ("triggers", "pending"):  # pending: one trigger, the earlier layout
                self.triggers.load(partition, key, value)
            elif kind == "out":
                cause = int(rest.split("|")[1])
                self.outbox.setdefault(partition, []).append((cause, key))
                if cause >= committed.get(partition, 0):
                    outputs = json.loads(value)
                    await self.emitter.republish(outputs)
                    resent += len(outputs)
        return resent


def state_partition(key: bytes, value: bytes) -> int | None:
    """Partition of a ``penalty-state`` row: in the key (marks, triggers, outbox) or the
    book's value; ``rec|`` rows have none (they are looked up by key, never scanned)."""
    kind, _, rest = key.partition(b"|")
    if kind in (b"mark", b"triggers", b"pending", b"out"):
        return int(rest.split(b"|", 1)[0])
    if kind == b"book":
        return json.loads(value)["partition"]
    return None
