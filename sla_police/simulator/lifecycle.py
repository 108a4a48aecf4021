"""One ticket's story, from complaint to satisfaction survey, as time-stamped steps.

A story is: complaint.received; usually ticket.assigned; ticket.acknowledged; inside the
handling window, in random order, an optional pause (paused/resumed), transfer (with a new
acknowledgement by the receiving department) and attribution dispute (ruled on later by
governance); ticket.resolved; optionally ticket.reopened and resolved again; ticket.closed;
usually csat.recorded. Cancelled tickets stop early with ticket.cancelled. Times strictly
increase within a ticket. The complaint names the seat agent who took it; on handled
tickets that agent may settle with a concession (:mod:`~sla_police.simulator.concessions`,
its own random stream).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sla_police.simulator.catalog import (
    ACK_TARGET,
    ALTERNATE_DEPARTMENT,
    CANCEL_REASONS,
    DEPARTMENT_CALENDAR,
    DISPUTE_REASONS,
    POOL_SIZES,
    TRANSFER_REASONS,
    WORKING_DAY_SECONDS,
    employee_id,
    resolve_target,
)
from sla_police.simulator.concessions import Desk
from sla_police.simulator.handling import (
    Clocks,
    Timing,
    draw_late_kind,
    most_open,
    pause_length,
    plan_timing,
)
from sla_police.simulator.options import SimulationOptions
from sla_police.simulator.traffic import Ticket

__all__ = ["CONTACT_CENTER", "Step", "Story", "Storyteller"]

CONTACT_CENTER = "crm/contact-center"
_CSAT_WEIGHTS = {False: (3, 4, 10, 33, 50), True: (22, 23, 25, 18, 12)}


@dataclass(frozen=True, slots=True)
class Step:
    """One event of a ticket before it becomes a CloudEvent."""

    id: str
    at: int  # epoch seconds
    type: str
    source: str
    data: dict[str, Any]


@dataclass(slots=True)
class Story:
    """A ticket's steps under construction, and who holds the ticket right now."""

    ticket: Ticket
    holder: str
    handler: str
    late: bool = False
    steps: list[Step] = field(default_factory=list)
    _seen: dict[str, int] = field(default_factory=dict)

    def event_id(self, event_type: str, occurrence: int) -> str:
        """Deterministic, readable id of the ``occurrence``-th (0-based) event of a type,
        e.g. ``T-20261102-00042/ticket.resolved/1`` for the resolution after a reopen."""
        return f"{self.ticket.id}/{event_type}/{occurrence}"

    def add(self, at: int, event_type: str, source: str, **data: Any) -> int:
        """Append a step (``None`` data fields dropped); returns ``at`` for chaining."""
        occurrence = self._seen.get(event_type, 0)
        self._seen[event_type] = occurrence + 1
        payload = {k: v for k, v in data.items() if v is not None}
        self.steps.append(Step(self.event_id(event_type, occurrence), at, event_type,
                               source, payload))
        return at

    def next_id(self, event_type: str) -> str:
        """The id the next :meth:`add` of ``event_type`` will give its step."""
        return self.event_id(event_type, self._seen.get(event_type, 0))

    def finished(self) -> list[Step]:
        """Steps sorted by time (creation order breaks ties), nudged strictly increasing."""
        ordered = sorted(self.steps, key=lambda s: s.at)
        out, last = [], None
        for step in ordered:
            if last is not None and step.at <= last:
                step = Step(step.id, last + 1, step.type, step.source, step.data)
            out.append(step)
            last = step.at
        return out


class Storyteller:
    """Turns tickets into stories; all randomness comes from the given ``rng``."""

    def __init__(self, options: SimulationOptions, rng: random.Random, clocks: Clocks,
                 desk: Desk) -> None:
        self._o, self._rng, self._clocks, self._desk = options, rng, clocks, desk

    def story(self, ticket: Ticket) -> list[Step]:
        """Every step of ``ticket``, time-ordered."""
        rng, o = self._rng, self._o
        story = Story(ticket, ticket.department, self._employee(ticket.department))
        seat = self._desk.seat()
        story.add(ticket.received, "complaint.received", CONTACT_CENTER,
                  **_complaint_data(ticket), agent=f"agent-{seat:03d}")
        assign_delay = self._assign(story)
        cancelled = rng.random() < o.cancel_rate
        plan = _Plan() if cancelled else self._plan(story.holder)
        holders = [d for d in (story.holder, plan.transfer_to) if d is not None]
        calendar = most_open([DEPARTMENT_CALENDAR[d] for d in holders])
        kind = draw_late_kind(rng, o.late_rate, ticket.priority, calendar)
        story.late = kind != "none"
        timing = plan_timing(
            rng, self._clocks, ticket.priority, ticket.received, kind=kind, calendar=calendar,
            earliest_ack=assign_delay,
            pause=pause_length(rng, plan.pause_reason) if plan.pause_reason else 0,
        )
        if cancelled:
            self._cancel(story, timing)
        else:
            self._handle(story, timing, plan)
            self._desk.settle(story, seat)
        return story.finished()

    def _plan(self, holder: str) -> _Plan:
        """What will happen while the ticket is worked (for tickets not cancelled)."""
        rng, o = self._rng, self._o
        reason = _pause_reason(rng) if rng.random() < o.pause_rate else None
        transfer = (rng.choice(ALTERNATE_DEPARTMENT[holder])
                    if rng.random() < o.transfer_rate else None)
        return _Plan(reason, transfer, rng.random() < o.dispute_rate)

    def _employee(self, department: str) -> str:
        return employee_id(department, self._rng.randint(1, POOL_SIZES[department]))

    def _agent(self) -> str:
        return f"agent-{self._rng.randint(1, self._o.seats):03d}"

    def _assign(self, story: Story) -> int:
        """85% of tickets get an explicit assignment, 5% of those to another department."""
        rng = self._rng
        delay = rng.randint(10, 180)
        if rng.random() >= 0.85:
            return 0
        if rng.random() < 0.05:
            story.holder = rng.choice(ALTERNATE_DEPARTMENT[story.holder])
            story.handler = self._employee(story.holder)
        story.add(story.ticket.received + delay, "ticket.assigned", CONTACT_CENTER,
                  department=story.holder, assignee=story.handler)
        return delay

    def _ack(self, story: Story, at: int) -> None:
        story.add(at, "ticket.acknowledged", f"ticketing/{story.holder}", actor=story.handler)

    def _cancel(self, story: Story, timing: Timing) -> None:
        """Customer withdraws: 70% after the acknowledgement, otherwise before it."""
        rng, agent = self._rng, self._clocks.agent
        if rng.random() < 0.7:
            self._ack(story, timing.ack_at)
            at = agent.add(timing.ack_at, rng.randint(600, 8 * 3600))
        else:
            at = agent.add(story.ticket.received, rng.randint(240, 1800))
        story.add(at, "ticket.cancelled", CONTACT_CENTER, actor=self._agent(),
                  reason=rng.choice(CANCEL_REASONS))

    def _handle(self, story: Story, timing: Timing, plan: _Plan) -> None:
        """Acknowledge, work the window (pause/transfer/dispute), resolve, wrap up."""
        self._ack(story, timing.ack_at)
        items = [name for name, wanted in (
            ("pause", plan.pause_reason is not None),
            ("transfer", plan.transfer_to is not None),
            ("dispute", plan.dispute),
        ) if wanted]
        self._rng.shuffle(items)
        self._window(story, timing, items, plan)
        resolved = story.add(timing.work.add(story.ticket.received, timing.resolve_pos),
                             "ticket.resolved", f"ticketing/{story.holder}",
                             actor=story.handler)
        self._wrap_up(story, resolved)

    def _window(self, story: Story, timing: Timing, items: list[str], plan: _Plan) -> None:
        """Place ``items`` at random points between acknowledgement and resolution."""
        rng, work, t0 = self._rng, timing.work, story.ticket.received
        start = timing.ack_pos + 60
        gap = max(0, timing.resolve_pos - timing.pause - start - 60)
        cuts = sorted(rng.uniform(0.05, 0.95) for _ in items)
        shift = 0
        for index, (item, cut) in enumerate(zip(items, cuts, strict=True)):
            pos = start + int(cut * gap) + shift
            following = cuts[index + 1] if index + 1 < len(cuts) else 1.0
            room = max(60, int((following - cut) * gap))
            at = work.add(t0, pos)
            if item == "pause":
                self._pause(story, at, work.add(t0, pos + timing.pause), plan.pause_reason)
                shift = timing.pause
            elif item == "transfer":
                self._transfer(story, at, work.add(t0, pos + room // 2 + 30), plan)
            else:
                self._dispute(story, at)

    def _pause(self, story: Story, at: int, until: int, reason: str | None) -> None:
        source = f"ticketing/{story.holder}"
        story.add(at, "ticket.paused", source, actor=story.handler, reason=reason)
        story.add(until, "ticket.resumed", source, actor=story.handler)

    def _transfer(self, story: Story, at: int, latest_ack: int, plan: _Plan) -> None:
        """Hand over; the receiving department acknowledges within half its target (on its
        own hours), and before whatever happens next in the window."""
        old_source, old_handler = f"ticketing/{story.holder}", story.handler
        story.holder = plan.transfer_to or story.holder
        priority = story.ticket.priority
        clock = self._clocks.on_time(priority, DEPARTMENT_CALENDAR[story.holder])
        acked = min(latest_ack, clock.add(at, self._rng.randint(30, ACK_TARGET[priority] // 2)))
        story.handler = self._employee(story.holder)
        story.add(at, "ticket.transferred", old_source, actor=old_handler,
                  to_department=story.holder, reason=self._rng.choice(TRANSFER_REASONS),
                  assignee=story.handler)
        self._ack(story, acked)

    def _dispute(self, story: Story, at: int) -> None:
        """The holder disputes attribution; governance rules 0.25-2 working days later."""
        rng = self._rng
        story.add(at, "attribution.disputed", f"ticketing/{story.holder}",
                  actor=story.handler, department=story.holder,
                  reason=rng.choice(DISPUTE_REASONS))
        ruled = self._clocks.office.add(at, rng.randint(WORKING_DAY_SECONDS // 4,
                                                        2 * WORKING_DAY_SECONDS))
        upheld = rng.random() < 0.4
        story.add(ruled, "dispute.ruled", "governance/disputes",
                  actor=f"qa-{rng.randint(1, 6):02d}",
                  dispute_id=story.event_id("attribution.disputed", 0),
                  outcome="upheld" if upheld else "rejected",
                  to_department=rng.choice(ALTERNATE_DEPARTMENT[story.holder])
                  if upheld else None)

    def _wrap_up(self, story: Story, resolved: int) -> None:
        """Maybe reopen and re-resolve; close (agent or auto-close); maybe a CSAT score."""
        rng, clocks, o = self._rng, self._clocks, self._o
        reopened = rng.random() < o.reopen_rate
        last = resolved
        if reopened:
            at = story.add(clocks.agent.add(resolved, rng.randint(3600, 20 * 3600)),
                           "ticket.reopened", CONTACT_CENTER, actor=self._agent())
            priority, calendar = story.ticket.priority, DEPARTMENT_CALENDAR[story.holder]
            # fixed within half the target: a reopened ticket's new clock is met
            redo = rng.randint(1800, max(1800, resolve_target(priority, calendar) // 2))
            last = story.add(clocks.on_time(priority, calendar).add(at, redo),
                             "ticket.resolved", f"ticketing/{story.holder}",
                             actor=story.handler)
        if rng.random() < 0.7:
            closed = story.add(clocks.agent.add(last, rng.randint(900, 10 * 3600)),
                               "ticket.closed", CONTACT_CENTER, actor=self._agent())
        else:
            closed = story.add(last + 72 * 3600, "ticket.closed", "ticketing/auto-close",
                               note="auto-closed 72h after resolution")
        if rng.random() < 0.65:
            score = rng.choices((1, 2, 3, 4, 5),
                                weights=_CSAT_WEIGHTS[story.late or reopened])[0]
            story.add(closed + rng.randint(300, 86400), "csat.recorded", "survey/csat",
                      score=score)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Decided up front, because the handling calendar depends on who will hold the ticket."""

    pause_reason: str | None = None
    transfer_to: str | None = None
    dispute: bool = False


def _pause_reason(rng: random.Random) -> str:
    return "awaiting_customer" if rng.random() < 0.75 else "awaiting_third_party"


def _complaint_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "customer_ref": ticket.customer_ref,
        "channel": ticket.channel,
        "category": ticket.category,
        "priority": ticket.priority,
        "product": ticket.product,
        "region": ticket.region,
        "summary": ticket.summary,
        "repeat_of": ticket.repeat_of,
    }
