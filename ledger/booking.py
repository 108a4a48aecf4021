"""Booking penalties and reversals as payroll lines, so a closed month never changes.

The payroll's unit is a line of ``ledger_lines``, booked when the ledger records the event
(in the writer's transaction, which a close also takes: every event is booked against the
months closed at the moment it is recorded):

- a ``penalty.assessed`` of an open month is a ``charged`` line in that month;
- a ``penalty.reversed`` of a penalty whose ``charged`` line is in an open month marks that
  line ``reversed``: it nets to zero there;
- any other correction, namely a late ``penalty.assessed`` for a closed month, or a reversal
  of a penalty whose month is closed or that was itself booked as an adjustment, is an
  ``adjustment`` line (signed fine and points, referencing the penalty and its month) in the
  first open month at or after the later of the penalty's month and the correction's own
  month (for a reversal: the month of ``reversed_at`` in the policy's time zone).

Nothing else ever changes a line, so a closed month's lines, and its report, stay as they
were; the lines of all months always add up to the penalties net of reversals. A line's id is
the id of the event that booked it, so recording an event again books nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from ledger.periods import first_open, period_of
from ledger.tables import LedgerLine

__all__ = ["AppliedReversal", "book_assessments", "book_reversals"]

_CHUNK = 1000


@dataclass(frozen=True)
class AppliedReversal:
    """A reversal that has just reached its penalty: both sides, as the booking needs them."""

    penalty_id: str
    penalty_period: str
    ticket: str
    department: str
    employee: str | None
    rule: str
    currency: str
    fine: Decimal
    points: int
    reversal_id: str
    reversed_at: datetime
    dispute_id: str | None


def _line(*, line_id: str, period: str, status: str, penalty_period: str, booked_at: datetime,
          **fields: Any) -> dict[str, Any]:
    return {"id": line_id, "period": period, "status": status,
            "penalty_period": penalty_period, "booked_at": booked_at,
            "reversal_id": None, "dispute_id": None, **fields}


def book_assessments(conn: Connection, insert: Callable[..., Any], penalties: Sequence[Any],
                     closed: Collection[str], booked_at: datetime) -> int:
    """Book newly recorded ``penalty.assessed`` events; return how many were adjustments."""
    rows = []
    for event in penalties:
        data = event.data
        late = data.period in closed
        rows.append(_line(
            line_id=event.id, period=first_open(data.period, closed),
            status="adjustment" if late else "charged", penalty_period=data.period,
            booked_at=booked_at, penalty_id=event.id, ticket=event.subject,
            department=data.department,
            employee=data.assignee if data.charged_to == "assignee" else None,
            rule=data.rule, currency=data.currency, fine=data.fine, points=data.points))
    if rows:
        conn.execute(insert(LedgerLine).on_conflict_do_nothing(), rows)
    return sum(row["status"] == "adjustment" for row in rows)


def book_reversals(conn: Connection, insert: Callable[..., Any],
                   applied: Sequence[AppliedReversal], closed: Collection[str], zone: tzinfo,
                   booked_at: datetime) -> int:
    """Book reversals that have just reached their penalties; return how many became
    adjustment lines (the others mark a charged line of an open month reversed)."""
    charged = _charged_lines(conn, [item.penalty_id for item in applied])
    in_place, adjustments = [], []
    for item in applied:
        period = charged.get(item.penalty_id)
        if period is not None and period not in closed:
            in_place.append({"line": item.penalty_id, "rev": item.reversal_id,
                             "dispute": item.dispute_id})
            continue
        own = period_of(item.reversed_at, zone)
        adjustments.append(_line(
            line_id=item.reversal_id,
            period=first_open(max(item.penalty_period, own), closed), status="adjustment",
            penalty_period=item.penalty_period, booked_at=booked_at,
            penalty_id=item.penalty_id, ticket=item.ticket, department=item.department,
            employee=item.employee, rule=item.rule, currency=item.currency, fine=-item.fine,
            points=-item.points) | {"reversal_id": item.reversal_id,
                                    "dispute_id": item.dispute_id})
    if in_place:
        table = LedgerLine.__table__
        conn.execute(update(table)
                     .where(table.c.id == bindparam("line"), table.c.status == "charged")
                     .values(status="reversed", reversal_id=bindparam("rev"),
                             dispute_id=bindparam("dispute")), in_place)
    if adjustments:
        conn.execute(insert(LedgerLine).on_conflict_do_nothing(), adjustments)
    return len(adjustments)


def _charged_lines(conn: Connection, penalty_ids: list[str]) -> dict[str, str]:
    """penalty id -> month of its ``charged`` line, for those of ``penalty_ids`` that have one."""
    found: dict[str, str] = {}
    for start in range(0, len(penalty_ids), _CHUNK):
        chunk = penalty_ids[start:start + _CHUNK]
        stmt = select(LedgerLine.id, LedgerLine.period).where(
            LedgerLine.id.in_(chunk), LedgerLine.status == "charged")
        found.update((line_id, period) for line_id, period in conn.execute(stmt))
    return found
