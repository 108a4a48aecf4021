"""Working-time clocks used to place simulated actions in plausible hours.

Instants are integer epoch seconds. A clock answers two questions: "when is it after
``n`` seconds of working time from ``t``?" (:meth:`add`) and "how much working time lies
between two instants?" (:meth:`elapsed`). The clocks: 24x7; the office (Mon-Fri
09:00-12:00 and 13:30-18:00, statutory holidays closed, make-up days open); extended
hours (08:00-22:00 every day, statutory holidays closed) and the contact-center seats
(08:00-22:00 every day). This is deliberately small and independent
of the SLA engine's calendar: the simulator only needs to make tickets late or on time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays as holidays_lib

__all__ = [
    "AlwaysClock", "Clock", "IntervalClock", "agent_clock", "extended_clock", "office_clock",
]

Spans = tuple[tuple[int, int], ...]  # [start, end) seconds since local midnight

OFFICE_SPANS: Spans = ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 18 * 3600))
AGENT_SPANS: Spans = ((8 * 3600, 22 * 3600),)
EXTENDED_SPANS = AGENT_SPANS
_MAX_DAYS = 400  # a clock closed for longer than this is a configuration error


class Clock(Protocol):
    """Working time arithmetic on epoch seconds."""

    def add(self, start: int, seconds: int) -> int: ...

    def elapsed(self, start: int, end: int) -> int: ...


class AlwaysClock:
    """The 24x7 clock: working time is wall time."""

    def add(self, start: int, seconds: int) -> int:
        """``start`` plus ``seconds``."""
        return start + seconds

    def elapsed(self, start: int, end: int) -> int:
        """Wall seconds from ``start`` to ``end`` (0 if ``end`` is earlier)."""
        return max(0, end - start)


class IntervalClock:
    """A clock open during per-day local spans; ``open_on(date)`` says which days count."""

    def __init__(self, tz: ZoneInfo, spans: Spans, open_on: Callable[[date], bool]) -> None:
        self._tz = tz
        self._spans = spans
        self._open_on = open_on
        self._intervals = lru_cache(maxsize=4096)(self._compute_intervals)

    def is_open_day(self, day: date) -> bool:
        """True when ``day`` has working hours (not a weekend/holiday for the office)."""
        return self._open_on(day)

    def _compute_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """Open intervals of ``day`` as epoch seconds."""
        if not self._open_on(day):
            return ()
        midnight = datetime(day.year, day.month, day.day, tzinfo=self._tz)
        return tuple(
            (int((midnight + timedelta(seconds=a)).timestamp()),
             int((midnight + timedelta(seconds=b)).timestamp()))
            for a, b in self._spans
        )

    def _local_date(self, instant: int) -> date:
        return datetime.fromtimestamp(instant, self._tz).date()

    def add(self, start: int, seconds: int) -> int:
        """The instant after ``seconds`` of open time from ``start`` (0: next opening)."""
        day, t, left = self._local_date(start), start, seconds
        for _ in range(_MAX_DAYS + max(0, seconds) // 3600):
            for a, b in self._intervals(day):
                if b <= t:
                    continue
                t = max(t, a)
                if left <= b - t:
                    return t + left
                left -= b - t
                t = b
            day += timedelta(days=1)
        raise ValueError("clock never opens: check the calendar")

    def elapsed(self, start: int, end: int) -> int:
        """Open seconds in [start, end)."""
        total, day = 0, self._local_date(start)
        last = self._local_date(end) if end > start else day
        while day <= last:
            for a, b in self._intervals(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total


def office_clock(tz: ZoneInfo, country: str | None) -> IntervalClock:
    """Back-office hours: Mon-Fri 09:00-12:00 and 13:30-18:00, ``country``'s holidays off.

    Without a holiday country, weekends are still closed.
    """
    if country is None:
        return IntervalClock(tz, OFFICE_SPANS, lambda day: day.weekday() < 5)
    calendar = holidays_lib.country_holidays(country)
    return IntervalClock(tz, OFFICE_SPANS, calendar.is_working_day)


def extended_clock(tz: ZoneInfo, country: str | None) -> IntervalClock:
    """Stores and network operations: 08:00-22:00 every day, statutory holidays off."""
    if country is None:
        return IntervalClock(tz, EXTENDED_SPANS, lambda day: True)
    calendar = holidays_lib.country_holidays(country)
    return IntervalClock(tz, EXTENDED_SPANS, lambda day: day not in calendar)


def agent_clock(tz: ZoneInfo) -> IntervalClock:
    """Contact-center seats: 08:00-22:00 every day, holidays included."""
    return IntervalClock(tz, AGENT_SPANS, lambda day: True)
