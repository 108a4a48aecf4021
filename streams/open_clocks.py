"""The ``sla_open_clocks`` gauge, kept exact per partition by the ticket stage.

An open clock is one in a ticket's ``clocks``: running, paused, or breached but not yet
handled (a clock leaves the list when it ends as met or cancelled, or when the ticket is
handled after a breach). The gauge counts them by ``(department, metric)`` over the
partitions this worker actively owns, so summing over workers gives the whole pipeline.

Why counts per partition, updated on every save: scanning the ticket table at scrape time
would read up to a million rows per scrape. Instead the ticket stage reports, for each
ticket it saves, the ``(department, metric)`` pairs of its clocks before and after the
change (:meth:`OpenClockCounts.update`); a revoked partition's counts are dropped
(:meth:`OpenClockCounts.drop`) and a (re)assigned one is recounted from the table when it
is rebuilt (:meth:`OpenClockCounts.rebuild`, or :meth:`drop` then :meth:`add` per stored
ticket inside an existing scan). Counts therefore follow the table, which is what recovery
and redelivery keep right: a redelivered event the engine ignores changes no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from prometheus_client import Gauge

from sla.ticket import TicketState
from streams import metrics
from streams.ticket_store import decode_stored

__all__ = ["ClockPair", "OpenClockCounts", "clock_pairs", "stored_clock_pairs"]

#: (department, metric) of one open clock: the labels of ``sla_open_clocks``.
ClockPair = tuple[str, str]

_NO_CLOCKS = b'"clocks":[]'


def clock_pairs(state: TicketState) -> list[ClockPair]:
    """The ``(department, metric)`` of every open clock of ``state`` (one per clock)."""
    return [(clock.department, clock.metric) for clock in state.clocks]


def stored_clock_pairs(value: bytes) -> list[ClockPair]:
    """:func:`clock_pairs` of a ``tickets`` table value (see :mod:`streams.ticket_store`).

    Most stored tickets are finished and have no clock: those are recognised from the
    state's JSON line without decoding it, which keeps a rebuild of a large table cheap.
    """
    if _NO_CLOCKS in value.split(b"\n", 1)[0]:
        return []
    return clock_pairs(decode_stored(value).state)


class OpenClockCounts:
    """Open clocks per partition and ``(department, metric)``, exported to a gauge.

    Every change sets the gauge of the pairs it touched to their total over the partitions
    held; a pair that drops to zero stays exposed at 0, so a panel shows "none open"
    rather than a stale number or a gap.
    """

    def __init__(self, gauge: Gauge | None = None) -> None:
        self.gauge = gauge if gauge is not None else metrics.OPEN_CLOCKS
        self.by_partition: dict[int, Counter[ClockPair]] = {}
        self.totals: Counter[ClockPair] = Counter()
        #: the gauge's child per pair, kept: ``labels`` validates and locks on every call,
        #: and the gauge is never cleared (a pair at zero stays exposed)
        self.children: dict[ClockPair, Any] = {}

    def update(self, partition: int, before: Iterable[ClockPair],
               after: Iterable[ClockPair]) -> None:
        """One ticket of ``partition`` was saved: its clocks went from ``before`` to ``after``."""
        if before == after:  # most saves: no clock opened or closed (lists compare cheaply)
            return
        delta: dict[ClockPair, int] = {}
        for pair in after:  # a few pairs: plain dict arithmetic, cheaper than two Counters
            delta[pair] = delta.get(pair, 0) + 1
        for pair in before:
            delta[pair] = delta.get(pair, 0) - 1
        self._apply(partition, {pair: n for pair, n in delta.items() if n})

    def add(self, partition: int, pairs: Iterable[ClockPair]) -> None:
        """Count the clocks of one more ticket of ``partition`` (while rebuilding it)."""
        self._apply(partition, Counter(pairs))

    def add_counts(self, partition: int, counts: Counter[ClockPair]) -> None:
        """Count many tickets' clocks of ``partition`` at once (a rebuild from the due
        column): ``counts`` of open clocks by pair."""
        self._apply(partition, {pair: n for pair, n in counts.items() if n})

    def drop(self, partition: int) -> None:
        """Forget ``partition`` (revoked: another worker counts it now)."""
        counts = self.by_partition.pop(partition, None)
        if counts:
            self.totals.subtract(counts)
            self._export(counts)

    def rebuild(self, partition: int, tickets: Iterable[Iterable[ClockPair]]) -> None:
        """Recount ``partition`` from the clock pairs of each of its stored tickets."""
        self.drop(partition)
        for pairs in tickets:
            self.add(partition, pairs)

    def count(self, department: str, metric: str) -> int:
        """Open clocks of ``(department, metric)`` over the partitions held."""
        return self.totals[(department, metric)]

    def _apply(self, partition: int, delta: dict[ClockPair, int]) -> None:
        if not delta:
            return
        counts = self.by_partition.setdefault(partition, Counter())
        counts.update(delta)
        self.totals.update(delta)
        self._export(delta)

    def _export(self, pairs: Iterable[ClockPair]) -> None:
        for pair in pairs:
            child = self.children.get(pair)
            if child is None:
                child = self.children[pair] = self.gauge.labels(department=pair[0],
                                                                metric=pair[1])
            child.set(max(self.totals[pair], 0))
