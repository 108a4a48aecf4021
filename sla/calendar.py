"""Business calendars: when a department's SLA clock runs, and business-time arithmetic.

A :class:`BusinessCalendar` turns a :class:`~sla.specs.CalendarSpec` into answers
to "when is this due?" (:meth:`~BusinessCalendar.add`) and "how much working time
has elapsed?" (:meth:`~BusinessCalendar.working_seconds`). Working time is real
elapsed time inside local working spans, so a span on a DST day counts what the
clock on the wall actually lived through.

Rules worth knowing:

* A deadline that falls exactly at the end of a working span is reported at the
  start of the next working span (as Zammad and GLPI do): with hours 09:00-12:00,
  13:30-18:00, Monday 09:00 plus 3 h is Monday 13:30, not 12:00.
* A day's hours come from, in order of precedence: the spec's ``open`` dates, its
  ``closed`` dates, the public-holiday data (days off closed; make-up working days
  (调休) open with ``makeup_hours``, default the Monday hours), then the week.
* Public holidays come from the ``holidays`` package. For China it holds the
  State Council's notices up to a last published year; later years are estimated
  and deadlines touching them are *provisional* until an operator adds the year to
  ``sla/data/holidays-cn.yaml`` (or passes ``overrides``). For China a Saturday or
  Sunday that is not a make-up day and touches a day off (directly or through the
  other weekend day) belongs to the holiday block and is closed, as in every State
  Council notice, for package and override years alike: a calendar that also works
  weekends is closed for the whole block (all of 1-7 Oct 2026, Sun 4 Oct included).
* Times are instants: inputs must be timezone-aware, outputs are in the calendar's
  zone, precision is the microsecond. Nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sla._calendar_holidays import (
    DEFAULT_OVERRIDES_PATH,
    DayStatus,
    HolidayOverride,
    HolidaySource,
    default_overrides,
    load_holiday_overrides,
    parse_holiday_overrides,
)
from sla._calendar_index import US, WorkIndex, naive_to_us, wall_to_us
from sla._zones import fixed_zone
from sla.specs import CalendarSpec, Duration, Span

__all__ = [
    "DEFAULT_OVERRIDES_PATH",
    "BusinessCalendar",
    "HolidayOverride",
    "build_calendars",
    "load_holiday_overrides",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: add_duration gives up when this many days in a row have no working time.
_MAX_CLOSED_DAYS = 366 * 8
#: How many recent instant -> microseconds conversions a calendar remembers.
_RECENT_SIZE = 4096
_DAY_US = 86_400 * US

Overrides = Mapping[int, HolidayOverride | Mapping[str, object]]


def _normalise(spans: tuple[Span, ...], where: str) -> tuple[Span, ...]:
    ordered = tuple(sorted(spans, key=lambda s: s.start))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start < before.end:
            raise ValueError(f"{where}: overlapping spans {before} and {after}")
    return ordered


class BusinessCalendar:
    """Working-time arithmetic for one :class:`CalendarSpec`.

    ``overrides`` maps a year to its official holiday notice (see
    :func:`load_holiday_overrides`); None loads the shipped file for China. The
    working-time index is built lazily (a local year at a time) and cached, so
    instances are meant to be long-lived and shared; they are not thread-safe.
    """

    def __init__(self, spec: CalendarSpec, overrides: Overrides | None = None) -> None:
        if len(spec.week) != 7:
            raise ValueError(f"calendar {spec.name}: week needs 7 days, got {len(spec.week)}")
        try:
            self.tz = ZoneInfo(spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"calendar {spec.name}: unknown timezone {spec.timezone!r}") from None
        self.spec = spec
        self.name = spec.name
        self._week = tuple(_normalise(day, f"calendar {spec.name}") for day in spec.week)
        self._makeup = (self._week[0] if spec.makeup_hours is None
                        else _normalise(spec.makeup_hours, f"calendar {spec.name} makeup"))
        self._open = {d: _normalise(s, f"calendar {spec.name} {d}") for d, s in spec.open.items()}
        self._holidays: HolidaySource | None = None
        if spec.holidays:
            chosen = (default_overrides(spec.holidays) if overrides is None
                      else parse_holiday_overrides(overrides))
            self._holidays = HolidaySource(spec.holidays, chosen)
        self._always = spec.always_open
        self._index = WorkIndex(self.tz, self._spans_on)
        self._recent: dict[int, tuple[datetime, int]] = {}
        self._instants: dict[int, datetime] = {}
        self._last_span: tuple[datetime, datetime, int] | None = None
        self._day_steps: dict[tuple[int, int], int] = {}
        self._midnight_cache: dict[int, tuple[int, int]] = {}
        #: Last date whose holiday schedule is official; None if nothing is provisional.
        self.provisional_after: date | None = (
            self._holidays.last_official_day() if self._holidays else None)
        #: Instants before this are never provisional.
        self._official_until = (
            self._out(naive_to_us(datetime(self.provisional_after.year + 1, 1, 1), self.tz))
            if self.provisional_after else datetime.max.replace(tzinfo=UTC))

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.spec.timezone})"

    def _spans_on(self, day: date) -> tuple[Span, ...]:
        """Working spans of a local date, after exceptions and holidays."""
        if day in self._open:
            return self._open[day]
        if day in self.spec.closed:
            return ()
        if self._holidays is not None:
            status = self._holidays.status(day)
            if status is DayStatus.CLOSED:
                return ()
            if status is DayStatus.WORKDAY:
                return self._makeup
        return self._week[day.weekday()]

    def _us(self, t: datetime) -> int:
        """UTC microseconds of an aware instant. The same instants (an event's time,
        a deadline just computed) are converted many times in a row, so recent
        conversions are remembered by identity (the entry keeps ``t`` alive)."""
        hit = self._recent.get(id(t))
        if hit is not None and hit[0] is t:
            return hit[1]
        try:
            t_us = (t - _EPOCH) // _ONE_US
        except TypeError:
            raise ValueError(f"expected a timezone-aware datetime, got {t!r}") from None
        self._remember(t, t_us)
        return t_us

    def _remember(self, t: datetime, t_us: int) -> None:
        recent = self._recent
        if len(recent) >= _RECENT_SIZE:
            recent.clear()
        recent[id(t)] = (t, t_us)

    def _out(self, t_us: int) -> datetime:
        """The aware instant of UTC microseconds ``t_us`` in the calendar's zone.

        Remembered per instant: deadlines fall on the same instants again and again (a
        span's start, where the time outside hours is carried), and ``fromtimestamp`` in
        a ``ZoneInfo`` costs several lookups; the instant is remembered for :meth:`_us`
        too, so a deadline handed back is not converted again. It is written on the shared
        zone of its offset (:mod:`sla._zones`): the same local fields, offset and JSON as
        in the calendar's ``ZoneInfo``, and the engine compares it with event times (on
        those zones in replay) without calling ``utcoffset`` on both sides."""
        found = self._instants.get(t_us)
        if found is None:
            instants = self._instants
            if len(instants) >= _RECENT_SIZE:
                instants.clear()
            local = datetime.fromtimestamp(t_us / US, self.tz)
            found = instants[t_us] = local.astimezone(fixed_zone(local.utcoffset()))
            self._remember(found, t_us)
        return found

    @staticmethod
    def _amount(seconds: int | float) -> int:
        if seconds < 0:
            raise ValueError(f"negative working time: {seconds}")
        return seconds * US if isinstance(seconds, int) else round(seconds * US)

    def add(self, start: datetime, seconds: int | float) -> datetime:
        """Instant at which ``seconds`` of working time have elapsed after ``start``.

        Counting starts at the next working instant; a result at the end of a
        working span moves to the start of the next one; ``add(t, 0)`` is ``t`` when
        ``t`` is working, else the next working instant.
        """
        amount = seconds * US if seconds.__class__ is int and seconds >= 0 else (
            self._amount(seconds))  # the usual case without the call
        return self._out(self._add_us(self._us(start), amount))

    def _add_us(self, t: int, amount: int) -> int:
        if self._always:
            return t + amount
        index = self._index
        index.cover(t)
        return index.instant_at(index.cumulative(t) + amount)

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Working time in [start, end), whole seconds rounded down; 0 if end <= start.

        The inverse of :meth:`add`: ``working_seconds(s, add(s, n)) == n``.
        """
        last = self._last_span  # the clocks of a ticket often share (start, end)
        if last is not None and last[0] is start and last[1] is end:
            return last[2]
        s, e = self._us(start), self._us(end)
        if e <= s:
            return 0
        if self._always:
            found = (e - s) // US
        else:
            index = self._index
            index.cover(s)
            index.cover(e)
            found = (index.cumulative(e) - index.cumulative(s)) // US
        self._last_span = (start, end, found)
        return found

    def is_working(self, t: datetime) -> bool:
        """Whether the clock runs at instant ``t`` (span starts included, ends excluded)."""
        u = self._us(t)
        if self._always:
            return True
        self._index.cover(u)
        return self._index.is_working(u)

    def add_duration(self, start: datetime, duration: Duration) -> datetime:
        """Deadline for a :class:`Duration`: ``days`` working days later at the same
        clock time, then ``seconds`` of working time.

        The day count starts from the next working instant when ``start`` is outside
        hours; a working day is a date with any working time. When the target day's
        clock time is not working, counting resumes at the next working instant.
        """
        return self._out(self._duration_end_us(self._us(start), duration))

    def duration_seconds(self, start: datetime, duration: Duration) -> int:
        """Working seconds from ``start`` to :meth:`add_duration` (a clock's target)."""
        if not duration.days:
            return duration.seconds
        s = self._us(start)
        end = self._duration_end_us(s, duration)
        if self._always:
            return (end - s) // US
        index = self._index
        index.cover(s)  # cover before reading: the index may have grown backwards
        return (index.cumulative(end) - index.cumulative(s)) // US

    def _duration_end_us(self, s: int, duration: Duration) -> int:
        if duration.days < 0:
            raise ValueError(f"negative working days: {duration.days}")
        amount = self._amount(duration.seconds)
        if duration.days == 0:
            return self._add_us(s, amount)
        s = self._add_us(s, 0)  # the next working instant
        local = datetime.fromtimestamp(s / US, self.tz)
        start_day = local.toordinal()
        target_day = self._working_days_after(start_day, duration.days)
        midnight, next_midnight = self._midnights(target_day)
        if next_midnight - midnight == _DAY_US:  # no DST change that day: wall time is linear
            of_day = ((local.hour * 60 + local.minute) * 60 + local.second) * US
            target = midnight + of_day + local.microsecond
        else:
            target = naive_to_us(datetime.combine(date.fromordinal(target_day), local.time()),
                                 self.tz)
        return self._add_us(target, amount)

    def _working_days_after(self, day: int, days: int) -> int:
        """Ordinal of the local date ``days`` working days after ordinal ``day`` (cached)."""
        key = (day, days)
        found = self._day_steps.get(key)
        if found is None:
            remaining, closed_run, current = days, 0, day
            while remaining:
                current += 1
                if self._always or self._index.day_intervals(date.fromordinal(current)):
                    remaining, closed_run = remaining - 1, 0
                else:
                    closed_run += 1
                    if closed_run > _MAX_CLOSED_DAYS:
                        raise ValueError(f"calendar {self.name}: no working day after "
                                         f"{date.fromordinal(current)}")
            found = self._day_steps[key] = current
        return found

    def _midnights(self, day: int) -> tuple[int, int]:
        """UTC microseconds of local midnight at the start and end of ordinal ``day``."""
        found = self._midnight_cache.get(day)
        if found is None:
            start = date.fromordinal(day)
            found = self._midnight_cache[day] = (
                wall_to_us(start, 0, self.tz), wall_to_us(start + timedelta(days=1), 0, self.tz))
        return found

    def is_provisional(self, start: datetime, end: datetime | None = None) -> bool:
        """True when [start, end] touches a local year whose official holiday schedule
        is unknown (beyond the package data and the overrides)."""
        if self._holidays is None:
            return False
        if start < self._official_until and (end is None or end < self._official_until):
            return False  # the usual case: inside the published years
        first = self._out(self._us(start)).year
        last = first if end is None else self._out(self._us(end)).year
        return any(not self._holidays.is_official(y) for y in range(first, last + 1))


def build_calendars(
    specs: Mapping[str, CalendarSpec], overrides: Overrides | None = None
) -> dict[str, BusinessCalendar]:
    """One :class:`BusinessCalendar` per spec name (``overrides`` as for the constructor)."""
    return {name: BusinessCalendar(spec, overrides) for name, spec in specs.items()}
