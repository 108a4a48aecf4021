"""``GET /api/v1/penalties``: the penalty feed, oldest first, by cursor pages.

Each page holds ``next_cursor`` while more rows match; keyset pagination on
``(assessed_at, id)``, so rows recorded meanwhile never shift a page or repeat a row.
A department principal sees its own department only.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from api.auth import READERS, allow, scoped_department
from api.principals import Principal
from api.routes._common import (
    AUTH_ERRORS,
    PERIOD_PATTERN,
    PLAIN_TEXT,
    check_department,
    engine_of,
    keyset_page,
    penalty_item,
    settings_of,
)
from api.schemas import DEPARTMENT_PATTERN, PenaltyPage
from api.settings import ApiSettings
from ledger.queries import PenaltyFilter, penalty_page

__all__ = ["router"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

router = APIRouter(tags=["penalties"])


@router.get("/penalties", response_model=PenaltyPage, responses=AUTH_ERRORS,
            summary="The penalty feed, oldest first, by cursor pages")
def list_penalties(
    period: str | None = Query(None, pattern=PERIOD_PATTERN, description="month, 2026-11"),
    department: str | None = Query(None, max_length=64, pattern=DEPARTMENT_PATTERN),
    employee: str | None = Query(None, max_length=100, pattern=PLAIN_TEXT,
                                 description="the assignee the penalty names"),
    rule: str | None = Query(None, max_length=200, pattern=PLAIN_TEXT),
    status: Literal["charged", "reversed"] | None = Query(
        None, description="charged: still due; reversed: cancelled by a reversal"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=1000,
                               description="next_cursor of the previous page"),
    principal: Principal = Depends(allow(*READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> PenaltyPage:
    department = scoped_department(principal, department)
    check_department(settings, department)
    where = PenaltyFilter(period, department, employee, rule, status)
    page, next_cursor = keyset_page(
        cursor, lambda after, n: penalty_page(engine, where, after, n), limit,
        lambda row: (row.assessed_at, row.id))
    return PenaltyPage(items=[penalty_item(row) for row in page], next_cursor=next_cursor)
