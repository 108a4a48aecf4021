"""Helpers for tests and examples: build inbound events tersely.

>>> e = complaint("T-1", "2026-09-18T17:00:00+08:00", category="delivery.late")
>>> e.type
'complaint.received'

Every builder takes the ticket id and an RFC 3339 time (or aware datetime);
ids are deterministic (``{type}-{ticket}-{time}`` unless given).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import INBOUND_TYPES, CloudEvent

__all__ = [
    "acknowledged",
    "assigned",
    "cancelled",
    "closed",
    "complaint",
    "csat",
    "disputed",
    "event",
    "audited",
    "decided",
    "fixed",
    "granted",
    "requested",
    "paused",
    "reopened",
    "resolved",
    "resumed",
    "ruled",
    "transferred",
]


def event(event_type: str, ticket: str, at: str | datetime, data: dict[str, Any] | None = None,
          *, event_id: str | None = None, source: str = "test") -> CloudEvent:
    """Any inbound event, validated like a real one."""
    time = at if isinstance(at, str) else at.isoformat()
    payload: dict[str, Any] = {
        "specversion": "1.0", "id": event_id or f"{event_type}-{ticket}-{time}",
        "source": source, "type": event_type, "time": time, "subject": ticket,
    }
    if data is not None:
        payload["data"] = data
    return INBOUND_TYPES[event_type].model_validate(payload)


def complaint(ticket: str, at: str | datetime, *, category: str = "delivery.late",
              priority: str = "P3", channel: str = "phone", **extra: Any) -> CloudEvent:
    data = {"customer_ref": "cust-test", "channel": channel, "category": category,
            "priority": priority, **extra}
    return event("complaint.received", ticket, at, data, event_id=extra.pop("event_id", None))


def assigned(ticket: str, at: str | datetime, department: str, assignee: str | None = None,
             **kw: Any) -> CloudEvent:
    return event("ticket.assigned", ticket, at,
                 {"department": department, "assignee": assignee}, **kw)


def acknowledged(ticket: str, at: str | datetime, **kw: Any) -> CloudEvent:
    return event("ticket.acknowledged", ticket, at, {}, **kw)


def paused(ticket: str, at: str | datetime, reason: str = "awaiting_customer",
           **kw: Any) -> CloudEvent:
    return event("ticket.paused", ticket, at, {"reason": reason}, **kw)


def resumed(ticket: str, at: str | datetime, **kw: Any) -> CloudEvent:
    return event("ticket.resumed", ticket, at, {}, **kw)


def resolved(ticket: str, at: str | datetime, **kw: Any) -> CloudEvent:
    return event("ticket.resolved", ticket, at, {}, **kw)


def reopened(ticket: str, at: str | datetime, **kw: Any) -> CloudEvent:
    return event("ticket.reopened", ticket, at, {}, **kw)


def closed(ticket: str, at: str | datetime, **kw: Any) -> CloudEvent:
    return event("ticket.closed", ticket, at, {}, **kw)


def cancelled(ticket: str, at: str | datetime, reason: str = "withdrawn",
              **kw: Any) -> CloudEvent:
    return event("ticket.cancelled", ticket, at, {"reason": reason}, **kw)


def transferred(ticket: str, at: str | datetime, to: str, reason: str = "not ours",
                assignee: str | None = None, **kw: Any) -> CloudEvent:
    return event("ticket.transferred", ticket, at,
                 {"to_department": to, "reason": reason, "assignee": assignee}, **kw)


def disputed(ticket: str, at: str | datetime, department: str, reason: str = "not ours",
             actor: str | None = None, **kw: Any) -> CloudEvent:
    return event("attribution.disputed", ticket, at,
                 {"department": department, "reason": reason, "actor": actor}, **kw)


def ruled(ticket: str, at: str | datetime, dispute_id: str, outcome: str = "upheld",
          to: str | None = None, reason: str | None = None, actor: str | None = None,
          **kw: Any) -> CloudEvent:
    return event("dispute.ruled", ticket, at,
                 {"dispute_id": dispute_id, "outcome": outcome, "to_department": to,
                  "reason": reason, "actor": actor}, **kw)


def csat(ticket: str, at: str | datetime, score: int, **kw: Any) -> CloudEvent:
    return event("csat.recorded", ticket, at, {"score": score}, **kw)


def fixed(ticket: str, at: str | datetime, action_id: str, department: str,
          what_changed: str = "new courier for the route", changed_at: str | None = None,
          actor: str | None = None, **kw: Any) -> CloudEvent:
    """``corrective_action.fixed`` riding on ``ticket``, the action's anchor ticket."""
    when = changed_at or (at if isinstance(at, str) else at.isoformat())
    return event("corrective_action.fixed", ticket, at,
                 {"action_id": action_id, "department": department,
                  "what_changed": what_changed, "changed_at": when, "actor": actor}, **kw)


def granted(ticket: str, at: str | datetime, agent: str, amount: str, *,
            kind: str = "credit", approved_by: str | None = None, **extra: Any) -> CloudEvent:
    """``concession.granted`` in CNY; ``extra``: contact_reason, request_id, event_id."""
    event_id = extra.pop("event_id", None)
    data = {"agent": agent, "amount": amount, "currency": "CNY", "kind": kind,
            "approved_by": approved_by, **extra}
    return event("concession.granted", ticket, at, data, event_id=event_id)


def requested(ticket: str, at: str | datetime, agent: str, amount: str, *,
              kind: str = "credit", event_id: str | None = None) -> CloudEvent:
    return event("concession.requested", ticket, at,
                 {"agent": agent, "amount": amount, "currency": "CNY", "kind": kind},
                 event_id=event_id)


def decided(ticket: str, at: str | datetime, request_id: str, by: str, level: str,
            decision: str = "approved", **kw: Any) -> CloudEvent:
    return event("concession.decided", ticket, at, {"request_id": request_id,
                 "decision": decision, "decided_by": by, "level": level}, **kw)


def audited(ticket: str, at: str | datetime, audit_id: str, verdict: str = "compliant",
            auditor: str = "qa-1", **kw: Any) -> CloudEvent:
    return event("audit.completed", ticket, at,
                 {"audit_id": audit_id, "verdict": verdict, "auditor": auditor}, **kw)
