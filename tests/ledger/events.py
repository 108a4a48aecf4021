"""Outbound events for the ledger tests, built from the examples of ``models.examples``
with the fields a test cares about changed, and parsed like any input."""

from __future__ import annotations

import json
from typing import Any

from models import CloudEvent, parse_event
from models.examples import example

__all__ = ["breach", "clock_event", "dispute_filed", "dispute_ruled", "outbound", "penalty",
           "reversal"]


def outbound(event_type: str, data: dict[str, Any] | None = None, **envelope: Any) -> CloudEvent:
    """The example of ``event_type`` with some fields changed, parsed like any input."""
    raw = example(event_type)
    raw.update(envelope)
    raw["data"].update(data or {})
    event = parse_event(json.dumps(raw), accept="any")
    assert isinstance(event, CloudEvent), event
    return event


def penalty(event_id: str, ticket: str, department: str, assignee: str | None, fine: str,
            points: int, period: str = "2026-11", currency: str = "CNY",
            **data: Any) -> CloudEvent:
    """A penalty of ``fine`` in ``period``, charged to ``assignee`` in person when given."""
    return outbound("penalty.assessed", {
        "department": department, "assignee": assignee, "fine": fine, "base_fine": fine,
        "multiplier": "1", "points": points, "period": period, "currency": currency,
        "charged_to": "assignee" if assignee else "department", **data,
    }, id=event_id, subject=ticket)


def reversal(event_id: str, penalty_id: str, ticket: str, **data: Any) -> CloudEvent:
    """A reversal of ``penalty_id`` (by default on 2026-11-25, for dispute ``crm-11``)."""
    return outbound("penalty.reversed", {"penalty_id": penalty_id, **data}, id=event_id,
                    subject=ticket)


def breach(event_id: str, ticket: str, department: str, metric: str, at: str,
           cycle: int = 1, **data: Any) -> CloudEvent:
    return outbound("sla.breached", {"department": department, "metric": metric,
                                     "breached_at": at, "due_at": at, "cycle": cycle, **data},
                    id=event_id, subject=ticket, time=at)


def dispute_filed(event_id: str, dispute_id: str, ticket: str, **data: Any) -> CloudEvent:
    return outbound("sla.dispute_filed", {"dispute_id": dispute_id, **data}, id=event_id,
                    subject=ticket)


def dispute_ruled(event_id: str, dispute_id: str, ticket: str, **data: Any) -> CloudEvent:
    return outbound("sla.dispute_ruled", {"dispute_id": dispute_id, **data}, id=event_id,
                    subject=ticket)


def clock_event(event_type: str, ticket: str, department: str, at: str,
                metric: str = "resolve", cycle: int = 1) -> CloudEvent:
    """An ``sla.met`` or ``sla.breached`` of ``department``'s clock, ended at ``at``."""
    ended = "completed_at" if event_type == "sla.met" else "breached_at"
    return outbound(event_type, {"department": department, "metric": metric, "cycle": cycle,
                                 ended: at}, id=f"{event_type}-{ticket}-{metric}-{cycle}",
                    subject=ticket, time=at)
