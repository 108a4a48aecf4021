"""Which outcomes a department is told about, and how the message reads.

Durations read as the policy writes them (``2d``, ``16h``): the target people agreed on,
not a number of working minutes. Disputes: the disputing department hears the ruling
either way, the department an upheld ruling gives the ticket to hears it too, and the
holder hears of a dispute filed by another department (a holder that disputes its own
ticket is not told what it just did). One notification per department, ids derived from
the event and the department, so the stream and replay agree.
"""

from __future__ import annotations

from models import CloudEvent, NotificationRequested, derived_id
from models._envelope import trusted_event
from sla.recurrence import ACTION_TYPES, action_notifications
from sla.specs import written_duration

__all__ = ["notifications_for"]

_SEVERITY = {"sla.warning": "warning", "sla.breached": "breach", "penalty.assessed": "penalty",
             "penalty.reversed": "info", "sla.dispute_filed": "info",
             "sla.dispute_ruled": "info"}


def _target(d) -> str:
    """The target as written; events from before targets were kept: the working time."""
    return d.target or f"{written_duration(d.target_seconds)} (working time)"


def _text(event: CloudEvent) -> tuple[str, str]:
    d, ticket = event.data, event.subject
    if event.type == "sla.warning":
        return (f"SLA at {d.threshold:.0%}: {ticket} {d.metric}",
                f"Ticket {ticket} has used {d.threshold:.0%} of its {_target(d)} {d.metric} "
                f"target (policy {d.policy}); due {d.due_at.isoformat()}.")
    if event.type == "sla.breached":
        return (f"SLA breached: {ticket} {d.metric}",
                f"Ticket {ticket} missed its {_target(d)} {d.metric} target "
                f"(policy {d.policy}) at {d.due_at.isoformat()}.")
    if event.type == "penalty.assessed":
        who = f" charged to {d.assignee}" if d.charged_to == "assignee" else ""
        return (f"Penalty: {d.fine} {d.currency}, {d.points} point(s) ({d.rule})",
                f"Ticket {ticket}: {d.rule} penalty of {d.fine} {d.currency} and "
                f"{d.points} point(s){who}.")
    return (f"Penalty reversed: {d.fine} {d.currency} ({d.rule})",
            f"Ticket {ticket}: penalty {d.penalty_id} reversed ({d.reason}).")


def _dispute_messages(event: CloudEvent) -> list[tuple[str, str, str]]:
    """(department, title, body) of each department told about a dispute event."""
    d, ticket = event.data, event.subject
    if event.type == "sla.dispute_filed":
        if d.holder is None or d.holder == d.department:
            return []
        return [(d.holder, f"Dispute filed: {ticket}",
                 f"Ticket {ticket}, which you hold, is disputed by {d.department} "
                 f"({d.reason}); if the ruling upholds it, the ticket moves.")]
    why = f" ({d.reason})" if d.reason else ""
    if d.outcome == "rejected":
        return [(d.department, f"Dispute rejected: {ticket}",
                 f"Ticket {ticket}: your dispute {d.dispute_id} was rejected{why}; "
                 "nothing changes.")]
    told = [(d.department, f"Dispute upheld: {ticket}",
             f"Ticket {ticket}: your dispute {d.dispute_id} was upheld{why}; the ticket "
             f"moves to {d.to_department} and any penalties of yours for it are reversed.")]
    if d.to_department != d.department:
        told.append((d.to_department, f"Ticket given to you: {ticket}",
                     f"Ticket {ticket} is now yours: the dispute of {d.department} was "
                     f"upheld{why}."))
    return told


def _notification(event: CloudEvent, event_id: str, department: str, severity: str,
                  title: str, body: str) -> CloudEvent:
    data = {"department": department, "severity": severity, "title": title, "body": body,
            "ref_id": event.id, "ref_type": event.type}
    return trusted_event(NotificationRequested, event_id, event.source, event.time,
                         event.subject, data)


def notifications_for(event: CloudEvent) -> list[CloudEvent]:
    """The ``notification.requested`` events an outcome causes (none for most)."""
    if event.type in ACTION_TYPES:  # corrective actions: sla.recurrence words them
        return action_notifications(event)
    severity = _SEVERITY.get(event.type)
    if severity is None:
        return []
    if event.type.startswith("sla.dispute_"):
        messages = _dispute_messages(event)
        return [_notification(event, derived_id(event.id, "notify", department), department,
                              severity, title, body) for department, title, body in messages]
    title, body = _text(event)
    return [_notification(event, derived_id(event.id, "notify"), event.data.department,
                          severity, title, body)]
