"""Which offsets of an input partition the ticket stage has processed without a gap.

A stream-clock tick at offset ``o`` of a topic partition promises that every event
before it has been published; the stage may only act on it once it has also
*processed* every message of that partition before ``o``. Faust usually delivers a
partition in order, but after a rebalance it can deliver records fetched before a seek
back to the committed offset, then the earlier ones again. A tick applied in that gap
would fire deadlines of tickets whose events are still to come, and the outcome would
differ from replay (a breach instead of a met). So ticks wait here until the contiguous
frontier of processed offsets has passed them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OffsetFrontier"]

TopicPartition = tuple[str, int]


class OffsetFrontier:
    """Per topic partition: the next offset not yet processed, offsets processed beyond
    it (a gap), and the items (ticks) waiting for the frontier to pass their offset."""

    def __init__(self) -> None:
        self._next: dict[TopicPartition, int] = {}
        self._ahead: dict[TopicPartition, set[int]] = {}
        self._waiting: dict[TopicPartition, list[tuple[int, Any]]] = {}

    def start(self, tp: TopicPartition, offset: int) -> None:
        """Everything before ``offset`` (the committed offset) was processed earlier."""
        self._next[tp] = offset
        self._ahead.pop(tp, None)
        self._waiting.pop(tp, None)

    def forget(self, partition: int) -> None:
        for tp in [tp for tp in self._next if tp[1] == partition]:
            self._next.pop(tp)
            self._ahead.pop(tp, None)
            self._waiting.pop(tp, None)

    def seen(self, tp: TopicPartition, offset: int) -> None:
        """Record that the message at ``offset`` has been processed."""
        nxt = self._next.get(tp)
        if nxt is None or offset < nxt:
            return  # a partition never started (trusted as is), or a redelivery
        ahead = self._ahead.setdefault(tp, set())
        if offset > nxt:
            ahead.add(offset)
            return
        nxt += 1
        while nxt in ahead:
            ahead.discard(nxt)
            nxt += 1
        self._next[tp] = nxt

    def covers(self, tp: TopicPartition, offset: int) -> bool:
        """True when every message of ``tp`` up to ``offset`` has been processed."""
        nxt = self._next.get(tp)
        return nxt is None or offset < nxt

    def hold(self, tp: TopicPartition, offset: int, item: Any) -> None:
        """Keep ``item`` until :meth:`covers` holds for ``offset``."""
        self._waiting.setdefault(tp, []).append((offset, item))

    def release(self, tp: TopicPartition) -> list[Any]:
        """The held items the frontier has now passed, in offset order."""
        waiting = self._waiting.get(tp)
        if not waiting:
            return []
        ready = sorted((w for w in waiting if self.covers(tp, w[0])), key=lambda w: w[0])
        if ready:
            self._waiting[tp] = [w for w in waiting if not self.covers(tp, w[0])]
        return [item for _, item in ready]

    def held(self) -> dict[str, dict[str, object]]:
        """Per topic partition that holds something back: the next offset it waits for,
        how many later offsets were processed past the gap, and how many items wait."""
        out: dict[str, dict[str, object]] = {}
        for tp, nxt in sorted(self._next.items()):
            ahead, waiting = self._ahead.get(tp) or set(), self._waiting.get(tp) or []
            if ahead or waiting:
                out[f"{tp[0]}[{tp[1]}]"] = {"next": nxt, "ahead": len(ahead),
                                            "first_ahead": min(ahead, default=None),
                                            "waiting": len(waiting),
                                            "waits_for": min(w[0] for w in waiting)
                                            if waiting else None}
        return out
