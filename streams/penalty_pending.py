"""Penalty triggers waiting for the watermarks: in a heap per triggers partition, and
durable in ``triggers|<partition>|<offset>|<n>`` rows of the ``penalty-state`` table.

A row holds the triggers of one batch of messages of a partition (``<department>\\t<event
json>`` lines; ``offset`` is the first one's, ``n`` tells rows of equal offset apart), up to
:data:`ROW_CHARS` (a batch of a backlog's trigger packs would otherwise make a row of
megabytes, which Kafka refuses as a changelog record), not one row per trigger: a row is
written once, and deleted once every trigger in it has been applied, in the drain that
applies the last one, after its book (the crash rule of :mod:`streams.penalty_stage`).
Before, each trigger cost a row and its deletion, two changelog records, most of the
department stage's writes. A trigger applied in the batch that brought it costs nothing:
the changelog writer cancels a row written and deleted before its send
(:mod:`streams.table_writes`).

After a crash a row may hold triggers already applied (the row waits for its last one):
they are buffered again at the rebuild and the book ignores them (``PenaltyEngine.apply``
is idempotent), as it ignores a trigger delivered twice. Rows of the earlier layout
(``pending|<partition>|<department>|<id>``, one trigger each) are read the same way.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from models import parse_event
from streams.interfaces import KeyValueStore

__all__ = ["ROW_CHARS", "PendingTriggers", "Trigger"]

#: (time stamp, event id, department, event json, row key): heap order is (time, id).
Trigger = tuple[float, str, str, str, bytes]

#: A row holds at most this many characters of triggers (unless one trigger is longer):
#: under the 1 MB a Kafka record may have by default (broker ``message.max.bytes``,
#: producer ``max_request_size``) even if every character took four bytes.
ROW_CHARS = 200_000


class _Arrived:
    """A row of triggers not written yet: its key, its lines, their characters (with the
    newlines)."""

    __slots__ = ("chars", "key", "lines")
    key: bytes
    lines: list[str]
    chars: int

    def __init__(self, key: bytes) -> None:
        self.key, self.lines, self.chars = key, [], 0


class PendingTriggers:
    """The triggers of each partition not applied yet, and the rows that keep them."""

    def __init__(self, state: KeyValueStore) -> None:
        self.state = state
        self.heaps: dict[int, list[Trigger]] = {}
        self.waiting: dict[int, set[tuple[str, str]]] = {}  # (department, id) in the heap
        self.left: dict[int, dict[bytes, int]] = {}  # row -> its triggers not applied yet
        self.arrived: dict[int, list[_Arrived]] = {}  # per partition, rows not written yet

    def add(self, partition: int, offset: int, department: str, raw: str) -> None:
        """Buffer a trigger (not written yet: :meth:`keep`); a redelivered one still
        waiting is ignored."""
        event = parse_event(raw, accept="any")
        waiting = self.waiting.setdefault(partition, set())
        if (department, event.id) in waiting:
            return
        waiting.add((department, event.id))
        line = f"{department}\t{raw}"
        rows = self.arrived.setdefault(partition, [])
        if not rows or rows[-1].chars + len(line) > ROW_CHARS:  # a first line always fits
            rows.append(_Arrived(self._new_row(partition, offset)))
        arrived = rows[-1]
        row = arrived.key
        arrived.lines.append(line)
        arrived.chars += len(line) + 1
        left = self.left.setdefault(partition, {})
        left[row] = left.get(row, 0) + 1
        heapq.heappush(self.heaps.setdefault(partition, []),
                       (event.time.timestamp(), event.id, department, raw, row))

    def _new_row(self, partition: int, offset: int) -> bytes:
        left, n = self.left.get(partition, {}), 0
        while (row := f"triggers|{partition}|{offset}|{n}".encode()) in left:
            n += 1
        return row

    def keep(self, partition: int) -> None:
        """Write the rows of the triggers buffered since the last call (before a drain)."""
        for arrived in self.arrived.pop(partition, ()):
            self.state[arrived.key] = "\n".join(arrived.lines).encode()

    def pop_released(self, partition: int, limit: float) -> Iterator[Trigger]:
        """Pop the triggers at or before ``limit``, in (time, id) order."""
        heap = self.heaps.get(partition, [])
        while heap and heap[0][0] <= limit:
            yield heapq.heappop(heap)

    def put_back(self, partition: int, triggers: list[Trigger]) -> None:
        """Triggers popped by a drain that failed: they wait for the next one."""
        for trigger in triggers:
            heapq.heappush(self.heaps.setdefault(partition, []), trigger)

    def applied(self, partition: int, triggers: list[Trigger]) -> None:
        """Forget applied triggers; delete each row whose last trigger this was."""
        waiting, left = self.waiting.get(partition, set()), self.left.get(partition, {})
        for _stamp, event_id, department, _raw, row in triggers:
            waiting.discard((department, event_id))
            left[row] -= 1
            if not left[row]:
                del left[row]
                del self.state[row]

    def load(self, partition: int, key: bytes, value: bytes) -> None:
        """Buffer again the triggers of a stored row (at a rebuild)."""
        if key.startswith(b"pending|"):  # the earlier layout: one trigger, its department
            lines = [f"{key.decode().split('|')[2]}\t{value.decode()}"]
        else:
            lines = value.decode().split("\n")
        left = self.left.setdefault(partition, {})
        for line in lines:
            department, raw = line.split("\t", 1)
            event = parse_event(raw, accept="any")
            self.waiting.setdefault(partition, set()).add((department, event.id))
            left[key] = left.get(key, 0) + 1
            heapq.heappush(self.heaps.setdefault(partition, []),
                           (event.time.timestamp(), event.id, department, raw, key))

    def drop(self, partition: int) -> None:
        for held in (self.heaps, self.waiting, self.left, self.arrived):
            held.pop(partition, None)
