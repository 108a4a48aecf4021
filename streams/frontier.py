"""Which offsets of each input partition a worker has processed without a gap.

Two jobs, one record of processed offsets per topic partition:

- **Ticks wait for earlier messages.** A tick (a stream-clock tick, or a wall-clock
  checkpoint) at offset ``o`` promises that every event before it is in the log; the ticket
  stage may act on it only once it has also *processed* every message of that partition
  before ``o``, or a deadline would fire before events still to come (a breach where
  replay has a met). So ticks wait here until the contiguous frontier has passed them.
- **Skipped input is read again.** After a rebalance, faust-streaming can hand the agents a
  partition's records from a position *past* offsets it never delivered: records fetched
  and then dropped while the flow was suspended, with no seek back (seen: a taken-over
  partition's first message at offset 26 with 22 committed; ``streams/NOTES.md``). Such a
  gap would hold every later tick forever and lose the skipped events. When a gap opens,
  :meth:`OffsetFrontier.read_again` names the offset to seek back to, once; the re-read
  fills it (what is delivered twice, the stages ignore). If the re-read delivers again
  the offsets past the gap and still not the gap, no records exist there (transaction
  markers, compaction on a real cluster): the frontier steps over it.
"""

from __future__ import annotations

from collections.abc import Iterable
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
        self._reread: dict[TopicPartition, tuple[int, int]] = {}  # gap start, first beyond
        self._asked: dict[TopicPartition, int] = {}  # a seek back asked for, not yet done
        self._still: dict[TopicPartition, tuple[int, float, float]] = {}  # next, since, wait

    def start(self, tp: TopicPartition, offset: int) -> None:
        """Everything before ``offset`` (the committed offset) was processed earlier."""
        self.forget([tp])
        self._next[tp] = offset

    def forget(self, tps: Iterable[TopicPartition]) -> None:
        """Stop tracking ``tps`` (revoked): they are trusted until started again."""
        for tp in list(tps):
            for table in (self._next, self._ahead, self._waiting, self._reread, self._asked,
                          self._still):
                table.pop(tp, None)  # type: ignore[attr-defined]

    def seen(self, tp: TopicPartition, offset: int) -> None:
        """Record that the message at ``offset`` has been processed."""
        nxt = self._next.get(tp)
        if nxt is None or offset < nxt:
            return  # a partition never started (trusted as is), or a redelivery
        ahead = self._ahead.setdefault(tp, set())
        if offset > nxt:
            self._on_beyond(tp, nxt, offset, ahead)
            return
        nxt += 1
        while nxt in ahead:
            ahead.discard(nxt)
            nxt += 1
        self._next[tp] = nxt
        if not ahead:
            self._reread.pop(tp, None)

    def _on_beyond(self, tp: TopicPartition, nxt: int, offset: int, ahead: set[int]) -> None:
        """``offset`` is past a gap at ``nxt``: ask for a re-read once; a re-read that
        passes the gap again proves it has no records."""
        reread = self._reread.get(tp)
        if reread is None or reread[0] != nxt:
            self._reread[tp] = (nxt, offset)
            self._asked[tp] = nxt
        elif offset in ahead and offset <= reread[1] and tp not in self._asked:
            self._next[tp] = min(ahead)  # nothing between: step over, then go on
            self._reread.pop(tp)
            ahead.discard(self._next[tp])
            self.seen(tp, self._next[tp])
            return
        ahead.add(offset)

    def processed(self, tp: TopicPartition, offset: int) -> bool:
        """True when the message at ``offset`` was processed since ``tp`` was started (or
        before: below the committed offset it started at)."""
        nxt = self._next.get(tp)
        return nxt is not None and (offset < nxt or offset in self._ahead.get(tp, ()))

    def read_again(self, tp: TopicPartition) -> int | None:
        """The offset to seek ``tp`` back to, once per gap (None: nothing to do)."""
        return self._asked.pop(tp, None)

    def stalled(self, now: float, ends: dict[TopicPartition, int | None],
                after: float) -> list[tuple[TopicPartition, int]]:
        """(topic partition, offset to seek back to) for every partition that has not moved
        for ``after`` seconds (``now`` is a monotonic time) although it has not reached its
        end: what it knows to exist (``ends``: the log's end, as last fetched) or holds an
        item for. This catches a skipped *tail*, which no later message reveals as a gap.
        Asked again, while nothing moves, after twice the previous wait: a partition that
        is only slow (a busy worker on a backlog) is not sought back over and over."""
        out = []
        for tp, nxt in self._next.items():
            waiting = [offset + 1 for offset, _item in self._waiting.get(tp) or ()]
            end = max([ends.get(tp) or 0, *waiting])
            still = self._still.get(tp)
            if nxt >= end or still is None or still[0] != nxt:
                self._still[tp] = (nxt, now, after)
            elif now - still[1] >= still[2]:
                self._still[tp] = (nxt, now, still[2] * 2)
                out.append((tp, nxt))
        return out

    def tracked(self) -> list[TopicPartition]:
        return list(self._next)

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
