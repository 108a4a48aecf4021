"""Call records and block requests in the ledger (issue 15, second step).

``call_records`` keeps one row per ``call.ended`` (keyed by call id, so a redelivered or
re-sent call changes nothing): the figures the before/after report of the calls policy
counts (:mod:`ledger.calls_report`). ``block_requests`` keeps each ``block.requested``
merged with what became of it, in any arrival order: ``block.decided`` (approved or
declined, by whom) or the ``block.refused`` of the request or of its decision. The API
checks a decision against this row before it publishes one (the domain refuses a bad one
anyway). A refused *decision* leaves the request pending (a self-approval waits for a
second person), a refused *request* is refused for good. Runs inside
:func:`ledger.calls.record_calls`' transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update

from ledger.tables import BlockRequest, CallerBlock, CallRecord

__all__ = ["REQUEST_TYPES", "RequestView", "block_counts", "find_request", "pending_requests",
           "record_call", "record_request_event"]

#: The calls event types that change ``block_requests``.
REQUEST_TYPES = frozenset({"block.requested", "block.decided", "block.refused"})


def record_call(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    """Insert one ``call.ended``; 1 when its call id is new, else 0."""
    d = event.data
    stmt = insert(CallRecord).values(
        call_id=d.call_id, event_id=event.id, caller=event.subject, agent=d.agent,
        team=d.team, started_at=d.started_at, ended_at=event.time,
        duration_seconds=d.duration_seconds, ended_by=d.ended_by, disposition=d.disposition,
        warned=d.warned, csat=d.csat, ticket_id=d.ticket_id)
    inserted = stmt.on_conflict_do_nothing().returning(CallRecord.call_id)
    return int(conn.execute(inserted).first() is not None)


def _ensure(conn: Connection, insert: Callable[..., Any], request_id: str) -> None:
    """A pending row for ``request_id`` (its request may not be recorded yet)."""
    conn.execute(insert(BlockRequest).values(request_id=request_id, status="pending")
                 .on_conflict_do_nothing())


def _requested(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    _ensure(conn, insert, event.id)
    done = conn.execute(update(BlockRequest).where(
        BlockRequest.request_id == event.id, BlockRequest.requested_at.is_(None)).values(
        caller=event.subject, period=d.period, reason=d.reason,
        evidence=json.dumps(list(d.evidence)), requested_by=d.requested_by,
        requested_at=event.time))
    return done.rowcount


#: ``status`` of the marker row a refused decision leaves under its own id (never a
#: request: :func:`find_request` skips rows without ``requested_at``), so a decision
#: recorded after its refusal (they travel on different topics) never stands.
_REFUSED_DECISION = "decision_refused"


def _decided(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    """The first decision that was not refused decides the request."""
    d = event.data
    refused = conn.execute(select(BlockRequest.request_id).where(
        BlockRequest.request_id == event.id,
        BlockRequest.status == _REFUSED_DECISION)).first()
    if refused is not None:
        return 0
    _ensure(conn, insert, d.request_id)
    done = conn.execute(update(BlockRequest).where(
        BlockRequest.request_id == d.request_id, BlockRequest.status == "pending").values(
        status=d.decision, decision_id=event.id, decided_by=d.decided_by,
        decided_at=event.time))
    return done.rowcount


def _refused(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    d = event.data
    if d.command == "block.requested":
        _ensure(conn, insert, d.command_id)
        done = conn.execute(update(BlockRequest).where(
            BlockRequest.request_id == d.command_id).values(
            status="refused", refusal=d.reason, decision_id=None, decided_by=None,
            decided_at=None))
        return done.rowcount
    if d.command != "block.decided":
        return 0
    conn.execute(insert(BlockRequest).values(
        request_id=d.command_id, status=_REFUSED_DECISION, refusal=d.reason)
        .on_conflict_do_nothing())
    # the decision, if recorded first, never stood: its request is pending again
    done = conn.execute(update(BlockRequest).where(
        BlockRequest.decision_id == d.command_id,
        BlockRequest.status.in_(("approved", "declined"))).values(
        status="pending", decision_id=None, decided_by=None, decided_at=None))
    return 1 + done.rowcount


_REQUEST: dict[str, Callable[[Connection, Callable[..., Any], Any], int]] = {
    "block.requested": _requested, "block.decided": _decided, "block.refused": _refused}


def record_request_event(conn: Connection, insert: Callable[..., Any], event: Any) -> int:
    """Merge a ``block.requested``, ``block.decided`` or ``block.refused``; rows changed."""
    return _REQUEST[event.type](conn, insert, event)


@dataclass(frozen=True, slots=True)
class RequestView:
    """A block request as the ledger knows it (``requested_at`` None: not recorded yet)."""

    request_id: str
    caller: str | None
    period: str | None
    reason: str | None
    evidence: tuple[str, ...]
    requested_by: str | None
    requested_at: datetime | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    refusal: str | None


def _view(row: Any) -> RequestView:
    return RequestView(row.request_id, row.caller, row.period, row.reason,
                       tuple(json.loads(row.evidence or "[]")), row.requested_by,
                       row.requested_at, row.status, row.decided_by, row.decided_at,
                       row.refusal)


def find_request(engine: Engine, request_id: str) -> RequestView | None:
    """The request ``request_id`` (None when the ledger has not recorded it)."""
    with engine.connect() as conn:
        row = conn.execute(select(BlockRequest).where(
            BlockRequest.request_id == request_id)).first()
    if row is None or row.requested_at is None:
        return None
    return _view(row)


def pending_requests(engine: Engine, limit: int) -> list[RequestView]:
    """The requests waiting for a decision, oldest first (a refused self-approval leaves
    its request waiting; a decision recorded before its request is not one)."""
    stmt = select(BlockRequest).where(
        BlockRequest.status == "pending", BlockRequest.requested_at.is_not(None)).order_by(
        BlockRequest.requested_at, BlockRequest.request_id).limit(limit)
    with engine.connect() as conn:
        return [_view(row) for row in conn.execute(stmt).all()]


def block_counts(engine: Engine, now: datetime) -> dict[str, int]:
    """Blocks active at ``now`` (all, by rule, by people, permanent) and requests waiting
    for a decision: what an executive may see of blocks, no caller in it."""
    active = or_(CallerBlock.until.is_(None), CallerBlock.until > now)
    rule = CallerBlock.by.startswith("rule:", autoescape=True)
    with engine.connect() as conn:
        blocks = conn.execute(select(func.count()).where(active)).scalar_one()
        by_rule = conn.execute(select(func.count()).where(active, rule)).scalar_one()
        permanent = conn.execute(select(func.count()).where(
            CallerBlock.until.is_(None))).scalar_one()
        waiting = conn.execute(select(func.count()).where(
            BlockRequest.status == "pending", BlockRequest.requested_at.is_not(None))
        ).scalar_one()
    return {"blocks": blocks, "by_rule": by_rule, "by_people": blocks - by_rule,
            "permanent": permanent, "waiting": waiting}
