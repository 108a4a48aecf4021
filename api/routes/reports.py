"""``GET /api/v1/reports/penalties``, ``/reports/breaches`` and ``/reports/scorecard``: per
department, one month.

The month is the policy's (its timezone). Penalties are the month's booked payroll lines
(:mod:`ledger.payroll`, as ``sla-police ledger report``): penalties of the month, reversed
ones netting to zero, and adjustments of closed months booked in it, so a closed month's
report never changes and the API and the CLI agree. Breaches count by ``breached_at``
inside the month. The scorecard is :mod:`ledger.scorecard`'s. A department principal gets
its own row(s) only (on the scorecard: with its rank among all departments).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from api.auth import READERS, allow, scoped_department
from api.principals import Principal, Role
from api.routes._common import AUTH_ERRORS, PERIOD_PATTERN, check_department, engine_of, settings_of
from api.schemas import (
    DEPARTMENT_PATTERN,
    BreachReport,
    BreachReportRow,
    PenaltyReport,
    PenaltyReportRow,
    Scorecard,
    ScorecardFigures,
    ScorecardRow,
)
from api.settings import ApiSettings
from ledger import breach_counts, payroll_totals
from ledger.periods import closed_periods, period_end
from ledger.scorecard import scorecard

__all__ = ["month_bounds", "router"]

router = APIRouter(prefix="/reports", tags=["reports"])
_PERIOD = Query(..., pattern=PERIOD_PATTERN, description="month, e.g. 2026-11")
_DEPARTMENT = Query(None, max_length=64, pattern=DEPARTMENT_PATTERN,
                    description="one department (default: all the principal may see)")


def month_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """[start of ``period``, start of the next month) in ``timezone``."""
    year, month = map(int, period.split("-"))
    zone = ZoneInfo(timezone)
    return datetime(year, month, 1, tzinfo=zone), period_end(period, zone)


@router.get("/penalties", response_model=PenaltyReport, responses=AUTH_ERRORS,
            summary="The month's payroll per department and currency (as `ledger report`)")
def penalty_report(
    period: str = _PERIOD,
    department: str | None = _DEPARTMENT,
    principal: Principal = Depends(allow(*READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> PenaltyReport:
    department = scoped_department(principal, department)
    check_department(settings, department)
    rows = [PenaltyReportRow(department=t.department, currency=t.currency,
                             penalties=t.penalties, reversed=t.reversed,
                             adjustments=t.adjustments, gross_fine=t.gross_fine,
                             adjustment_fine=t.adjustment_fine, net_fine=t.net_fine,
                             gross_points=t.gross_points,
                             adjustment_points=t.adjustment_points, net_points=t.net_points)
            for t in payroll_totals(engine, period, "department")
            if department is None or t.department == department]
    with engine.connect() as conn:
        closed = period in closed_periods(conn)
    return PenaltyReport(period=period, status="closed" if closed else "open", rows=rows)


@router.get("/breaches", response_model=BreachReport, responses=AUTH_ERRORS,
            summary="Breaches per department and metric in a month")
def breach_report(
    period: str = _PERIOD,
    department: str | None = _DEPARTMENT,
    principal: Principal = Depends(allow(*READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> BreachReport:
    department = scoped_department(principal, department)
    check_department(settings, department)
    since, until = month_bounds(period, settings.timezone)
    rows = [BreachReportRow(department=b.department, metric=b.metric, breaches=b.breaches,
                            tickets=b.tickets)
            for b in breach_counts(engine, since, until)
            if department is None or b.department == department]
    return BreachReport(period=period, since=since, until=until, rows=rows)


@router.get("/scorecard", response_model=Scorecard, responses=AUTH_ERRORS,
            summary="The monthly department scorecard, with the change from the month before")
def scorecard_report(
    month: str = Query(..., pattern=PERIOD_PATTERN, description="month, e.g. 2026-11"),
    principal: Principal = Depends(allow(*READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> Scorecard:
    """Every department's row for HR, executives and the contact center; a department
    principal gets its own row, its rank among all departments included."""
    card = scorecard(engine, month, zone=ZoneInfo(settings.timezone),
                     currency=settings.currency, departments=settings.departments,
                     as_of=settings.clock())
    rows = [row for row in card.rows
            if principal.role is not Role.DEPARTMENT or row.department == principal.department]
    return Scorecard(
        month=card.period, previous=card.previous, currency=card.currency,
        ranked=sum(row["rank"] is not None for row in card.rows),
        rows=[ScorecardRow(department=row.department, volume_unit=row.volume_unit,
                           values=ScorecardFigures(**row.values),
                           change=ScorecardFigures(**row.change)) for row in rows])
