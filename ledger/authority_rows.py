"""How the ``authority`` topic's events become ledger rows (revision 0008).

``concession.recorded``, ``approval.recorded`` and ``authority.flagged`` each give one row
of their own table (:data:`AUTHORITY_ROWS`, inserted by the writer like the other tables).
An audit item is one row merged from ``audit.item_opened`` and ``audit.item_closed``
whatever order they arrive in (:func:`record_audits`, like :mod:`ledger.corrective_actions`):
each fills its own columns; the columns both carry are kept from whichever came first.
``authority.exceeded`` needs no table: a grant beyond authority is a ``concessions`` row
with ``within_authority`` false (and the event stays in ``ledger_events``).
Idempotent like the rest: the writer hands these functions only events whose ids are new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, func

from ledger.authority_tables import Approval, AuditItem, AuthorityFlag, Concession
from ledger.tables import Base

__all__ = ["AUDIT_EVENT_TYPES", "AUTHORITY_ROWS", "audit_row", "record_audits"]

AUDIT_EVENT_TYPES = ("audit.item_opened", "audit.item_closed")
_AUDIT_COLUMNS = [column.name for column in AuditItem.__table__.columns]
#: Columns both audit events carry: the first event of an item sets them.
_SHARED = ("grant_id", "ticket", "agent", "contact_reason", "amount", "currency", "granted_at")


def _concession_row(event: Any) -> dict[str, Any]:
    d = event.data
    return {"id": event.id, "grant_id": d.grant_id, "ticket": event.subject, "agent": d.agent,
            "level": d.level, "team": d.team, "contact_reason": d.contact_reason,
            "kind": d.kind, "amount": d.amount, "currency": d.currency, "agent_limit": d.limit,
            "pilot": d.pilot, "needed_approval": d.needed_approval,
            "approved_by": d.approved_by, "request_id": d.request_id,
            "within_authority": d.within_authority, "audited": d.audited,
            "granted_at": d.granted_at}


def _approval_row(event: Any) -> dict[str, Any]:
    d = event.data
    return {"id": event.id, "request_id": d.request_id, "ticket": event.subject,
            "agent": d.agent, "level": d.level, "team": d.team,
            "contact_reason": d.contact_reason, "kind": d.kind, "amount": d.amount,
            "currency": d.currency, "agent_limit": d.limit, "decision": d.decision,
            "decided_by": d.decided_by, "decider_level": d.decider_level,
            "requested_at": d.requested_at, "decided_at": d.decided_at,
            "wait_seconds": d.wait_seconds, "calendar": d.calendar}


def _flag_row(event: Any) -> dict[str, Any]:
    d = event.data
    return {"flag_id": event.id, "agent": d.agent, "level": d.level, "team": d.team,
            "contact_reason": d.contact_reason, "period": d.period,
            "metrics": ",".join(d.metrics), "contacts": d.contacts, "grants": d.grants,
            "amount": d.amount, "currency": d.currency, "grant_rate": d.grant_rate,
            "amount_per_grant": d.amount_per_grant, "peers": d.peers,
            "peer_median_rate": d.peer_median_rate, "peer_mad_rate": d.peer_mad_rate,
            "peer_median_amount": d.peer_median_amount, "peer_mad_amount": d.peer_mad_amount,
            "rate_score": d.rate_score, "amount_score": d.amount_score,
            "min_score": d.min_score, "flagged_at": event.time}


#: Event type -> (its table, how an event of that type becomes a row of it).
AUTHORITY_ROWS: dict[str, tuple[type[Base], Callable[[Any], dict[str, Any]]]] = {
    "concession.recorded": (Concession, _concession_row),
    "approval.recorded": (Approval, _approval_row),
    "authority.flagged": (AuthorityFlag, _flag_row),
}


def audit_row(event_type: str, event_id: str, ticket: str, d: Any) -> dict[str, Any]:
    """The columns an audit event fills (``d`` its data, a model or a namespace)."""
    shared = {"audit_id": d.audit_id, "grant_id": d.grant_id, "ticket": ticket,
              "agent": d.agent, "contact_reason": d.contact_reason, "amount": d.amount,
              "currency": d.currency}
    if event_type == "audit.item_opened":
        return {**shared, "level": d.level, "team": d.team, "kind": d.kind,
                "selected_by": d.selected_by, "threshold": d.threshold,
                "sample_rate": d.sample_rate, "granted_at": d.granted_at}
    return {**shared, "granted_at": d.opened_at, "verdict": d.verdict, "auditor": d.auditor,
            "note": d.note, "closed_at": d.closed_at, "closed_id": event_id}


def record_audits(conn: Connection, insert: Callable[..., Any], new: Sequence[Any]) -> int:
    """Merge the audit events among ``new`` into ``audit_items``; return how many were
    merged. One statement per event, in time order, so two events of one item in a batch
    merge as two batches would."""
    events = sorted((e for e in new if e.type in AUDIT_EVENT_TYPES), key=lambda e: (e.time, e.id))
    table = AuditItem.__table__
    for event in events:
        own = audit_row(event.type, event.id, event.subject, event.data)
        stmt = insert(AuditItem).values({**dict.fromkeys(_AUDIT_COLUMNS), **own})
        merged = {name: (func.coalesce(table.c[name], stmt.excluded[name]) if name in _SHARED
                         else stmt.excluded[name])
                  for name in own if name != "audit_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=["audit_id"], set_=merged))
    return len(events)
