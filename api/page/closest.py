"""The "closest to breach" section's plug: open clocks with the least time left.

The section shows the first rows of the department worklist (:mod:`ledger.worklist`), the
time left counted as ``GET /api/v1/worklist`` counts it. A :data:`ClosestToBreach` function
given as :attr:`api.ApiSettings.closest_to_breach` replaces that source (tests use one).
The page drops any row of a department the principal may not see, whatever the function
returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

__all__ = ["ClosestClock", "ClosestToBreach"]


@dataclass(frozen=True, slots=True)
class ClosestClock:
    """One open clock as the section shows it.

    ``seconds_left`` is working time left before the clock breaches (0 or less: due);
    ``paused`` when the clock is stopped (waiting on the customer), ``warned`` once its
    warning went out.
    """

    ticket: str
    department: str
    metric: str
    policy: str
    due_at: datetime | None  # none while paused
    seconds_left: int
    assignee: str | None = None
    paused: bool = False
    warned: bool = False


#: ``(engine, department, now, limit) -> clocks``: at most ``limit`` open clocks of
#: ``department`` (None: every department) at ``now``, the least time left first.
ClosestToBreach = Callable[[Engine, str | None, datetime, int], Sequence[ClosestClock]]
