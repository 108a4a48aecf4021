"""One shared fixed-offset zone per UTC offset, for the instants the domain compares.

Two aware datetimes on the same tzinfo object compare as plain numbers; on two different
ones, Python calls ``utcoffset`` on both (for a ``ZoneInfo``, a search of its
transitions), about ten times the cost. Replay moves every parsed event time to its
offset's shared zone (:func:`sla.replay.shared_time`) and the calendars write their
deadlines on the same zones (:meth:`sla.calendar.BusinessCalendar._out`), so an event
time and a deadline of the same offset compare cheaply. The instant, the offset, the
local fields and the JSON are those of the time before the move.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone, tzinfo

__all__ = ["fixed_zone"]

_ZONES: dict[timedelta | None, tzinfo] = {}


def fixed_zone(offset: timedelta | None) -> tzinfo:
    """The shared zone of ``offset`` (``UTC`` for zero or None)."""
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES[offset] = timezone(offset) if offset else UTC  # type: ignore[arg-type]
    return zone
