"""The department stage in the stream: penalties in event-time order.

Repeat multipliers and monthly caps depend on a department's history, so
triggers (``sla.breached``, ``sla.attributed``) are buffered until every ticket
partition has promised, with a watermark, that nothing earlier will follow; then
they are applied in (time, id) order, exactly as replay does.

All state sits in one table, so its changelog keeps the writes of one trigger in
order: ``rec|<dept>|<ticket>`` (penalty records) is written before ``book|<dept>``
(windowed totals, last applied trigger, outbox). A crash between the two replays
the trigger against the old book and recomputes the same penalty.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, MutableMapping
from datetime import datetime

import faust

from models import CloudEvent, parse_event
from sla.codec import decode_book, decode_records, encode_book, encode_records
from sla.notifications import notifications_for
from sla.penalties import PenaltyBook, PenaltyEngine, PenaltyRecord
from sla.specs import SlaConfig
from streams.emit import Emitter
from streams.topics import WATERMARK, Topics

__all__ = ["PenaltyStage"]

MAX_OUTBOX = 16


class _Records(MutableMapping[str, list[PenaltyRecord]]):
    """A department's per-ticket penalty records, stored under their own table keys."""

    def __init__(self, table: faust.Table, department: str) -> None:
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
    def __init__(self, app: faust.App, config: SlaConfig, topics: Topics,
                 emitter: Emitter) -> None:
        self.engine, self.emitter, self.sources = PenaltyEngine(config), emitter, topics.partitions
        self.state = app.Table("penalty-state", key_type=bytes, value_type=bytes,
                               partitions=topics.partitions)
        self.pending: dict[int, list[tuple[float, str, str, str]]] = {}
        self.marks: dict[int, dict[int, datetime]] = {}

    async def process(self, event: faust.EventT) -> None:
        partition = event.message.partition
        if WATERMARK in event.headers:
            source, when = event.headers[WATERMARK].decode().split("|", 1)
            self._mark(partition, int(source), when)
        elif event.key:
            self._buffer(partition, event.key.decode(), event.value.decode())
        await self._drain(partition, event.message.offset)

    def _mark(self, partition: int, source: int, when_text: str) -> None:
        when = datetime.fromisoformat(when_text)
        marks = self.marks.setdefault(partition, {})
        if source not in marks or when > marks[source]:
            marks[source] = when
            self.state[f"mark|{partition}|{source}".encode()] = when_text.encode()

    def _buffer(self, partition: int, department: str, raw: str) -> None:
        event = parse_event(raw, accept="any")
        key = f"pending|{partition}|{department}|{event.id}"
        if self.state.get(key.encode()) is not None:
            return  # redelivered while still pending
        self.state[key.encode()] = raw.encode()
        heapq.heappush(self.pending.setdefault(partition, []),
                       (event.time.timestamp(), event.id, department, raw))

    def low_watermark(self, partition: int) -> datetime | None:
        marks = self.marks.get(partition, {})
        return min(marks.values()) if len(marks) >= self.sources else None

    async def _drain(self, partition: int, offset: int) -> None:
        low = self.low_watermark(partition)
        heap = self.pending.get(partition)
        if low is None or not heap:
            return
        limit = low.timestamp()
        while heap and heap[0][0] <= limit:
            _stamp, _id, department, raw = heapq.heappop(heap)
            await self._apply(partition, department, parse_event(raw, accept="any"), offset)

    async def _apply(self, partition: int, department: str, event: CloudEvent,
                     offset: int) -> None:
        book, outbox = self._load_book(department)
        outputs = self.engine.apply(book, event)  # idempotent: see PenaltyEngine.apply
        outputs += [n for e in outputs for n in notifications_for(e)]
        if outputs:
            outbox = [*outbox, [offset, [e.to_json() for e in outputs]]][-MAX_OUTBOX:]
        self._save_book(book, outbox, partition)
        del self.state[f"pending|{partition}|{department}|{event.id}".encode()]
        await self.emitter.publish(outputs)

    def _load_book(self, department: str) -> tuple[PenaltyBook, list]:
        value = self.state.get(f"book|{department}".encode())
        records = _Records(self.state, department)
        if value is None:
            return PenaltyBook(department, by_ticket=records), []
        data = json.loads(value)
        return decode_book(data["book"], by_ticket=records), data["outbox"]

    def _save_book(self, book: PenaltyBook, outbox: list, partition: int) -> None:
        value = {"book": encode_book(book), "outbox": outbox, "partition": partition}
        self.state[f"book|{book.department}".encode()] = json.dumps(value).encode()

    # -- recovery ----------------------------------------------------------------------

    def drop(self, partitions: set[int]) -> None:
        for partition in partitions:
            self.pending.pop(partition, None)
            self.marks.pop(partition, None)

    async def rebuild(self, partitions: set[int], committed: dict[int, int]) -> int:
        """Reload pending triggers and watermarks of ``partitions``; re-emit outbox entries
        whose cause (a triggers-topic offset) is not committed. Returns outputs re-sent."""
        resent = 0
        for key, value in self.state.items():
            kind, _, rest = key.decode().partition("|")
            if kind == "mark":
                partition, source = (int(x) for x in rest.split("|"))
                if partition in partitions:
                    self.marks.setdefault(partition, {})[source] = datetime.fromisoformat(
                        value.decode())
            elif kind == "pending":
                resent += self._reload_pending(partitions, rest, value)
            elif kind == "book":
                resent += await self._resend(partitions, value, committed)
        return resent

    def _reload_pending(self, partitions: set[int], rest: str, value: bytes) -> int:
        partition_text, department, _id = rest.split("|", 2)
        partition = int(partition_text)
        if partition in partitions:
            event = parse_event(value, accept="any")
            heapq.heappush(self.pending.setdefault(partition, []),
                           (event.time.timestamp(), event.id, department, value.decode()))
        return 0

    async def _resend(self, partitions: set[int], value: bytes, committed: dict[int, int]) -> int:
        data = json.loads(value)
        partition = data["partition"]
        if partition not in partitions:
            return 0
        count = 0
        for offset, outputs in data["outbox"]:
            if offset >= committed.get(partition, 0):
                await self.emitter.republish(outputs)
                count += len(outputs)
        return count
