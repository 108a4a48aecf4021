"""Micro-benchmark of business-time arithmetic on the office calendar.

Office hours Mon-Fri 09:00-12:00 and 13:30-18:00 (Asia/Shanghai, CN holidays).
Prints calls per second of ``add`` and ``working_seconds`` on a realistic mix: start
instants spread over 2025-2026, durations from minutes to a few working days.
Run: ``.venv/bin/python bench/bench_calendar.py``. Figures only, no thresholds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sla.calendar import BusinessCalendar
from sla.specs import CalendarSpec, Span

__all__ = ["main"]

H = 3600
OFFICE = (Span(9 * H, 12 * H), Span(13 * H + 1800, 18 * H))
SPEC = CalendarSpec("office", "Asia/Shanghai", (OFFICE,) * 5 + ((), ()), holidays="CN")


def _rate(label: str, calls: int, fn: Callable[[int], object]) -> None:
    begin = time.perf_counter()
    for i in range(calls):
        fn(i)
    elapsed = time.perf_counter() - begin
    print(f"{label:<16} {calls / elapsed:>12,.0f} calls/s  ({elapsed / calls * 1e6:.2f} µs/call)")


def main(calls: int = 200_000, seed: int = 7) -> None:
    """Warm the calendar up (its index is built lazily), then time both operations."""
    cal = BusinessCalendar(SPEC, overrides={})
    rng = random.Random(seed)
    base = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    starts = [base + timedelta(seconds=rng.randrange(2 * 365 * 86400)) for _ in range(1000)]
    amounts = [rng.choice((15 * 60, H, 4 * H, 8 * H, 3 * 27000)) for _ in range(1000)]
    ends = [s + timedelta(seconds=rng.randrange(3 * 86400)) for s in starts]
    for s, n, e in zip(starts, amounts, ends, strict=True):  # warm-up: builds 2025-2027
        cal.add(s, n)
        cal.working_seconds(s, e)
    _rate("add", calls, lambda i: cal.add(starts[i % 1000], amounts[i % 1000]))
    _rate("working_seconds", calls, lambda i: cal.working_seconds(starts[i % 1000], ends[i % 1000]))


if __name__ == "__main__":
    main()
