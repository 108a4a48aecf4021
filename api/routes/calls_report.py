"""``GET /api/v1/reports/calls?change=2026-11-01&window=30d``: the calls policy judged
before and after a change, as ``sla-police report calls`` prints it (both call
:func:`api.calls_report.calls_change`). For the contact center, its lead and executives.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from api.auth import CALLS_READERS, allow
from api.block_commands import calls_policy
from api.calls_report import WINDOW_PATTERN, calls_change, parse_window, report_body
from api.principals import Principal
from api.routes._common import AUTH_ERRORS, NOT_FOUND, engine_of, invalid, settings_of
from api.schemas_calls import CallsReport
from api.settings import ApiSettings

__all__ = ["router"]

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/calls", response_model=CallsReport, responses={**AUTH_ERRORS, **NOT_FOUND},
            summary="Calls before and after a policy change: CSAT, agent share of hang-ups, "
                    "minutes released, QA compliance, blocked callers who complained")
def calls_report(
    change: date = Query(..., description="the day the policy changed, e.g. 2026-11-01"),
    window: str = Query("30d", pattern=WINDOW_PATTERN,
                        description="days before and after, e.g. 30d (at most 366d)"),
    _who: Principal = Depends(allow(*CALLS_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> CallsReport:
    spec = calls_policy(settings)
    try:
        span = parse_window(window)
    except ValueError as exc:
        raise invalid(("query", "window"), str(exc)) from None
    if not date(1900, 1, 1) <= change <= date(2999, 12, 31):
        raise invalid(("query", "change"), "expected a date from 1900 to 2999")
    return report_body(calls_change(engine, spec, change, span))
