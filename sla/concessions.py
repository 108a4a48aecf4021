"""Agent authority inside the ticket stage: concessions, approvals and audit verdicts.

A concession is part of a ticket's story: its contact reason defaults to the ticket's
category, so the ticket stage (:class:`sla.engine.SlaEngine`) applies the four inputs in
event-time order with the ticket's other events, and stream and replay agree on them
like on every SLA outcome. The judging itself is :mod:`sla.authority`; this module keeps
what a ticket must remember (open requests, open audit items, in
:class:`~sla.ticket.TicketState`) and builds the outputs:

- ``concession.granted`` -> ``concession.recorded`` (every grant, as judged), and
  ``authority.exceeded`` and ``audit.item_opened`` when they apply;
- ``concession.requested`` -> remembered until its decision;
- ``concession.decided`` -> ``approval.recorded`` with the wait in working time;
- ``audit.completed`` -> ``audit.item_closed``.

A decision for an unknown or already decided request, and a verdict for an unknown or
already closed audit item, are refused with ``event.rejected`` saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from models import CloudEvent, derived_id
from models.authority import ApprovalRecorded, AuditItemClosed, ConcessionRecorded
from sla import outcomes
from sla.authority import SOURCE, Grant, agent_of, audit_item, judge_grant, limit_and_pilot
from sla.calendar import BusinessCalendar
from sla.specs import AuthoritySpec
from sla.ticket import TicketState

__all__ = ["AUTHORITY_INPUTS", "Concessions"]

#: The inbound types this module applies.
AUTHORITY_INPUTS = frozenset({"concession.granted", "concession.requested",
                              "concession.decided", "audit.completed"})


class Concessions:
    """Applies the policy's ``authority`` section to one ticket's concession events."""

    def __init__(self, spec: AuthoritySpec | None,
                 calendars: Mapping[str, BusinessCalendar]) -> None:
        self.spec = spec
        self.calendar = (calendars[spec.calendar] if spec is not None and spec.calendar
                         else None)
        self.handlers = {"concession.granted": self._granted,
                         "concession.requested": self._requested,
                         "concession.decided": self._decided,
                         "audit.completed": self._audited}

    def apply(self, state: TicketState, event: CloudEvent, at: datetime,
              out: list[CloudEvent]) -> None:
        """Apply one of :data:`AUTHORITY_INPUTS` to ``state``; outputs go to ``out``."""
        if self.spec is None:
            out.append(outcomes.rejected(
                event, "the policy has no authority section: concessions are not judged"))
            return
        self.handlers[event.type](state, event, at, out)

    def _reason(self, state: TicketState, event: CloudEvent) -> str:
        given = event.data.contact_reason
        return given or (state.complaint or {}).get("category", "")

    def _granted(self, state: TicketState, event: CloudEvent, at: datetime,
                 out: list[CloudEvent]) -> None:
        spec, data = self.spec, event.data
        assert spec is not None
        grant = Grant(event.id, state.ticket_id, data.agent, data.amount, data.currency,
                      data.kind, self._reason(state, event), at, data.approved_by)
        exceeded = judge_grant(spec, grant, priority=(state.complaint or {}).get("priority"))
        item = audit_item(spec, grant)
        agent = agent_of(spec, grant.agent)
        limit, pilot = limit_and_pilot(spec, agent, grant.contact_reason, at)
        out.append(ConcessionRecorded(
            id=derived_id(event.id, "concession.recorded"), source=SOURCE, time=at,
            subject=state.ticket_id,
            data={"grant_id": event.id, "agent": grant.agent, "level": agent.level,
                  "team": agent.team or None, "contact_reason": grant.contact_reason,
                  "kind": grant.kind, "amount": grant.amount, "currency": grant.currency,
                  "limit": limit, "pilot": pilot, "needed_approval": grant.amount > limit,
                  "approved_by": grant.approved_by, "request_id": data.request_id,
                  "within_authority": exceeded is None, "audited": item is not None,
                  "granted_at": at}))
        if exceeded is not None:
            out.append(exceeded)
        if item is not None:
            state.audits[item.data.audit_id] = [event.id, grant.agent, grant.contact_reason,
                                                str(grant.amount), grant.currency,
                                                at.isoformat(), False]
            out.append(item)

    def _requested(self, state: TicketState, event: CloudEvent, at: datetime,
                   out: list[CloudEvent]) -> None:
        data = event.data
        state.requests[event.id] = [data.agent, str(data.amount), data.currency, data.kind,
                                    self._reason(state, event), at.isoformat(), None]

    def _decided(self, state: TicketState, event: CloudEvent, at: datetime,
                 out: list[CloudEvent]) -> None:
        spec, data = self.spec, event.data
        assert spec is not None and self.calendar is not None
        request = state.requests.get(data.request_id)
        if request is None or request[6] is not None:
            why = "no concession.requested" if request is None else "an already decided request"
            out.append(outcomes.rejected(
                event, f"{why} with id {data.request_id!r} on ticket {state.ticket_id!r}"))
            return
        agent_id, amount, currency, kind, reason, asked, _ = request
        request[6] = event.id
        requested_at = datetime.fromisoformat(asked)
        agent = agent_of(spec, agent_id)
        limit, _ = limit_and_pilot(spec, agent, reason, requested_at)
        out.append(ApprovalRecorded(
            id=derived_id(event.id, "approval.recorded"), source=SOURCE, time=at,
            subject=state.ticket_id,
            data={"request_id": data.request_id, "agent": agent_id, "level": agent.level,
                  "team": agent.team or None, "contact_reason": reason, "kind": kind,
                  "amount": amount, "currency": currency, "limit": limit,
                  "decision": data.decision, "decided_by": data.decided_by,
                  "decider_level": data.level, "requested_at": requested_at,
                  "decided_at": at, "calendar": spec.calendar,
                  "wait_seconds": self.calendar.working_seconds(requested_at, at)}))

    def _audited(self, state: TicketState, event: CloudEvent, at: datetime,
                 out: list[CloudEvent]) -> None:
        data = event.data
        item = state.audits.get(data.audit_id)
        if item is None or item[6]:
            why = "no audit item" if item is None else "an already closed audit item"
            out.append(outcomes.rejected(
                event, f"{why} with id {data.audit_id!r} on ticket {state.ticket_id!r}"))
            return
        grant_id, agent_id, reason, amount, currency, opened, _ = item
        item[6] = True
        out.append(AuditItemClosed(
            id=derived_id(event.id, "audit.item_closed"), source=SOURCE, time=at,
            subject=state.ticket_id,
            data={"audit_id": data.audit_id, "grant_id": grant_id, "agent": agent_id,
                  "contact_reason": reason, "amount": amount, "currency": currency,
                  "verdict": data.verdict, "auditor": data.auditor, "note": data.note,
                  "opened_at": datetime.fromisoformat(opened), "closed_at": at}))
