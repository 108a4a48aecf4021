"""The payroll, as queries: a month's totals per department or per employee, every line
behind them, and the reconciliation of all months against the penalties.

The payroll is the ``ledger_lines`` of a month (:mod:`ledger.booking`): ``charged`` lines
count, ``reversed`` lines net to zero, ``adjustment`` lines carry signed corrections of
earlier, closed months. The functions return plain values (exact ``Decimal`` amounts, UTC
times); formatting them as a table, CSV or xlsx is the shell's job. Rows come back in a
fixed order, so the same lines always give the same report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Engine, case, func, select

from ledger.periods import parse_period
from ledger.tables import Breach, LedgerLine, Penalty, decimal_sum

__all__ = [
    "PayrollLine",
    "PayrollTotal",
    "net_penalties",
    "payroll_lines",
    "payroll_totals",
    "payroll_totals_all_periods",
]

GroupBy = Literal["department", "employee"]


@dataclass(frozen=True)
class PayrollTotal:
    """A month's lines of one department (and employee, per employee) in one currency.

    ``net_*`` is what to pay: penalties charged this month (reversed ones net to zero)
    plus adjustments of closed months. ``employee`` is ``None`` per department, and for the
    penalties charged to the department itself per employee.
    """

    department: str
    employee: str | None
    currency: str
    penalties: int
    reversed: int
    adjustments: int
    gross_fine: Decimal
    adjustment_fine: Decimal
    net_fine: Decimal
    gross_points: int
    adjustment_points: int
    net_points: int


@dataclass(frozen=True)
class PayrollLine:
    """One line of a month with the reason behind it: the penalty, its rule and trigger
    (the breach's metric, policy and due time, or the complaint), the reversal and dispute.

    ``fine``/``points`` are the line's own (signed for adjustments; what was charged for a
    reversed line); ``net_*`` is what it adds to the month (zero when reversed).
    """

    period: str
    status: str
    penalty_id: str
    ticket: str
    department: str
    employee: str | None
    currency: str
    rule: str
    trigger: str
    breach_id: str | None
    metric: str | None
    policy: str | None
    due_at: datetime | None
    base_fine: Decimal
    multiplier: Decimal
    capped_amount: Decimal
    fine: Decimal
    points: int
    net_fine: Decimal
    net_points: int
    original_period: str | None
    reversal_id: str | None
    dispute_id: str | None


def payroll_totals(engine: Engine, period: str,
                   by: GroupBy = "department") -> list[PayrollTotal]:
    """The lines of ``period`` summed per department (or department and employee) and
    currency, exactly, ordered by department, employee (the department's own row first)
    and currency."""
    parse_period(period)
    if by not in ("department", "employee"):
        raise ValueError(f"by must be 'department' or 'employee', not {by!r}")
    keys = [LedgerLine.department] + ([LedgerLine.employee] if by == "employee" else [])
    stmt = (select(*keys, LedgerLine.currency, *_sums())
            .where(LedgerLine.period == period)
            .group_by(*keys, LedgerLine.currency))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    totals = [_total(*row) if by == "employee" else _total(row[0], None, *row[1:])
              for row in rows]
    return sorted(totals, key=lambda t: (t.department, t.employee or "", t.currency))


def payroll_totals_all_periods(engine: Engine) -> dict[str, tuple[Decimal, int]]:
    """Net fine and points per currency over the lines of every month."""
    net = LedgerLine.status != "reversed"
    stmt = (select(LedgerLine.currency, decimal_sum(case((net, LedgerLine.fine))),
                   func.sum(case((net, LedgerLine.points), else_=0)))
            .group_by(LedgerLine.currency))
    with engine.connect() as conn:
        return {cur: (fine or Decimal(0), int(points or 0))
                for cur, fine, points in conn.execute(stmt)}


def net_penalties(engine: Engine) -> dict[str, tuple[Decimal, int]]:
    """Fine and points per currency of the penalties not reversed (whatever their month):
    what :func:`payroll_totals_all_periods` must equal."""
    live = Penalty.reversal_id.is_(None)
    stmt = (select(Penalty.currency, decimal_sum(case((live, Penalty.fine))),
                   func.sum(case((live, Penalty.points), else_=0)))
            .group_by(Penalty.currency))
    with engine.connect() as conn:
        return {cur: (fine or Decimal(0), int(points or 0))
                for cur, fine, points in conn.execute(stmt)}


def _sums() -> list:
    """count, reversed, adjustments, gross/adjustment/net fine, gross/adjustment/net points."""
    status = LedgerLine.status
    own = status.in_(("charged", "reversed"))
    adjustment, net = status == "adjustment", status != "reversed"
    return [
        func.count(case((own, 1))), func.count(case((status == "reversed", 1))),
        func.count(case((adjustment, 1))),
        decimal_sum(case((own, LedgerLine.fine))),
        decimal_sum(case((adjustment, LedgerLine.fine))),
        decimal_sum(case((net, LedgerLine.fine))),
        func.sum(case((own, LedgerLine.points), else_=0)),
        func.sum(case((adjustment, LedgerLine.points), else_=0)),
        func.sum(case((net, LedgerLine.points), else_=0)),
    ]


def _total(department: str, employee: str | None, currency: str, penalties: int,
           reversed_: int, adjustments: int, gross: Decimal | None, adjusted: Decimal | None,
           net: Decimal | None, gross_pts: int | None, adjusted_pts: int | None,
           net_pts: int | None) -> PayrollTotal:
    zero = Decimal(0)
    return PayrollTotal(department, employee, currency, penalties, reversed_, adjustments,
                        gross or zero, adjusted or zero, net or zero, int(gross_pts or 0),
                        int(adjusted_pts or 0), int(net_pts or 0))


def payroll_lines(engine: Engine, period: str) -> list[PayrollLine]:
    """Every line of ``period`` with its penalty and breach, ordered by department,
    employee (the department's own lines first), ticket, penalty and line."""
    parse_period(period)
    line = LedgerLine
    stmt = (
        select(line.period, line.status, line.penalty_id, line.ticket, line.department,
               line.employee, line.currency, line.rule, Penalty.trigger, Penalty.breach_id,
               Penalty.metric, Breach.policy, Breach.due_at, Penalty.base_fine,
               Penalty.multiplier, Penalty.capped_amount, line.fine, line.points,
               line.penalty_period, line.reversal_id, line.dispute_id, line.id)
        .join(Penalty, Penalty.id == line.penalty_id)
        .outerjoin(Breach, Breach.id == Penalty.breach_id)
        .where(line.period == period)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    rows.sort(key=lambda r: (r.department, r.employee or "", r.ticket, r.penalty_id, r.id))
    return [_line(row) for row in rows]


def _line(row) -> PayrollLine:
    counts = row.status != "reversed"
    return PayrollLine(
        period=row.period, status=row.status, penalty_id=row.penalty_id, ticket=row.ticket,
        department=row.department, employee=row.employee, currency=row.currency,
        rule=row.rule, trigger=row.trigger, breach_id=row.breach_id, metric=row.metric,
        policy=row.policy, due_at=row.due_at, base_fine=row.base_fine,
        multiplier=row.multiplier, capped_amount=row.capped_amount, fine=row.fine,
        points=row.points, net_fine=row.fine if counts else Decimal(0),
        net_points=row.points if counts else 0,
        original_period=row.penalty_period if row.status == "adjustment" else None,
        reversal_id=row.reversal_id, dispute_id=row.dispute_id)
