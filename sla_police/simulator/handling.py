"""How long the back office takes: acknowledgement and resolution delays, on time or late.

Targets (see :mod:`~sla_police.simulator.catalog`): P1 ack 15 min / resolve 4 h, P2 1 h / 8 h,
P3-P4 2 h / 2 working days. Which clock they run on is a matter of configuration (the
brief says office hours, the example config uses each department's own hours), so the
model of "late" is built to be unambiguous under any reading:

* On-time work happens on the most open calendar that could apply (24x7 on-call for P1/P2;
  the department's own hours for P3/P4) and finishes within 85-90% of that calendar's
  target. Since office hours are contained in extended hours, which are contained in 24x7,
  it is then on time on every calendar, with or without deducting pauses.
* Late work is counted on the least open calendar (24x7 for P1, office hours otherwise):
  x1.2-4 the acknowledgement target, x1.15-3 the resolution target with pauses on top.
  Each calendar's deadline is no later than the office-hours one, so it is late on every
  calendar, with or without deducting pauses.

"Late to acknowledge but resolved on time" only exists where both happen on one clock (P1,
and P3/P4 of office-hours departments): a late office-hours acknowledgement of a P2 can be
past 8 wall-clock hours already. Elsewhere that kind of lateness becomes "late for both".
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from sla_police.simulator.catalog import (
    ACK_TARGET,
    CALENDAR_OPENNESS,
    WORKING_DAY_SECONDS,
    resolve_target,
)
from sla_police.simulator.clock import Clock

__all__ = [
    "Clocks", "LateKind", "Timing", "draw_late_kind", "most_open", "pause_length", "plan_timing",
]

LateKind = Literal["none", "ack", "resolve", "both"]


@dataclass(frozen=True, slots=True)
class Clocks:
    """The clocks of the simulated organisation."""

    always: Clock
    office: Clock
    extended: Clock
    agent: Clock

    def calendar(self, name: str) -> Clock:
        """The clock of a department calendar: office, extended or always."""
        return {"office": self.office, "extended": self.extended, "always": self.always}[name]

    def strict(self, priority: str) -> Clock:
        """The least open clock a priority's targets may run on (for late work)."""
        return self.always if priority == "P1" else self.office

    def on_time(self, priority: str, calendar: str) -> Clock:
        """The clock on-time work happens on: P1/P2 on-call 24x7, others ``calendar``."""
        return self.always if priority in ("P1", "P2") else self.calendar(calendar)


@dataclass(frozen=True, slots=True)
class Timing:
    """When a ticket is acknowledged and resolved.

    ``work`` is the clock of the handling window; ``ack_pos`` and ``resolve_pos`` are
    working seconds on it since the complaint, ``pause`` the working seconds spent paused
    inside the window (0: no pause).
    """

    work: Clock
    ack_at: int
    ack_pos: int
    resolve_pos: int
    pause: int


def most_open(calendars: list[str]) -> str:
    """The calendar among ``calendars`` with the most open time."""
    return max(calendars, key=CALENDAR_OPENNESS.index)


def draw_late_kind(rng: random.Random, late_rate: float, priority: str,
                   calendar: str) -> LateKind:
    """Whether (and how) a ticket is handled late.

    "Late to acknowledge, resolved on time" needs the on-time and the strict clock to be
    the same (P1, or P3/P4 on office hours); otherwise it becomes "late for both".
    """
    if rng.random() >= late_rate:
        return "none"
    kind: LateKind = rng.choices(("ack", "resolve", "both"), weights=(3, 4, 3))[0]
    same_clock = priority == "P1" or (priority in ("P3", "P4") and calendar == "office")
    return "both" if kind == "ack" and not same_clock else kind


def pause_length(rng: random.Random, reason: str) -> int:
    """Working seconds a ticket waits: customers answer in hours, third parties slower."""
    if reason == "awaiting_customer":
        return rng.randint(1800, 6 * 3600)
    return rng.randint(2 * 3600, WORKING_DAY_SECONDS)


def plan_timing(
    rng: random.Random, clocks: Clocks, priority: str, received: int, *,
    kind: LateKind, calendar: str, earliest_ack: int, pause: int,
) -> Timing:
    """Acknowledgement instant and the resolution window for one ticket.

    ``calendar`` is the most open calendar of the departments that will hold the ticket;
    ``earliest_ack`` the wall-clock delay before which nobody can acknowledge (the
    assignment); ``pause`` the wanted pause length (0: none).
    """
    ack_target = ACK_TARGET[priority]
    late_ack, late_res = kind in ("ack", "both"), kind in ("resolve", "both")
    if late_ack:
        ack_clock, ack_delay = clocks.strict(priority), int(ack_target * rng.uniform(1.2, 4.0))
    else:
        ack_clock, ack_delay = clocks.on_time(priority, calendar), _on_time_ack(rng, ack_target)
    ack_at = ack_clock.add(received, max(ack_delay, earliest_ack + 60))
    if late_res:
        work = clocks.strict(priority)
        ack_pos = work.elapsed(received, ack_at)
        target = resolve_target(priority, "office")
        active = max(int(target * rng.uniform(1.15, 3.0)), ack_pos + 3600)
        return Timing(work, ack_at, ack_pos, active + pause, pause)
    work = clocks.on_time(priority, calendar)
    ack_pos = work.elapsed(received, ack_at)
    target = resolve_target(priority, "always" if priority in ("P1", "P2") else calendar)
    total = min(int(target * 0.9), max(
        int(target * rng.triangular(0.08, 0.9, 0.3)), ack_pos + int(target * 0.1)))
    pause = min(pause, (total - ack_pos) // 2)
    return Timing(work, ack_at, ack_pos, total, pause)


def _on_time_ack(rng: random.Random, target: int) -> int:
    """Minutes, mostly: log-normal around a quarter of the target, capped at 85%."""
    delay = target * 0.25 * math.exp(rng.gauss(0.0, 0.6))
    return int(min(delay, target * 0.85))
