"""The knobs of a simulation run, validated once so the generator can trust them.

How each rate is meant (and how the tests measure it from the output):

* ``cancel_rate``: fraction of all tickets that end in ``ticket.cancelled``.
* ``late_rate``: fraction of tickets handled late: the first acknowledgement or the first
  resolution comes after its target (P1 on a 24x7 clock, others in office hours). It is
  drawn for every ticket; only tickets that get resolved show both metrics.
* ``pause_rate``, ``reopen_rate``, ``transfer_rate``, ``dispute_rate``: fraction of the
  tickets that are *not cancelled* with at least one such event.
* ``out_of_order_rate``: fraction of events whose arrival is delayed by 15 s to 4 min, so
  that they are written after events with a later time.
* ``duplicate_rate``: chance that an event is written a second time, later (same bytes).
* ``invalid_rate``: chance that an event is accompanied by one line violating the contract.
* ``concession_rate``: share of the handled tickets on which the seat agent settles with a
  concession (or asks leave to), on average over the contact reasons (delivery and billing
  problems more, logins hardly ever); 0 turns concessions, approvals and audits off.
* ``generous_agents``: how many seats are planted over-generous (fixed by the seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = ["DEFAULT_START", "RATE_FIELDS", "SimulationOptions"]

#: A fixed Monday, so output never depends on the day the simulator runs.
DEFAULT_START = date(2026, 11, 2)

RATE_FIELDS = (
    "late_rate", "pause_rate", "reopen_rate", "transfer_rate", "dispute_rate",
    "cancel_rate", "out_of_order_rate", "duplicate_rate", "invalid_rate", "concession_rate",
)


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    """Everything that determines a simulated feed: same options -> same bytes."""

    days: int = 1
    seed: int = 0
    start: date = DEFAULT_START
    seats: int = 80
    calls_per_day: int = 6000
    late_rate: float = 0.12
    pause_rate: float = 0.15
    reopen_rate: float = 0.05
    transfer_rate: float = 0.06
    dispute_rate: float = 0.02
    cancel_rate: float = 0.02
    out_of_order_rate: float = 0.02
    duplicate_rate: float = 0.005
    invalid_rate: float = 0.002
    concession_rate: float = 0.2
    generous_agents: int = 3
    timezone: str = "Asia/Shanghai"
    #: country code (``holidays`` package) whose days off close the office; None: weekends only
    holidays: str | None = "CN"

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not 1 <= self.seats <= 9999:
            raise ValueError(f"seats must be 1..9999, got {self.seats}")
        if self.calls_per_day < 1:
            raise ValueError(f"calls_per_day must be at least 1, got {self.calls_per_day}")
        if self.generous_agents < 0:
            raise ValueError(f"generous_agents must be 0 or more, got {self.generous_agents}")
        for name in RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        if self.holidays is not None:
            try:
                holidays_lib.country_holidays(self.holidays)
            except NotImplementedError as exc:
                raise ValueError(f"unknown holiday country {self.holidays!r}") from exc

    @property
    def tz(self) -> ZoneInfo:
        """The simulated contact center's timezone."""
        return ZoneInfo(self.timezone)
