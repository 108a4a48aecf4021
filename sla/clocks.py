"""One SLA clock: a (ticket, department, metric, cycle) stopwatch of working time.

A clock runs, pauses and resumes; it ends exactly once, as met, breached or
cancelled. Warnings fire at fractions of the target. Times are event times; the
calendar decides which seconds count. A clock never reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["BusinessTime", "Clock"]


class BusinessTime(Protocol):
    """What a clock needs from a business calendar."""

    def add(self, start: datetime, seconds: int) -> datetime: ...

    def working_seconds(self, start: datetime, end: datetime) -> int: ...

    def is_provisional(self, start: datetime, end: datetime) -> bool: ...


@dataclass(slots=True)
class Clock:
    """Mutable state of one clock. ``elapsed`` counts working seconds up to
    ``running_since`` (or up to the pause, when paused)."""

    department: str
    metric: str
    cycle: int
    stint: int
    policy: str
    calendar: str
    started_at: datetime
    target: int
    warn_at: tuple[float, ...] = ()
    pausable: frozenset[str] = frozenset()
    #: the target as the policy writes it (``2d``, ``16h``), for messages
    target_text: str | None = None
    elapsed: int = 0
    running_since: datetime | None = None
    warned: int = 0
    breached: bool = False
    due_at: datetime | None = None
    next_warning: datetime | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def warning_seconds(self, index: int) -> int:
        """Working seconds at which warning ``index`` fires."""
        return int(self.warn_at[index] * self.target)

    def schedule(self, cal: BusinessTime, now: datetime) -> None:
        """Recompute due time and next warning; ``now`` is where a paused clock would resume."""
        # (runs for every clock started, paused, resumed or fired: calls inlined)
        running_since, elapsed, target = self.running_since, self.elapsed, self.target
        base = running_since or now
        self.due_at = cal.add(base, target - elapsed if target > elapsed else 0)
        self.next_warning = None
        if running_since is None or self.breached:
            return
        warn_at = self.warn_at
        while self.warned < len(warn_at):
            at = int(warn_at[self.warned] * target)  # warning_seconds(warned)
            if at > elapsed or (at == elapsed and elapsed < target):
                self.next_warning = cal.add(base, at - elapsed)
                return
            self.warned += 1  # threshold passed while it could not fire (e.g. started late)

    def next_fire(self) -> datetime | None:
        """Earliest instant this clock must act at (warning or breach), if running."""
        if not self.running or self.breached:
            return None
        if self.next_warning is not None and self.next_warning <= self.due_at:  # type: ignore[operator]
            return self.next_warning
        return self.due_at

    def elapsed_at(self, cal: BusinessTime, when: datetime) -> int:
        """Working seconds counted by ``when``."""
        if self.running_since is None or when <= self.running_since:
            return self.elapsed
        return self.elapsed + cal.working_seconds(self.running_since, when)

    def pause(self, cal: BusinessTime, when: datetime) -> None:
        if self.running:
            self.elapsed = self.elapsed_at(cal, when)
            self.running_since = None
            self.schedule(cal, when)

    def resume(self, cal: BusinessTime, when: datetime) -> None:
        if not self.running:
            self.running_since = when
            self.schedule(cal, when)

    def provisional(self, cal: BusinessTime) -> bool:
        return cal.is_provisional(self.started_at, self.due_at or self.started_at)
