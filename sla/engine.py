"""The ticket stage of the SLA engine: events in, SLA outcomes out.

``receive`` queues an event (ignoring ids already seen); ``advance(state, now)``
applies queued events and fires due warnings and breaches, interleaved in event
time, up to ``now``. The stream calls it with the wall clock (or a virtual
clock), replay with the time of the next thing to happen; both get identical
outcomes for the same log because every decision is taken at event time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from models import CloudEvent
from sla import charges, outcomes
from sla.calendar import BusinessCalendar, build_calendars
from sla.clocks import Clock
from sla.concessions import AUTHORITY_INPUTS, Concessions
from sla.matching import first_match
from sla.specs import SlaConfig, SlaPolicy
from sla.ticket import CANCELLED, CLOSED, OPEN, RESOLVED, TicketState

__all__ = ["SlaEngine"]


def _worklist_view(state: TicketState) -> tuple:
    """What a department's worklist shows of a ticket, short of the time passing: when an
    event changes it, the engine publishes the ticket's open clocks (``sla.clocks_changed``).
    A warning or breach firing changes nothing here: the instants are in the snapshot."""
    return (state.department, state.assignee, state.status, bool(state.disputes),
            tuple([(c.department, c.metric, c.cycle, c.stint, c.running_since, c.elapsed,
                    c.target) for c in state.clocks]))


class SlaEngine:
    """Applies one :class:`~sla.specs.SlaConfig` to tickets. Stateless itself."""

    def __init__(self, config: SlaConfig,
                 calendars: Mapping[str, BusinessCalendar] | None = None) -> None:
        self.config = config
        self.calendars = dict(calendars) if calendars else build_calendars(config.calendars)
        # Rule choice depends only on the fields rules look at: memoise on those.
        self._policy_fields = sorted({k for p in config.slas for k in p.match} - {"department"})
        self._attribution_fields = sorted({k for r in config.attribution for k in r.match})
        self._policy_cache: dict[tuple, SlaPolicy] = {}
        self._attribution_cache: dict[tuple, object] = {}
        self._handlers = {
            "complaint.received": self._on_complaint,
            "ticket.assigned": self._on_assigned,
            "ticket.acknowledged": self._on_acknowledged,
            "ticket.paused": self._on_paused,
            "ticket.resumed": self._on_resumed,
            "ticket.resolved": self._on_resolved,
            "ticket.reopened": self._on_reopened,
            "ticket.closed": self._on_closed,
            "ticket.cancelled": self._on_cancelled,
            "ticket.transferred": self._on_transferred,
            "attribution.disputed": self._on_disputed,
            "dispute.ruled": self._on_ruled,
            "csat.recorded": lambda state, event, at, out: out.append(  # kept for scorecards
                outcomes.csat_recorded(state, event, at)),
            "corrective_action.fixed": self._on_fix,
        }
        concessions = Concessions(config.authority, self.calendars)
        self._handlers.update(dict.fromkeys(AUTHORITY_INPUTS, concessions.apply))

    # -- public surface -------------------------------------------------------------

    @staticmethod
    def new_ticket(ticket_id: str) -> TicketState:
        return TicketState(ticket_id=ticket_id)

    @staticmethod
    def receive(state: TicketState, event: CloudEvent) -> bool:
        """Queue an inbound event; False for a duplicate id (nothing changes)."""
        return state.receive(event)

    def advance(self, state: TicketState, now: datetime) -> list[CloudEvent]:
        """Apply everything due by ``now`` in event-time order; return the outcomes."""
        out: list[CloudEvent] = []
        if state.complaint is None and not self._start_with_complaint(state, now, out):
            return out
        pending = state.pending
        while True:
            fire = state.next_fire()
            if pending:
                event = pending[0]
                time = event.time
                if time <= now and (fire is None or time <= fire):
                    del pending[0]
                    self._apply(state, event, out)
                    continue
            if fire is not None and fire <= now:
                self._fire(state, fire, out)
            else:
                return out

    # -- plumbing ---------------------------------------------------------------------

    def _start_with_complaint(self, state: TicketState, now: datetime,
                              out: list[CloudEvent]) -> bool:
        """Events that arrive before their complaint wait for it (held in pending)."""
        for i, event in enumerate(state.pending):
            if event.type == "complaint.received" and event.time <= now:
                del state.pending[i]
                self._apply(state, event, out)
                return True
        return False

    def _apply(self, state: TicketState, event: CloudEvent, out: list[CloudEvent]) -> None:
        last, at, kind = state.last_time, event.time, event.type  # each field read once
        if last is not None and last > at:  # max(), without the call: runs for every event
            at = last
        state.last_time = at
        if state.status == CANCELLED and kind not in _ANY_STATUS:
            return
        if kind == "complaint.received" and state.department is not None:
            out.append(outcomes.rejected(event, "the ticket already has a complaint"))
            return
        handler = self._handlers[kind]
        if state.clocks:
            before = _worklist_view(state)
            handler(state, event, at, out)
            changed = _worklist_view(state) != before
        else:  # no clock before: a snapshot is due iff the event started one
            handler(state, event, at, out)
            changed = bool(state.clocks)
        if changed:
            state.revision += 1
            out.append(outcomes.clocks_changed(state, event, at, self.calendars))

    def _fire(self, state: TicketState, at: datetime, out: list[CloudEvent]) -> None:
        state.last_time = at if state.last_time is None else max(at, state.last_time)
        for clock in state.clocks:
            if clock.next_fire() != at:
                continue
            cal = self.calendars[clock.calendar]
            if clock.next_warning == at:
                out.append(outcomes.warning(state, clock, cal, at, clock.warn_at[clock.warned]))
                clock.warned += 1
                clock.schedule(cal, at)
            elif clock.due_at == at:
                clock.breached = True
                out.append(outcomes.breached(state, clock, cal, at))
                clock.schedule(cal, at)

    def _unknown_department(self, department: str, event: CloudEvent,
                            out: list[CloudEvent]) -> bool:
        if department in self.config.departments:
            return False
        known = ", ".join(self.config.departments)
        out.append(outcomes.rejected(
            event, f"unknown department {department!r}; the SLA config knows: {known}"))
        return True

    # -- clocks -----------------------------------------------------------------------

    def _policy(self, state: TicketState, department: str) -> SlaPolicy:
        complaint = state.complaint or {}
        key = (department, *[complaint.get(k) for k in self._policy_fields])
        policy = self._policy_cache.get(key)
        if policy is None:
            policy = first_match(self.config.slas, {**complaint, "department": department})
            assert policy is not None, "config validation guarantees a catch-all policy"
            self._policy_cache[key] = policy
        return policy

    def _start_clocks(self, state: TicketState, at: datetime, metrics: tuple[str, ...]) -> None:
        department = state.department
        assert department is not None
        policy = self._policy(state, department)
        cal_name = policy.calendar or self.config.departments[department].calendar
        cal = self.calendars[cal_name]
        for metric in metrics:
            target = getattr(policy, metric)
            if target is None:
                continue
            stint_key = f"{department}|{metric}|{state.cycle}"
            state.stints[stint_key] = state.stints.get(stint_key, 0) + 1
            clock = Clock(
                department=department, metric=metric, cycle=state.cycle,
                stint=state.stints[stint_key], policy=policy.name, calendar=cal_name,
                started_at=at, target=self._target_seconds(cal, at, target),
                warn_at=policy.warn_at, pausable=policy.pause_on.get(metric, frozenset()),
                target_text=str(target),
            )
            if not (state.paused_reason and state.paused_reason in clock.pausable):
                clock.running_since = at
            clock.schedule(cal, at)
            state.clocks.append(clock)

    @staticmethod
    def _target_seconds(cal: BusinessCalendar, at: datetime, target) -> int:
        return cal.duration_seconds(at, target)

    def _stop(self, state: TicketState, metric: str, at: datetime,
              out: list[CloudEvent]) -> None:
        kept = []  # not list.remove: it compares the clocks before it field by field
        for clock in state.clocks:
            if clock.metric != metric:
                kept.append(clock)
            elif not clock.breached:
                out.append(outcomes.met(state, clock, self.calendars[clock.calendar], at))
        state.clocks[:] = kept

    def _cancel_all(self, state: TicketState, at: datetime, reason: str,
                    out: list[CloudEvent]) -> None:
        for clock in state.clocks:
            if not clock.breached:
                cal = self.calendars[clock.calendar]
                out.append(outcomes.cancelled(state, clock, cal, at, reason))
        state.clocks.clear()

    def _hand_over(self, state: TicketState, event: CloudEvent, at: datetime, to: str,
                   reason: str, rule: str, out: list[CloudEvent],
                   previous: str | None = None, assignee: str | None = None) -> None:
        """Move the ticket: the losing department's clocks end, the new one's start.

        Every department that receives an open ticket gets its own acknowledge and
        resolve clocks: it is accountable for the time it holds the ticket. Its
        assignee is the one the hand-over names, or nobody yet. The holder's open
        per-complaint charge settles on the holder when it loses the ticket by a
        transfer or by another department's upheld dispute, and is dropped when the
        ticket is taken from it as not its own (:mod:`sla.charges`).
        """
        holder = state.department
        previous = previous or holder
        self._cancel_all(state, at, _CANCEL_REASON[reason], out)
        if reason == "transfer" or (reason == "dispute" and holder != previous):
            charges.settle(state, event, at, reason, out)
        else:
            charges.drop(state)
        state.department, state.assignee = to, assignee
        out.append(outcomes.attributed(state, event, at, reason, rule, previous))
        if reason != "transfer":
            charges.open_charge(state, to, at)
        if state.status == OPEN:
            self._start_clocks(state, at, ("acknowledge", "resolve"))
        charges.settle_if_known(state, event, at, out)

    # -- handlers ---------------------------------------------------------------------

    def _on_complaint(self, state: TicketState, event: CloudEvent, at: datetime,
                      out: list[CloudEvent]) -> None:
        # The payload's fields are plain strings: a dict of the set ones is its dump.
        state.complaint = {k: v for k, v in event.data.__dict__.items() if v is not None}
        # The complaint's assignee is the contact-center agent who took it: it stays in
        # the complaint; the ticket's assignee is the owning department's, once named.
        state.assignee = None
        key = tuple([state.complaint.get(k) for k in self._attribution_fields])
        rule = self._attribution_cache.get(key)
        if rule is None:
            rule = first_match(self.config.attribution, state.complaint)
            assert rule is not None, "config validation guarantees a fallback rule"
            self._attribution_cache[key] = rule
        state.department = rule.department
        out.append(outcomes.attributed(state, event, at, "rule", rule.name, None))
        charges.open_charge(state, rule.department, at)
        self._start_clocks(state, at, ("acknowledge", "resolve"))

    def _on_assigned(self, state: TicketState, event: CloudEvent, at: datetime,
                     out: list[CloudEvent]) -> None:
        department, assignee = event.data.department, event.data.assignee
        if self._unknown_department(department, event, out):
            return
        if department != state.department:
            self._hand_over(state, event, at, department, "assignment", "ticket.assigned", out,
                            assignee=assignee)
        elif assignee:  # the owner assigns it to one of its own: its open charge settles
            state.assignee = assignee
            charges.settle(state, event, at, "assignment", out)

    def _on_transferred(self, state: TicketState, event: CloudEvent, at: datetime,
                        out: list[CloudEvent]) -> None:
        department = event.data.to_department
        if self._unknown_department(department, event, out) or department == state.department:
            return
        self._hand_over(state, event, at, department, "transfer", "ticket.transferred", out,
                        assignee=event.data.assignee)

    def _on_acknowledged(self, state: TicketState, event: CloudEvent, at: datetime,
                         out: list[CloudEvent]) -> None:
        self._stop(state, "acknowledge", at, out)

    def _on_paused(self, state: TicketState, event: CloudEvent, at: datetime,
                   out: list[CloudEvent]) -> None:
        state.paused_reason = event.data.reason
        for clock in state.clocks:
            if event.data.reason in clock.pausable:
                clock.pause(self.calendars[clock.calendar], at)

    def _on_resumed(self, state: TicketState, event: CloudEvent, at: datetime,
                    out: list[CloudEvent]) -> None:
        state.paused_reason = None
        for clock in state.clocks:
            clock.resume(self.calendars[clock.calendar], at)

    def _on_resolved(self, state: TicketState, event: CloudEvent, at: datetime,
                     out: list[CloudEvent]) -> None:
        if state.status != OPEN:
            return
        self._on_acknowledged(state, event, at, out)
        self._stop(state, "resolve", at, out)
        state.status, state.paused_reason = RESOLVED, None

    def _on_closed(self, state: TicketState, event: CloudEvent, at: datetime,
                   out: list[CloudEvent]) -> None:
        self._on_resolved(state, event, at, out)
        state.status = CLOSED
        charges.settle(state, event, at, "close", out)

    def _on_reopened(self, state: TicketState, event: CloudEvent, at: datetime,
                     out: list[CloudEvent]) -> None:
        if state.status not in (RESOLVED, CLOSED):
            return
        state.status, state.cycle = OPEN, state.cycle + 1
        self._start_clocks(state, at, ("resolve",))

    def _on_cancelled(self, state: TicketState, event: CloudEvent, at: datetime,
                      out: list[CloudEvent]) -> None:
        self._cancel_all(state, at, "ticket_cancelled", out)
        state.status = CANCELLED
        charges.settle(state, event, at, "cancel", out)

    def _on_disputed(self, state: TicketState, event: CloudEvent, at: datetime,
                     out: list[CloudEvent]) -> None:
        if not self._unknown_department(event.data.department, event, out):
            state.disputes[event.id] = (event.data.department, at)
            out.append(outcomes.dispute_filed(state, event, at))

    def _on_ruled(self, state: TicketState, event: CloudEvent, at: datetime,
                  out: list[CloudEvent]) -> None:
        """Every ruling on an open dispute goes on the record; an upheld one moves the
        ticket. A ruling naming an unknown department is dead-lettered and the dispute
        stays open for a correct ruling."""
        dispute = state.disputes.get(event.data.dispute_id)
        if dispute is None:
            out.append(outcomes.rejected(
                event, f"dispute {event.data.dispute_id!r} is not open on this ticket"))
            return
        to, upheld = event.data.to_department, event.data.outcome == "upheld"
        if upheld and self._unknown_department(to, event, out):
            return
        del state.disputes[event.data.dispute_id]
        disputing, filed_at = dispute
        out.append(outcomes.dispute_ruled(state, event, at, disputing, filed_at))
        if not upheld:
            return
        if to == state.department:  # already there: only the disputing side is cleared
            out.append(outcomes.attributed(state, event, at, "dispute", "dispute.ruled",
                                           disputing))
            charges.open_charge(state, to, at)
            charges.settle_if_known(state, event, at, out)
            return
        self._hand_over(state, event, at, to, "dispute", "dispute.ruled", out,
                        previous=disputing)


    def _on_fix(self, state: TicketState, event: CloudEvent, at: datetime,
                out: list[CloudEvent]) -> None:
        """A declared fix rides on its action's anchor ticket (inbound is ticket-keyed); it
        changes nothing here and goes on the record for the department stage."""
        if not self._unknown_department(event.data.department, event, out):
            out.append(outcomes.fix_declared(state, event, at))


#: Inbound types that are about more than the ticket: applied even to a cancelled one.
#: Applied whatever the ticket's status: a fix, and concessions (a grant on a cancelled
#: ticket was still given).
_ANY_STATUS = frozenset({"corrective_action.fixed"}) | AUTHORITY_INPUTS
_CANCEL_REASON = {"assignment": "reassigned", "transfer": "transferred",
                  "dispute": "dispute_upheld"}
