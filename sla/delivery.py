"""When a notification reaches its department: at once, or in which digest.

Pure: the department's :class:`~sla.specs.DeliverySpec`, its business calendar and ``now``
are arguments, no clock is read. :func:`due_at` answers None (send now) or the instant a
digest is due; notifications of a department with the same due instant form one digest.

- ``immediate`` severities go at once;
- ``hourly`` ones wait for the end of their local clock hour (on the department calendar's
  time zone), ``daily`` ones for the next local midnight after they happened;
- with ``quiet_hours``, a notification whose send time falls while the calendar is closed
  waits for the calendar's next opening, unless its severity is ``urgent`` (breaches, by
  default). So a night's warnings, penalties and information arrive as one digest when the
  office opens, and a daily digest arrives at the start of the next working day.

A send time already past (a worker catching up) counts from ``now``: nothing is sent into
quiet hours because it is late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sla.specs import DeliverySpec

__all__ = ["Calendar", "due_at", "window_end"]


class Calendar(Protocol):
    """What the scheduler needs of :class:`sla.calendar.BusinessCalendar`."""

    tz: object

    def is_working(self, t: datetime) -> bool: ...

    def add(self, start: datetime, seconds: int | float) -> datetime: ...


def window_end(mode: str, happened: datetime, calendar: Calendar) -> datetime:
    """End of the ``hourly`` or ``daily`` digest window ``happened`` falls in, local time."""
    local = happened.astimezone(calendar.tz)  # type: ignore[arg-type]
    if mode == "hourly":
        start = local.replace(minute=0, second=0, microsecond=0)
        return (start + timedelta(hours=1)).astimezone(happened.tzinfo)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    # a naive local midnight re-localised, so a DST day is still one calendar day
    return midnight.replace(tzinfo=None).replace(tzinfo=calendar.tz)  # type: ignore[arg-type]


def due_at(severity: str, happened: datetime, now: datetime, spec: DeliverySpec | None,
           calendar: Calendar) -> datetime | None:
    """None to send at once, else when the digest this notification joins is due."""
    if spec is None:
        return None
    mode = spec.mode(severity)
    held = spec.quiet_hours and severity not in spec.urgent
    send = now if mode == "immediate" else max(window_end(mode, happened, calendar), now)
    if held and not calendar.is_working(send):
        return calendar.add(send, 0)  # the next instant the calendar is open
    if mode == "immediate":
        return None
    return window_end(mode, happened, calendar)
