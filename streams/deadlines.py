"""The next wake-up of every ticket in the partitions this worker actively owns.

A heap per partition with lazy deletion: rescheduling a ticket pushes a new
entry and forgets the old one, which is skipped when it surfaces. Popping what
is due costs O(k log n) for k due entries, whatever the number n of open
tickets, so a timer tick stays cheap at a million open clocks. The index lives
in worker memory only: it is rebuilt from the ticket table after recovery and
dropped when partitions are revoked (standby partitions never fire).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime

__all__ = ["DeadlineIndex"]


class DeadlineIndex:
    """``set(partition, ticket, when)`` then ``pop_due(partition, now)``."""

    def __init__(self) -> None:
        self._heaps: dict[int, list[tuple[float, str]]] = {}
        self._current: dict[str, tuple[int, float]] = {}

    def __len__(self) -> int:
        return len(self._current)

    @property
    def partitions(self) -> set[int]:
        return set(self._heaps)

    def set(self, partition: int, ticket: str, when: datetime | None) -> None:
        """Schedule ``ticket`` at ``when`` (None: nothing to wait for)."""
        if when is None:
            self._current.pop(ticket, None)
            return
        stamp = when.timestamp()
        if self._current.get(ticket) == (partition, stamp):
            return
        self._current[ticket] = (partition, stamp)
        heapq.heappush(self._heaps.setdefault(partition, []), (stamp, ticket))

    def __contains__(self, ticket: str) -> bool:
        return ticket in self._current

    def set_stamp(self, partition: int, ticket: str, stamp: float | None) -> None:
        """Like :meth:`set`, with epoch seconds (a save has them already)."""
        if stamp is None:
            self._current.pop(ticket, None)
        elif self._current.get(ticket) != (partition, stamp):
            self._current[ticket] = (partition, stamp)
            heapq.heappush(self._heaps.setdefault(partition, []), (stamp, ticket))

    def load(self, partition: int, entries: list[tuple[float, str]]) -> None:
        """Schedule many tickets of ``partition`` at once (a rebuild): ``(stamp, ticket)``
        pairs, epoch seconds. One ``heapify`` instead of a push per entry."""
        current = self._current
        for stamp, ticket in entries:
            current[ticket] = (partition, stamp)
        heap = self._heaps.setdefault(partition, [])
        heap.extend(entries)
        heapq.heapify(heap)

    def pop_due(self, partition: int, now: datetime) -> list[str]:
        """Tickets of ``partition`` due at or before ``now``; they leave the index."""
        heap = self._heaps.get(partition)
        if not heap:
            return []
        limit, due = now.timestamp(), []
        while heap and heap[0][0] <= limit:
            stamp, ticket = heapq.heappop(heap)
            if self._current.get(ticket) == (partition, stamp):
                del self._current[ticket]
                due.append(ticket)
        return due

    def next_due(self, partition: int) -> float | None:
        """Epoch seconds of the earliest live entry of ``partition``, if any."""
        heap = self._heaps.get(partition)
        while heap and self._current.get(heap[0][1]) != (partition, heap[0][0]):
            heapq.heappop(heap)  # drop stale heads so the answer is exact
        return heap[0][0] if heap else None

    def due_partitions(self, now: datetime, partitions: Iterable[int]) -> list[int]:
        """Which of ``partitions`` have something due by ``now``."""
        limit = now.timestamp()
        return [p for p in partitions if (n := self.next_due(p)) is not None and n <= limit]

    def drop_partition(self, partition: int) -> None:
        """Forget a revoked partition's tickets."""
        for _stamp, ticket in self._heaps.pop(partition, []):
            if self._current.get(ticket, (None,))[0] == partition:
                del self._current[ticket]
