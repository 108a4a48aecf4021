"""Read queries for the HTTP API: the penalty feed by pages, a ticket's holders and
breaches, and the disputes the stream has recorded.

Everything here only reads the tables of :mod:`ledger.tables`; like :mod:`ledger.reports`
each function takes an engine and returns plain frozen values or detached rows.

- :func:`penalty_page` is keyset-paginated on ``(assessed_at, id)``: a page starts strictly
  after the last row of the previous one, so rows inserted meanwhile never shift a page
  and no row is returned twice. The whole feed, a month's and a month's of one department
  are read from indexes in that order (revisions 0003 and 0005): a page, however deep,
  costs about its own rows.
- :func:`latest_penalties` and :func:`latest_breaches` are the newest rows, for the
  status page.
- :func:`ticket_holders` reads the ``sla.attributed`` events of a ticket: who held it, in
  order; the last one owns it now.
- :func:`find_dispute`, :func:`dispute_page` and :func:`reversals_of_dispute` read the
  ``disputes`` table (filings and rulings merged, :mod:`ledger.disputes`) and the
  reversals a dispute caused; the queue is keyset-paginated on ``(filed_at, dispute_id)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from ledger.tables import Breach, Dispute, LedgerEvent, Penalty, Reversal

__all__ = [
    "DisputeFilter",
    "Holding",
    "PenaltyFilter",
    "breaches_of_ticket",
    "dispute_page",
    "dispute_sort_time",
    "find_dispute",
    "latest_breaches",
    "latest_penalties",
    "in_chain_order",
    "penalty_page",
    "reversals_of_dispute",
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
class DisputeFilter:
    """Which disputes a queue page holds: ``open`` (not ruled) or ``ruled``, and those a
    department filed or that an upheld ruling moved to it; ``None`` means any."""

    status: Literal["open", "ruled"] | None = None
    department: str | None = None


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
    if after is not None:  # a row value: an index range on (..., assessed_at, id), where
        # the equivalent ``a > x OR (a = x AND id > y)`` made SQLite scan the index from
        # its start (80 ms a page 600,000 rows in; bench/bench_api.py)
        key = (Penalty.assessed_at, Penalty.id)  # typed: the time binds as stored UTC text
        stmt = stmt.where(tuple_(*key) > tuple_(*after, types=[c.type for c in key]))
    stmt = stmt.order_by(Penalty.assessed_at, Penalty.id).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def latest_penalties(engine: Engine, department: str | None, limit: int,
                     at: datetime | None = None) -> list[Penalty]:
    """The ``limit`` newest penalties (of ``department``, if given; assessed at or before
    ``at``, if given), newest first: the feed's ``(assessed_at, id)`` order reversed, on
    the same index."""
    stmt = select(Penalty)
    if department is not None:
        stmt = stmt.where(Penalty.department == department)
    if at is not None:
        stmt = stmt.where(Penalty.assessed_at <= at)
    stmt = stmt.order_by(Penalty.assessed_at.desc(), Penalty.id.desc()).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def latest_breaches(engine: Engine, department: str | None, limit: int,
                    at: datetime | None = None) -> list[Breach]:
    """The ``limit`` newest breaches (of ``department``, if given; at or before ``at``, if
    given), newest first."""
    stmt = select(Breach)
    if department is not None:
        stmt = stmt.where(Breach.department == department)
    if at is not None:
        stmt = stmt.where(Breach.breached_at <= at)
    stmt = stmt.order_by(Breach.breached_at.desc(), Breach.id.desc()).limit(limit)
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
    return in_chain_order(holdings)


def in_chain_order(holdings: list[Holding]) -> list[Holding]:
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


def find_dispute(engine: Engine, dispute_id: str) -> Dispute | None:
    """The dispute ``dispute_id`` (the id of its ``attribution.disputed``) from the
    ``disputes`` table, ruled or not (a detached row); ``None`` when the ledger has neither
    its filing nor its ruling."""
    with Session(engine) as session:
        return session.get(Dispute, dispute_id)


def dispute_page(engine: Engine, where: DisputeFilter,
                 after: tuple[datetime, str] | None, limit: int) -> list[Dispute]:
    """Up to ``limit`` disputes matching ``where``, oldest filing first (``(filed_at,
    dispute_id)`` order), starting strictly after ``after`` (the previous page's last).

    A dispute whose ruling reached the ledger before its filing has no ``filed_at`` yet
    unless the ruling carried it: it sorts at its ``ruled_at`` (:func:`dispute_sort_time`).
    """
    filed = func.coalesce(Dispute.filed_at, Dispute.ruled_at, type_=Dispute.filed_at.type)
    stmt = select(Dispute)
    if where.status == "open":
        stmt = stmt.where(Dispute.outcome.is_(None))
    elif where.status == "ruled":
        stmt = stmt.where(Dispute.outcome.is_not(None))
    if where.department is not None:
        stmt = stmt.where(or_(Dispute.department == where.department,
                              Dispute.to_department == where.department))
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(filed > at, and_(filed == at, Dispute.dispute_id > last_id)))
    stmt = stmt.order_by(filed, Dispute.dispute_id).limit(limit)
    with Session(engine) as session:
        return list(session.scalars(stmt))


def dispute_sort_time(dispute: Dispute) -> datetime:
    """Where ``dispute`` sorts in the queue: its filing time, else its ruling time."""
    moment = dispute.filed_at or dispute.ruled_at
    assert moment is not None, "a dispute row comes from a filing or a ruling"
    return moment


def reversals_of_dispute(engine: Engine, dispute_id: str) -> list[Reversal]:
    """The ``penalty.reversed`` rows an upheld dispute caused, oldest first (detached)."""
    stmt = (select(Reversal).where(Reversal.dispute_id == dispute_id)
            .order_by(Reversal.reversed_at, Reversal.id))
    with Session(engine) as session:
        return list(session.scalars(stmt))
