"""Read queries for the HTTP API: the penalty feed by pages, a ticket's holders and
breaches, and the disputes the stream has recorded.

Everything here only reads the tables of :mod:`ledger.tables`; like :mod:`ledger.reports`
each function takes an engine and returns plain frozen values or detached rows.

- :func:`penalty_page` is keyset-paginated on ``(assessed_at, id)``: a page starts strictly
  after the last row of the previous one, so rows inserted meanwhile never shift a page
  and no row is returned twice.
- :func:`ticket_holders` reads the ``sla.attributed`` events of a ticket: who held it, in
  order; the last one owns it now.
- :func:`find_dispute` reads the ``sla.dispute_filed`` / ``sla.dispute_ruled`` events
  (issue 11's contract) of a dispute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session

from ledger.tables import Breach, LedgerEvent, Penalty

__all__ = [
    "DisputeRecord",
    "Holding",
    "PenaltyFilter",
    "breaches_of_ticket",
    "find_dispute",
    "penalty_page",
    "ticket_holders",
]


@dataclass(frozen=True, slots=True)
class PenaltyFilter:
    """Which penalties a feed page holds; ``None`` means any."""

    period: str | None = None
    department: str | None = None
    assignee: str | None = None
    rule: str | None = None
    status: Literal["charged", "reversed"] | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """One ``sla.attributed``: ``department`` held the ticket from ``since``."""

    department: str
    since: datetime
    reason: str
    rule: str
    previous_department: str | None
    dispute_id: str | None
    event_id: str


@dataclass(frozen=True, slots=True)
class DisputeRecord:
    """A dispute as the stream recorded it; ``outcome`` is None while it is open."""

    dispute_id: str
    ticket: str
    department: str
    filed_by: str | None
    filed_at: datetime
    outcome: str | None


def penalty_page(engine: Engine, where: PenaltyFilter,
                 after: tuple[datetime, str] | None, limit: int) -> list[Penalty]:
    """Up to ``limit`` penalties matching ``where``, in ``(assessed_at, id)`` order,
    starting strictly after ``after`` (the last row of the previous page)."""
    stmt = select(Penalty)
    for column, value in ((Penalty.period, where.period),
                          (Penalty.department, where.department),
                          (Penalty.assignee, where.assignee), (Penalty.rule, where.rule)):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.status == "charged":
        stmt = stmt.where(Penalty.reversal_id.is_(None))
    elif where.status == "reversed":
        stmt = stmt.where(Penalty.reversal_id.is_not(None))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(Penalty.assessed_at > at,
                              and_(Penalty.assessed_at == at, Penalty.id > last_id)))
    stmt = stmt.order_by(Penalty.assessed_at, Penalty.id).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def breaches_of_ticket(engine: Engine, ticket: str) -> list[Breach]:
    """Every breach of ``ticket``, oldest first (detached rows)."""
    stmt = select(Breach).where(Breach.ticket == ticket).order_by(Breach.breached_at, Breach.id)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def ticket_holders(engine: Engine, ticket: str) -> list[Holding]:
    """The departments that held ``ticket``, in the order they got it (empty: unknown).

    Attributions at the same instant (a complaint assigned the moment it arrived) are put
    in the order their ``previous_department`` links say, not by id.
    """
    stmt = (select(LedgerEvent.id, LedgerEvent.time, LedgerEvent.payload)
            .where(LedgerEvent.subject == ticket, LedgerEvent.type == "sla.attributed")
            .order_by(LedgerEvent.time, LedgerEvent.id))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    holdings = []
    for event_id, time, payload in rows:
        data = json.loads(payload)["data"]
        holdings.append(Holding(data["department"], time, data["reason"], data["rule"],
                                data.get("previous_department"), data.get("dispute_id"),
                                event_id))
    return _in_chain_order(holdings)


def _in_chain_order(holdings: list[Holding]) -> list[Holding]:
    """``holdings`` (sorted by time) with each group of equal times ordered so that a
    holding comes after the one it took the ticket from."""
    ordered: list[Holding] = []
    start = 0
    while start < len(holdings):
        end = start
        while end < len(holdings) and holdings[end].since == holdings[start].since:
            end += 1
        group = holdings[start:end]
        while group:
            nxt = next((h for h in group
                        if not any(o.department == h.previous_department for o in group
                                   if o is not h)), group[0])
            ordered.append(nxt)
            group.remove(nxt)
        start = end
    return ordered


def _events_naming(engine: Engine, event_type: str, dispute_id: str) -> list[tuple[str, dict]]:
    """(subject, data) of the events of ``event_type`` whose ``data.dispute_id`` is
    ``dispute_id``; a LIKE on the canonical JSON narrows the rows, the parse decides."""
    needle = json.dumps({"dispute_id": dispute_id}, ensure_ascii=False,
                        separators=(",", ":"))[1:-1]
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    stmt = select(LedgerEvent.subject, LedgerEvent.payload).where(
        LedgerEvent.type == event_type, LedgerEvent.payload.like(pattern, escape="\\"))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    found = [(subject, json.loads(payload)["data"]) for subject, payload in rows]
    return [(subject, data) for subject, data in found if data.get("dispute_id") == dispute_id]


def find_dispute(engine: Engine, dispute_id: str) -> DisputeRecord | None:
    """The dispute ``dispute_id`` (the id of its ``attribution.disputed``) as the stream
    recorded it, ruled or not; ``None`` when the ledger has no ``sla.dispute_filed`` for it."""
    filed = _events_naming(engine, "sla.dispute_filed", dispute_id)
    if not filed:
        return None
    ticket, data = filed[0]
    ruled = _events_naming(engine, "sla.dispute_ruled", dispute_id)
    return DisputeRecord(dispute_id, ticket, data["department"], data.get("filed_by"),
                         datetime.fromisoformat(data["filed_at"]),
                         ruled[0][1]["outcome"] if ruled else None)
