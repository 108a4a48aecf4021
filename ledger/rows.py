"""How an outbound event becomes ledger rows: its ``ledger_events`` row, and the row of the
table that flattens its type (:data:`ROW_BUILDERS`). Dispute rows are merged from two event
types in :mod:`ledger.disputes`; payroll lines are booked in :mod:`ledger.booking`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ledger.tables import (
    Attribution,
    Base,
    Breach,
    ClockOutcome,
    CsatResponse,
    DeadLetter,
    Penalty,
    Reversal,
    Volume,
)

__all__ = ["ROW_BUILDERS", "SCORECARD_ROWS", "event_row"]

UTC = dt.UTC


def _clock_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "ticket": event.subject, "department": data.department,
        "policy": data.policy, "metric": data.metric, "cycle": data.cycle,
        "started_at": data.started_at, "due_at": data.due_at, "breached_at": data.breached_at,
        "target_seconds": data.target_seconds, "assignee": data.assignee,
        "priority": data.priority, "category": data.category,
    }


def _penalty_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "ticket": event.subject, "department": data.department,
        "assignee": data.assignee, "charged_to": data.charged_to, "rule": data.rule,
        "trigger": data.trigger, "breach_id": data.breach_id, "metric": data.metric,
        "base_fine": data.base_fine, "multiplier": data.multiplier,
        "capped_amount": data.capped_amount, "fine": data.fine, "points": data.points,
        "currency": data.currency, "period": data.period, "assessed_at": data.assessed_at,
        "reversed_at": None, "reversal_id": None, "reversal_reason": None, "dispute_id": None,
    }


def _reversal_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "penalty_id": data.penalty_id, "ticket": event.subject,
        "department": data.department, "assignee": data.assignee, "rule": data.rule,
        "fine": data.fine, "points": data.points, "currency": data.currency,
        "reason": data.reason, "dispute_id": data.dispute_id, "caused_by": data.caused_by,
        "reversed_at": data.reversed_at,
    }


def _dead_letter_row(event: Any) -> dict[str, Any]:
    data = event.data
    rejected_at = data.rejected_at
    if rejected_at.tzinfo is None:  # the model allows naive times here; they are UTC
        rejected_at = rejected_at.replace(tzinfo=UTC)
    return {
        "id": event.id, "ticket": event.subject, "reason": data.reason, "topic": data.topic,
        "kafka_partition": data.partition, "kafka_offset": data.offset, "kafka_key": data.key,
        "raw": data.raw, "raw_encoding": data.raw_encoding, "rejected_at": rejected_at,
    }


def _attribution_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {"id": event.id, "ticket": event.subject, "department": data.department,
            "reason": data.reason, "previous_department": data.previous_department,
            "repeat_of": data.repeat_of, "attributed_at": data.attributed_at,
            "category": data.category, "agent": data.agent,
            "customer_ref": data.customer_ref}


def _outcome_row(outcome: str, ended: str) -> Callable[[Any], dict[str, Any]]:
    def build(event: Any) -> dict[str, Any]:
        data = event.data
        return {"id": event.id, "ticket": event.subject, "department": data.department,
                "metric": data.metric, "cycle": data.cycle, "outcome": outcome,
                "ended_at": getattr(data, ended)}
    return build


def _csat_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {"id": event.id, "ticket": event.subject, "department": data.department,
            "assignee": data.assignee, "score": data.score, "recorded_at": data.recorded_at}


def _volume_row(event: Any) -> dict[str, Any]:
    data = event.data
    month = data.period or f"{data.day.year:04d}-{data.day.month:02d}"
    return {"id": event.id, "department": data.department, "unit": data.unit, "month": month,
            "day": data.day, "count": data.count, "reported_at": event.time}


def event_row(event: Any, recorded_at: dt.datetime) -> dict[str, Any]:
    """The ``ledger_events`` row of any outbound event."""
    return {
        "id": event.id, "type": event.type, "subject": event.subject,
        "department": getattr(event.data, "department", None), "time": event.time,
        "payload": event.to_json(), "recorded_at": recorded_at,
    }


#: Event type -> (its own table, how an event of that type becomes a row of it).
ROW_BUILDERS: dict[str, tuple[type[Base], Callable[[Any], dict[str, Any]]]] = {
    "sla.breached": (Breach, _clock_row),
    "penalty.assessed": (Penalty, _penalty_row),
    "penalty.reversed": (Reversal, _reversal_row),
    "event.rejected": (DeadLetter, _dead_letter_row),
}

#: Event type -> (a second table, its row): what the monthly scorecard counts
#: (:mod:`ledger.scorecard`), from revision 0004 on.
SCORECARD_ROWS: dict[str, tuple[type[Base], Callable[[Any], dict[str, Any]]]] = {
    "sla.attributed": (Attribution, _attribution_row),
    "sla.met": (ClockOutcome, _outcome_row("met", "completed_at")),
    "sla.breached": (ClockOutcome, _outcome_row("breached", "breached_at")),
    "sla.cancelled": (ClockOutcome, _outcome_row("cancelled", "cancelled_at")),
    "sla.csat_recorded": (CsatResponse, _csat_row),
    "volume.reported": (Volume, _volume_row),
}
