"""Working-time index of a business calendar: private helper of :mod:`sla.calendar`.

A calendar's working intervals are kept as sorted UTC boundaries in integer
microseconds since the epoch, with the working time accumulated before each
boundary. Elapsed working time is then a difference of two cumulative values and
a deadline is one bisection, whatever the distance: no walk over days or seconds.

The index covers whole local years, is built lazily around the instants asked
for and is extended (forwards or backwards) when a query leaves it. Local span
boundaries are converted to UTC per day, so a DST day's span counts real elapsed time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sla.specs import Span

__all__ = ["US", "WorkIndex", "local_day", "naive_to_us", "wall_to_us"]

US = 1_000_000  # microseconds per second
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: Consecutive years without any working time after which a deadline is declared unreachable.
_MAX_EMPTY_YEARS = 8


def _aware_us(t: datetime) -> int:
    return (t - _EPOCH) // _ONE_US


def local_day(t_us: int, tz: ZoneInfo) -> date:
    """Local calendar date of an instant."""
    return datetime.fromtimestamp(t_us // US, tz).date()


def wall_to_us(day: date, seconds: int, tz: ZoneInfo) -> int:
    """First instant at which the wall clock in ``tz`` reads at least ``day + seconds``
    (see :func:`naive_to_us`)."""
    return naive_to_us(datetime(day.year, day.month, day.day) + timedelta(seconds=seconds), tz)


def naive_to_us(naive: datetime, tz: ZoneInfo) -> int:
    """First instant at which the wall clock in ``tz`` reads at least ``naive``.

    For an ordinary time that is the instant itself; for a time shown twice (autumn
    fall-back) the first one; for a time skipped by a spring-forward, the transition
    instant (the clock jumps over it), so a span inside the gap is empty.
    """
    aware = naive.replace(tzinfo=tz)
    t0 = _aware_us(aware)
    if datetime.fromtimestamp(t0 / US, tz).replace(tzinfo=None) == naive:
        return t0
    # Skipped time: fold=0 reads it with the offset before the gap (t0, the later
    # instant), fold=1 with the offset after it. The transition lies in between.
    lo, hi = _aware_us(aware.replace(fold=1)) // US, t0 // US
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid + 1
    return hi * US


class WorkIndex:
    """Working intervals of one calendar over a contiguous range of local years.

    ``day_spans(d)`` gives the local working spans of a date (already resolved
    for week, holidays and exceptions).
    """

    def __init__(self, tz: ZoneInfo, day_spans: Callable[[date], tuple[Span, ...]]) -> None:
        self._tz = tz
        self._day_spans = day_spans
        self._years: dict[int, list[tuple[int, int]]] = {}
        #: local date ordinal -> that day's working intervals (UTC microseconds)
        self.days: dict[int, tuple[tuple[int, int], ...]] = {}
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.cum_starts: list[int] = []  # working time before starts[i]
        self.cum_ends: list[int] = []  # working time before ends[i]
        self.lo = 0  # covered range [lo, hi) in UTC microseconds
        self.hi = 0
        self._first = self._last = 0  # covered local years
        self._last_t: int | None = None  # last cumulative() query, and its answer
        self._last_cumulative = 0

    # -- building ---------------------------------------------------------------------

    def _build_year(self, year: int) -> list[tuple[int, int]]:
        if not 1 <= year < 9999:
            raise ValueError(f"year {year} is outside the supported calendar range")
        intervals: list[tuple[int, int]] = []
        day = date(year, 1, 1)
        one = timedelta(days=1)
        while day.year == year:
            todays = tuple(
                (s, e)
                for s, e in ((wall_to_us(day, sp.start, self._tz),
                              wall_to_us(day, sp.end, self._tz))
                             for sp in self._day_spans(day))
                if e > s
            )
            self.days[day.toordinal()] = todays
            intervals.extend(todays)
            day += one
        self._years[year] = intervals
        return intervals

    def _flatten(self) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for year in sorted(self._years):
            for s, e in self._years[year]:
                if ends and s <= ends[-1]:  # adjacent spans (…-12:00, 12:00-…) are one
                    ends[-1] = max(ends[-1], e)
                else:
                    starts.append(s)
                    ends.append(e)
        cum_starts: list[int] = []
        cum_ends: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            cum_starts.append(total)
            total += e - s
            cum_ends.append(total)
        self.starts, self.ends = starts, ends
        self.cum_starts, self.cum_ends = cum_starts, cum_ends
        self._last_t = None  # cumulative values moved: forget the last answer
        self.lo = wall_to_us(date(self._first, 1, 1), 0, self._tz)
        self.hi = wall_to_us(date(self._last + 1, 1, 1), 0, self._tz)

    def _extend_forward(self) -> bool:
        """Add the next year; False when it has no working time."""
        self._last += 1
        found = bool(self._build_year(self._last))
        self._flatten()
        return found

    def cover(self, t: int) -> None:
        """Make sure the index covers instant ``t``. Cumulative values of instants
        already covered change when the index grows backwards: cover first, then read."""
        if self._years and self.lo <= t < self.hi:
            return
        year = local_day(t, self._tz).year
        if not self._years:
            self._first = self._last = year
            self._build_year(year)
        for y in range(year, self._first):
            self._build_year(y)
        for y in range(self._last + 1, year + 1):
            self._build_year(y)
        self._first, self._last = min(self._years), max(self._years)
        self._flatten()

    # -- queries (arguments must be covered) ------------------------------------------

    def cumulative(self, t: int) -> int:
        """Working time (microseconds) from the start of the index up to ``t``.

        The last answer is remembered: a clock's start is asked for several times
        in a row (its target, its deadline, its first warning)."""
        if t == self._last_t:
            return self._last_cumulative
        j = bisect_right(self.starts, t) - 1
        if j < 0:
            return 0
        inside = self.cum_starts[j] + t - self.starts[j]
        end = self.cum_ends[j]
        found = inside if inside < end else end  # min(), without the call
        self._last_t, self._last_cumulative = t, found
        return found

    def instant_at(self, target: int) -> int:
        """The instant at which cumulative working time reaches ``target``.

        Reaching it exactly at the end of an interval gives the start of the next
        one (the deadline rule). Extends the index forwards as needed.
        """
        empty = 0
        while True:
            j = bisect_right(self.cum_ends, target)
            if j < len(self.cum_ends):
                return self.starts[j] + target - self.cum_starts[j]
            empty = 0 if self._extend_forward() else empty + 1
            if empty >= _MAX_EMPTY_YEARS:
                raise ValueError(f"no working time within {_MAX_EMPTY_YEARS} years")

    def is_working(self, t: int) -> bool:
        """Whether ``t`` lies inside a working interval."""
        j = bisect_right(self.starts, t) - 1
        return j >= 0 and t < self.ends[j]

    def day_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """Working intervals of a local date (covering its year if needed)."""
        found = self.days.get(day.toordinal())
        if found is None:
            self.cover(wall_to_us(day, 43200, self._tz))
            found = self.days[day.toordinal()]
        return found
