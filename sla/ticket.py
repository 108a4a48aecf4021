"""The state of one ticket as the SLA engine sees it.

Plain data: the stream keeps it in a changelog-backed table, replay in a dict.
It remembers every event id it has received, so applying an event twice is a
no-op (the broker delivers at least once), and holds events that arrived
before their complaint or ahead of the clock in ``pending``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import CloudEvent
from sla.clocks import Clock

__all__ = ["TicketState"]

OPEN, RESOLVED, CLOSED, CANCELLED = "open", "resolved", "closed", "cancelled"


def _order(event: CloudEvent) -> tuple[datetime, str]:
    return (event.time, event.id)


@dataclass(slots=True)
class TicketState:
    """What the engine knows of one ticket.

    ``assignee`` is the assignee of the owning department only (never the contact-center
    agent on the complaint, which stays in ``complaint``). ``charge`` is the owner's
    per-complaint charge not settled yet, as (department, since when it owns it);
    ``charged`` the departments that have owed it on this ticket (:mod:`sla.charges`).
    ``disputes`` maps each open dispute's id to (disputing department, filed at).
    ``revision`` counts the ``sla.clocks_changed`` snapshots emitted for the ticket.
    ``requests`` holds each concession request (by id) until and after its decision, and
    ``audits`` each audit item opened on the ticket: what :mod:`sla.concessions` needs
    to judge a decision or a verdict (plain lists, so the stored row stays JSON).
    """

    ticket_id: str
    seen: set[str] = field(default_factory=set)
    pending: list[CloudEvent] = field(default_factory=list)
    complaint: dict[str, Any] | None = None
    department: str | None = None
    assignee: str | None = None
    status: str = OPEN
    cycle: int = 1
    paused_reason: str | None = None
    clocks: list[Clock] = field(default_factory=list)
    stints: dict[str, int] = field(default_factory=dict)
    disputes: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    last_time: datetime | None = None
    charge: tuple[str, datetime] | None = None
    charged: list[str] = field(default_factory=list)
    revision: int = 0  # sla.clocks_changed snapshots emitted so far
    #: request id -> [agent, amount, currency, kind, reason, requested at, decision id]
    requests: dict[str, list[Any]] = field(default_factory=dict)
    #: audit id -> [grant id, agent, reason, amount, currency, opened at, closed]
    audits: dict[str, list[Any]] = field(default_factory=dict)

    def receive(self, event: CloudEvent) -> bool:
        """Queue ``event`` in time order; False (and nothing changes) if seen before."""
        event_id, seen = event.id, self.seen  # (once per event: each field read once)
        if event_id in seen:
            return False
        seen.add(event_id)
        pending = self.pending
        if pending:
            last, time = pending[-1], event.time
            last_time = last.time
            if not (last_time < time or (last_time == time and last.id <= event_id)):
                pending.insert(bisect.bisect_right(pending, _order(event), key=_order), event)
                return True
        pending.append(event)  # the usual case: events arrive in time order
        return True

    def next_fire(self) -> datetime | None:
        """Earliest warning or breach instant of any running clock."""
        earliest = None
        for clock in self.clocks:  # Clock.next_fire inlined: called once per step
            if clock.running_since is None or clock.breached:
                continue
            fire, warning = clock.due_at, clock.next_warning
            if warning is not None and warning <= fire:  # type: ignore[operator]
                fire = warning
            if fire is not None and (earliest is None or fire < earliest):
                earliest = fire
        return earliest

    def next_wakeup(self) -> datetime | None:
        """When the engine must look at this ticket again (deadline or held event)."""
        times = [t for t in (self.next_fire(), self._next_pending_time()) if t is not None]
        return min(times) if times else None

    def _next_pending_time(self) -> datetime | None:
        if self.complaint is None:
            complaints = [e.time for e in self.pending if e.type == "complaint.received"]
            return min(complaints) if complaints else None
        return self.pending[0].time if self.pending else None

