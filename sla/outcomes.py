"""Build the outbound events of the ticket stage, with deterministic ids.

Ids follow the contract: a clock outcome's id is derived from (ticket,
department, metric, cycle, kind) — plus the stint when a department receives the
same ticket twice in one cycle, and the threshold for warnings — so any
reprocessing yields byte-identical events.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from models import (
    CloudEvent,
    EventRejected,
    SlaAttributed,
    SlaBreached,
    SlaCancelled,
    SlaChargeSettled,
    SlaClocksChanged,
    SlaCsatRecorded,
    SlaDisputeFiled,
    SlaDisputeRuled,
    SlaMet,
    SlaWarning,
    derived_id,
)
from models._envelope import trusted_complete, trusted_event
from models.actions import SlaFixDeclared
from models.outbound import OpenClock
from models.topics import inbound_topic_for
from sla.clocks import BusinessTime, Clock
from sla.ticket import TicketState

__all__ = [
    "SOURCE",
    "attributed",
    "breached",
    "cancelled",
    "charge_settled",
    "clocks_changed",
    "csat_recorded",
    "dead_letter",
    "dispute_filed",
    "dispute_ruled",
    "fix_declared",
    "met",
    "rejected",
    "warning",
]

SOURCE = "sla-police"


def _clock_id(ticket: str, clock: Clock, kind: str, *extra: object) -> str:
    # All strings (str() is how derived_id writes numbers): its fast path.
    parts = [ticket, clock.department, clock.metric, str(clock.cycle), kind]
    if clock.stint > 1:
        parts.append(f"stint{clock.stint}")
    return derived_id(*parts, *extra)


def _clock_data(state: TicketState, clock: Clock, cal: BusinessTime, elapsed: int) -> dict:
    complaint = state.complaint or {}
    return {
        "department": clock.department,
        "policy": clock.policy,
        "metric": clock.metric,
        "cycle": clock.cycle,
        "calendar": clock.calendar,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "elapsed_seconds": elapsed,
        "target_seconds": clock.target,
        "provisional": cal.is_provisional(clock.started_at,  # clock.provisional(cal)
                                          clock.due_at or clock.started_at),
        "assignee": state.assignee,
        "priority": complaint.get("priority"),
        "category": complaint.get("category"),
        "target": clock.target_text,
    }


def _event(cls: type[CloudEvent], event_id: str, ticket: str, time: datetime,
           data: Any) -> CloudEvent:
    """Build without validation: every field comes from already-validated state."""
    return trusted_event(cls, event_id, SOURCE, time, ticket, data)


def warning(state: TicketState, clock: Clock, cal: BusinessTime, at: datetime,
            threshold: float) -> CloudEvent:
    data = _clock_data(state, clock, cal, clock.elapsed_at(cal, at))
    data.update(threshold=threshold, warned_at=at)
    return _event(SlaWarning, _clock_id(state.ticket_id, clock, "warning", threshold),
                  state.ticket_id, at, data)


def breached(state: TicketState, clock: Clock, cal: BusinessTime, at: datetime) -> CloudEvent:
    data = _clock_data(state, clock, cal, clock.target)
    data.update(breached_at=at)
    return _event(SlaBreached, _clock_id(state.ticket_id, clock, "breached"),
                  state.ticket_id, at, data)


def met(state: TicketState, clock: Clock, cal: BusinessTime, at: datetime) -> CloudEvent:
    data = _clock_data(state, clock, cal, clock.elapsed_at(cal, at))
    data.update(completed_at=at)
    return _event(SlaMet, _clock_id(state.ticket_id, clock, "met"), state.ticket_id, at, data)


def cancelled(state: TicketState, clock: Clock, cal: BusinessTime, at: datetime,
              reason: str) -> CloudEvent:
    data = _clock_data(state, clock, cal, clock.elapsed_at(cal, at))
    data.update(cancelled_at=at, reason=reason)
    return _event(SlaCancelled, _clock_id(state.ticket_id, clock, "cancelled"),
                  state.ticket_id, at, data)


def attributed(state: TicketState, cause: CloudEvent, at: datetime, reason: str, rule: str,
               previous: str | None) -> CloudEvent:
    complaint = state.complaint or {}
    data = {
        "department": state.department,
        "reason": reason,
        "rule": rule,
        "previous_department": previous,
        "category": complaint.get("category", ""),
        "priority": complaint.get("priority", ""),
        "assignee": state.assignee,
        "attributed_at": at,
        "caused_by": cause.id,
        "dispute_id": cause.data.__dict__.get("dispute_id"),
        "repeat_of": complaint.get("repeat_of"),
        "agent": complaint.get("agent"),
        "customer_ref": complaint.get("customer_ref"),
    }
    return _event(SlaAttributed, derived_id(state.ticket_id, "attributed", cause.id),
                  state.ticket_id, at, data)


def charge_settled(state: TicketState, cause: CloudEvent, at: datetime, department: str,
                   since: datetime, settled_by: str) -> CloudEvent:
    """On whom ``department``'s per-complaint charge falls: the ticket's assignee (the
    owner's own; None charges the department). Once per (ticket, department)."""
    complaint = state.complaint or {}
    data = {
        "department": department,
        "assignee": state.assignee,
        "settled_by": settled_by,
        "category": complaint.get("category", ""),
        "priority": complaint.get("priority", ""),
        "attributed_at": since,
        "settled_at": at,
        "caused_by": cause.id,
    }
    return _event(SlaChargeSettled, derived_id(state.ticket_id, "charge_settled", department),
                  state.ticket_id, at, data)


def _open_clock(clock: Clock, cal: BusinessTime, at: datetime) -> OpenClock:
    running_since = clock.running_since
    elapsed = clock.elapsed  # clock.elapsed_at(cal, at), inlined: once per open clock
    if running_since is not None and at > running_since:
        elapsed += cal.working_seconds(running_since, at)
    first_warning = int(clock.warn_at[0] * clock.target) if clock.warn_at else None
    warns_at = None
    if running_since is not None and first_warning is not None:
        warns_at = clock.next_warning  # _first_warning_at's usual case, without the call
        if clock.warned or clock.breached or warns_at is None:
            warns_at = _first_warning_at(clock, cal, first_warning)
    return trusted_complete(OpenClock, {
        "department": clock.department, "policy": clock.policy, "metric": clock.metric,
        "cycle": clock.cycle, "calendar": clock.calendar, "running": running_since is not None,
        "started_at": clock.started_at, "elapsed_seconds": elapsed,
        "target_seconds": clock.target, "target": clock.target_text,
        "warn_at": list(clock.warn_at),
        "due_at": clock.due_at if running_since is not None else None,
        "warns_at": warns_at,
        "warned": first_warning is not None and elapsed >= first_warning,
        "breached": clock.breached or elapsed >= clock.target,
    })


def _first_warning_at(clock: Clock, cal: BusinessTime, first_warning: int) -> datetime:
    """When a running clock's first warning is (or was) due. Until that warning fires,
    it is the clock's next warning, which :meth:`Clock.schedule` computed the same way
    (``cal.add(running_since, first_warning - elapsed)``, the threshold not passed)."""
    if clock.warned == 0 and not clock.breached and clock.next_warning is not None:
        return clock.next_warning
    return cal.add(clock.running_since,  # type: ignore[arg-type]
                   max(first_warning - clock.elapsed, 0))


def clocks_changed(state: TicketState, cause: CloudEvent, at: datetime,
                   calendars: Mapping[str, BusinessTime]) -> CloudEvent:
    """The ticket's open clocks after ``cause`` (snapshot number ``state.revision``)."""
    complaint = state.complaint or {}
    data = {
        "department": state.department, "assignee": state.assignee, "status": state.status,
        "disputed": bool(state.disputes), "priority": complaint.get("priority"),
        "category": complaint.get("category"), "revision": state.revision,
        "changed_at": at, "caused_by": cause.id,
        "clocks": [_open_clock(c, calendars[c.calendar], at) for c in state.clocks],
    }
    return _event(SlaClocksChanged, derived_id(state.ticket_id, "clocks", cause.id),
                  state.ticket_id, at, data)


def csat_recorded(state: TicketState, cause: CloudEvent, at: datetime) -> CloudEvent:
    """A customer's score, on the record for the department holding the ticket now (the
    engine otherwise ignores it): the ledger's scorecard averages it. Once per survey."""
    complaint = state.complaint or {}
    data = {
        "department": state.department,
        "assignee": state.assignee,
        "score": cause.data.score,
        "category": complaint.get("category", ""),
        "priority": complaint.get("priority", ""),
        "recorded_at": at,
        "caused_by": cause.id,
    }
    return _event(SlaCsatRecorded, derived_id(state.ticket_id, "csat", cause.id),
                  state.ticket_id, at, data)


def dispute_filed(state: TicketState, cause: CloudEvent, at: datetime) -> CloudEvent:
    """An accepted ``attribution.disputed``, on the record; ``holder`` is who holds the
    ticket when it is filed (often the disputing department itself)."""
    data = {
        "dispute_id": cause.id,
        "department": cause.data.department,
        "holder": state.department,
        "filed_by": cause.data.actor,
        "reason": cause.data.reason,
        "filed_at": at,
    }
    return _event(SlaDisputeFiled, derived_id(state.ticket_id, "dispute_filed", cause.id),
                  state.ticket_id, at, data)


def dispute_ruled(state: TicketState, cause: CloudEvent, at: datetime, disputing: str,
                  filed_at: datetime | None) -> CloudEvent:
    """A ruling on an open dispute, upheld or rejected, on the record."""
    ruling = cause.data
    data = {
        "dispute_id": ruling.dispute_id,
        "department": disputing,
        "outcome": ruling.outcome,
        "to_department": ruling.to_department if ruling.outcome == "upheld" else None,
        "ruled_by": ruling.actor,
        "reason": ruling.reason,
        "filed_at": filed_at,
        "ruled_at": at,
        "caused_by": cause.id,
    }
    return _event(SlaDisputeRuled, derived_id(state.ticket_id, "dispute_ruled", cause.id),
                  state.ticket_id, at, data)


def fix_declared(state: TicketState, cause: CloudEvent, at: datetime) -> CloudEvent:
    """A department's declared fix of a corrective action, on the record; the department
    stage measures recurrence against it from ``at`` on (:mod:`sla.recurrence`)."""
    fix = cause.data
    data = {"action_id": fix.action_id, "department": fix.department,
            "what_changed": fix.what_changed, "changed_at": fix.changed_at,
            "declared_by": fix.actor, "declared_at": at, "caused_by": cause.id}
    return _event(SlaFixDeclared, derived_id(state.ticket_id, "fix_declared", cause.id),
                  state.ticket_id, at, data)


def dead_letter(raw: bytes | str, reason: str, *, topic: str, at: datetime,
                partition: int | None = None, offset: int | None = None,
                key: str | None = None) -> CloudEvent:
    """A payload that failed to parse, as ``event.rejected``.

    The id is derived from the payload itself, so the stream and replay agree and
    a redelivered bad message is not dead-lettered twice under two ids.
    """
    import base64
    import hashlib
    import re

    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(data).decode("ascii"), "base64"
    subject = key if key and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}", key) else "unknown"
    payload = {"reason": reason, "raw": text, "raw_encoding": encoding, "topic": topic,
               "partition": partition, "offset": offset, "key": key, "rejected_at": at}
    event_id = derived_id("rejected", hashlib.sha256(data).hexdigest())
    return _event(EventRejected, event_id, subject, at, payload)


def rejected(event: CloudEvent, reason: str) -> CloudEvent:
    """A semantically impossible event (e.g. unknown department) as a dead letter.

    Its origin (partition, offset) is unknown here; the time is the event's own,
    so the stream and replay produce the same dead letter.
    """
    data = {
        "reason": reason,
        "raw": event.to_json(),
        "raw_encoding": "utf-8",
        "topic": inbound_topic_for(event.type),
        "partition": None,
        "offset": None,
        "key": event.subject,
        "rejected_at": event.time,
    }
    return _event(EventRejected, derived_id(event.id, "rejected"), event.subject, event.time,
                  data)
