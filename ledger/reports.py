"""Reports on the ledger, as queries: penalty totals per penalty month (net of reversals,
whatever month they were booked in), what executives watch (breaches per department and
metric, clocks met and breached per department), one ticket's penalties and disputes, row
counts. The payroll, month by month as
booked, is :mod:`ledger.payroll`.

Each function reads through an engine of :func:`ledger.writer.create_ledger_engine` (a
:class:`~ledger.writer.Ledger` has one as ``ledger.engine``); readers never wait for the
writer (SQLite WAL, PostgreSQL MVCC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from ledger.periods import parse_period
from ledger.tables import Base, Breach, Dispute, LedgerEvent, Penalty, decimal_sum

__all__ = [
    "BreachCount",
    "OutcomeCount",
    "PenaltyTotal",
    "breach_counts",
    "clock_outcomes",
    "disputes_for",
    "penalties_for",
    "penalty_totals",
    "table_counts",
]

@dataclass(frozen=True)
class PenaltyTotal:
    """Penalties of one department (or assignee) in one period and currency.

    ``net_*`` are what HR charges: reversed penalties count in ``gross_*`` only.
    """

    key: str | None
    currency: str
    penalties: int
    reversed: int
    gross_fine: Decimal
    net_fine: Decimal
    gross_points: int
    net_points: int


@dataclass(frozen=True)
class BreachCount:
    """Breaches of one department on one metric, and how many tickets they concern."""

    department: str
    metric: str
    breaches: int
    tickets: int


def penalty_totals(engine: Engine, period: str,
                   by: Literal["department", "assignee"] = "department") -> list[PenaltyTotal]:
    """Penalties of ``period`` (YYYY-MM) per department or per assignee, and currency.

    Fines are summed exactly (Decimal) on both backends. Penalties without an assignee
    form the ``key=None`` row when ``by="assignee"``, so totals always reconcile.
    """
    parse_period(period)  # PeriodError, a ValueError, for anything but a month
    if by not in ("department", "assignee"):
        raise ValueError(f"by must be 'department' or 'assignee', not {by!r}")
    key = Penalty.department if by == "department" else Penalty.assignee
    live = Penalty.reversal_id.is_(None)
    stmt = (
        select(key, Penalty.currency, func.count(), func.count(Penalty.reversal_id),
               decimal_sum(Penalty.fine), decimal_sum(case((live, Penalty.fine))),
               func.sum(Penalty.points), func.sum(case((live, Penalty.points), else_=0)))
        .where(Penalty.period == period)
        .group_by(key, Penalty.currency)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    totals = [PenaltyTotal(k, cur, n, rev, gross or Decimal(0), net or Decimal(0),
                           int(gross_pts or 0), int(net_pts or 0))
              for k, cur, n, rev, gross, net, gross_pts, net_pts in rows]
    return sorted(totals, key=lambda t: (t.key is None, t.key or "", t.currency))


def breach_counts(engine: Engine, since: datetime | None = None,
                  until: datetime | None = None) -> list[BreachCount]:
    """Breaches with ``since <= breached_at < until`` per department and metric
    (either bound may be omitted). Bounds must carry a UTC offset."""
    stmt = select(Breach.department, Breach.metric, func.count(),
                  func.count(Breach.ticket.distinct()))
    if since is not None:
        stmt = stmt.where(Breach.breached_at >= since)
    if until is not None:
        stmt = stmt.where(Breach.breached_at < until)
    stmt = stmt.group_by(Breach.department, Breach.metric)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return sorted((BreachCount(*row) for row in rows),
                  key=lambda b: (b.department, b.metric))


@dataclass(frozen=True)
class OutcomeCount:
    """Clocks of one department that ended met or breached in a window.

    A clock ends exactly once (met, breached or cancelled), so ``met / (met + breached)``
    is the department's attainment; cancelled clocks (transfers, cancellations) count in
    neither.
    """

    department: str
    met: int
    breached: int

    @property
    def attainment(self) -> float | None:
        """The share of ended clocks that were met (None: none ended)."""
        ended = self.met + self.breached
        return self.met / ended if ended else None


def clock_outcomes(engine: Engine, since: datetime, until: datetime) -> list[OutcomeCount]:
    """Per department, the ``sla.met`` and ``sla.breached`` whose event time (when the
    clock stopped in time, or ran out) is in ``[since, until)``; bounds carry an offset."""
    met = LedgerEvent.type == "sla.met"
    stmt = (select(LedgerEvent.department, func.sum(case((met, 1), else_=0)),
                   func.sum(case((met, 0), else_=1)))
            .where(LedgerEvent.type.in_(("sla.met", "sla.breached")),
                   LedgerEvent.time >= since, LedgerEvent.time < until)
            .group_by(LedgerEvent.department))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return sorted((OutcomeCount(department, int(n_met), int(n_breached))
                   for department, n_met, n_breached in rows if department is not None),
                  key=lambda count: count.department)


def penalties_for(engine: Engine, ticket: str) -> list[Penalty]:
    """Every penalty of ``ticket``, reversed or not, oldest first (detached rows)."""
    stmt = select(Penalty).where(Penalty.ticket == ticket)
    with Session(engine) as session:
        penalties = list(session.scalars(stmt))
    return sorted(penalties, key=lambda p: (p.assessed_at, p.id))


def disputes_for(engine: Engine, ticket: str | None = None) -> list[Dispute]:
    """The disputes (of ``ticket``, if given), by filing time then id (detached rows)."""
    stmt = select(Dispute)
    if ticket is not None:
        stmt = stmt.where(Dispute.ticket == ticket)
    with Session(engine) as session:
        disputes = list(session.scalars(stmt))
    return sorted(disputes, key=lambda d: (d.filed_at is None, d.filed_at or d.ruled_at,
                                           d.dispute_id))


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per ledger table: a quick health check for operators and tests."""
    with engine.connect() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables}
