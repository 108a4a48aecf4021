"""Which outcomes a department is told about, and how the message reads."""

from __future__ import annotations

from models import CloudEvent, NotificationRequested, derived_id
from models._envelope import trusted_event

__all__ = ["notifications_for"]

_SEVERITY = {"sla.warning": "warning", "sla.breached": "breach", "penalty.assessed": "penalty",
             "penalty.reversed": "info"}


def _text(event: CloudEvent) -> tuple[str, str]:
    d, ticket = event.data, event.subject
    if event.type == "sla.warning":
        return (f"SLA at {d.threshold:.0%}: {ticket} {d.metric}",
                f"Ticket {ticket} has used {d.threshold:.0%} of its {d.metric} target "
                f"(policy {d.policy}); due {d.due_at.isoformat()}.")
    if event.type == "sla.breached":
        return (f"SLA breached: {ticket} {d.metric}",
                f"Ticket {ticket} missed its {d.metric} target of {d.target_seconds // 60} "
                f"working minutes (policy {d.policy}) at {d.due_at.isoformat()}.")
    if event.type == "penalty.assessed":
        who = f" charged to {d.assignee}" if d.charged_to == "assignee" else ""
        return (f"Penalty: {d.fine} {d.currency}, {d.points} point(s) ({d.rule})",
                f"Ticket {ticket}: {d.rule} penalty of {d.fine} {d.currency} and "
                f"{d.points} point(s){who}.")
    return (f"Penalty reversed: {d.fine} {d.currency} ({d.rule})",
            f"Ticket {ticket}: penalty {d.penalty_id} reversed ({d.reason}).")


def notifications_for(event: CloudEvent) -> list[CloudEvent]:
    """The ``notification.requested`` events an outcome causes (none for most)."""
    severity = _SEVERITY.get(event.type)
    if severity is None:
        return []
    title, body = _text(event)
    data = {"department": event.data.department, "severity": severity, "title": title,
            "body": body, "ref_id": event.id, "ref_type": event.type}
    return [trusted_event(NotificationRequested, derived_id(event.id, "notify"), event.source,
                          event.time, event.subject, data)]
