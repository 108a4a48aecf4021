"""Which outcomes a department is told about, and how the message reads.

The message is in the receiving department's ``language`` (English unless the policy says
``zh``), names departments by their display ``name``, and reads durations as the policy
writes them (``2d``, ``16h``): the target people agreed on, not a number of working
minutes. The words are the templates of :mod:`sla.messages`. Disputes: the disputing
department hears the ruling either way, the department an upheld ruling gives the ticket to
hears it too, and the holder hears of a dispute filed by another department (a holder that
disputes its own ticket is not told what it just did). One notification per department, ids
derived from the event and the department; the text depends only on the event and the
policy, so the stream and replay agree.
"""

from __future__ import annotations

from typing import Any

from models import CloudEvent, NotificationRequested, derived_id
from models._envelope import trusted_event
from sla.messages import render, when
from sla.recurrence import ACTION_TYPES, action_notifications
from sla.specs import SlaConfig, written_duration

__all__ = ["NOTIFYING", "notifications_for"]

_SEVERITY = {"sla.warning": "warning", "sla.breached": "breach", "penalty.assessed": "penalty",
             "penalty.reversed": "info", "sla.dispute_filed": "info",
             "sla.dispute_ruled": "info"}
#: The only outcome types :func:`notifications_for` words messages for: a batch can skip
#: the call for the others (most outcomes).
NOTIFYING = frozenset(_SEVERITY) | ACTION_TYPES


class _Words:
    """The templates of one receiving department's language, and display names."""

    def __init__(self, config: SlaConfig | None, department: str) -> None:
        self.departments = config.departments if config is not None else {}
        spec = self.departments.get(department)
        self.language = spec.language if spec is not None else "en"

    def __call__(self, key: str, **values: Any) -> str:
        return render(self.language, key, **values)

    def name(self, department: str) -> str:
        spec = self.departments.get(department)
        return spec.name if spec is not None else department

    def target(self, d: Any) -> str:
        """The target as written; events from before targets were kept: the working time."""
        return d.target or self("working_time", target=written_duration(d.target_seconds))


def _text(event: CloudEvent, w: _Words) -> tuple[str, str]:
    d, ticket = event.data, event.subject
    if event.type in ("sla.warning", "sla.breached"):
        kind = "warning" if event.type == "sla.warning" else "breach"
        values = dict(ticket=ticket, metric=w(f"metric.{d.metric}"), target=w.target(d),
                      policy=d.policy, due=when(w.language, d.due_at),
                      pct=f"{getattr(d, 'threshold', 0):.0%}")
        return w(f"{kind}.title", **values), w(f"{kind}.body", **values)
    if event.type == "penalty.assessed":
        who = w("penalty.who", assignee=d.assignee) if d.charged_to == "assignee" else ""
        values = dict(ticket=ticket, fine=d.fine, currency=d.currency, points=d.points,
                      rule=d.rule, who=who)
        return w("penalty.title", **values), w("penalty.body", **values)
    values = dict(ticket=ticket, fine=d.fine, currency=d.currency, rule=d.rule,
                  penalty_id=d.penalty_id, reason=d.reason)
    return w("reversed.title", **values), w("reversed.body", **values)


def _told(config: SlaConfig | None, told: str, kind: str,
          **values: Any) -> tuple[str, str, str]:
    """(department told, title, body) of message ``kind`` in that department's language;
    the ``department`` and ``to_department`` values become display names."""
    w = _Words(config, told)
    named = {key: w.name(values[key]) for key in ("department", "to_department")
             if key in values}
    values = {**values, **named}
    return told, w(f"{kind}.title", **values), w(f"{kind}.body", **values)


def _dispute_messages(event: CloudEvent,
                      config: SlaConfig | None) -> list[tuple[str, str, str]]:
    """(department, title, body) of each department told about a dispute event."""
    d, ticket = event.data, event.subject
    if event.type == "sla.dispute_filed":
        if d.holder is None or d.holder == d.department:
            return []
        return [_told(config, d.holder, "filed", ticket=ticket, department=d.department,
                      reason=d.reason)]
    def why(department: str) -> str:
        return _Words(config, department)("why", reason=d.reason) if d.reason else ""
    if d.outcome == "rejected":
        return [_told(config, d.department, "rejected", ticket=ticket,
                      dispute_id=d.dispute_id, why=why(d.department))]
    told = [_told(config, d.department, "upheld", ticket=ticket, dispute_id=d.dispute_id,
                  why=why(d.department), to_department=d.to_department)]
    if d.to_department != d.department:
        told.append(_told(config, d.to_department, "given", ticket=ticket,
                          department=d.department, why=why(d.to_department)))
    return told


def _notification(event: CloudEvent, event_id: str, department: str, severity: str,
                  title: str, body: str) -> CloudEvent:
    data = {"department": department, "severity": severity, "title": title, "body": body,
            "ref_id": event.id, "ref_type": event.type}
    return trusted_event(NotificationRequested, event_id, event.source, event.time,
                         event.subject, data)


def notifications_for(event: CloudEvent, config: SlaConfig | None = None) -> list[CloudEvent]:
    """The ``notification.requested`` events an outcome causes (none for most), worded for
    each receiving department of ``config`` (without one: English, department ids)."""
    if event.type in ACTION_TYPES:  # corrective actions: sla.recurrence words them
        return action_notifications(event)
    severity = _SEVERITY.get(event.type)
    if severity is None:
        return []
    if event.type.startswith("sla.dispute_"):
        messages = _dispute_messages(event, config)
        return [_notification(event, derived_id(event.id, "notify", department), department,
                              severity, title, body) for department, title, body in messages]
    title, body = _text(event, _Words(config, event.data.department))
    return [_notification(event, derived_id(event.id, "notify"), event.data.department,
                          severity, title, body)]
