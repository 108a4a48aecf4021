"""The QA queue of calls (issue 15, "QA sampling"): ``GET /api/v1/qa-items`` (the weekly
sample of agents' hang-ups and every norm breach, oldest call first), an inspector's verdict
``POST /api/v1/qa-items/{qa_id}/verdict`` (published as ``qa.reviewed`` on the ``calls``
topic keyed by the item's caller, :mod:`api.qa_commands`) and QA compliance per agent and
team ``GET /api/v1/reports/qa`` (as ``sla-police report qa``).

Inspectors are the ``auditor`` role: only they give verdicts. The contact center and its
lead read the queue; executives read the report too.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy import Engine

from api import qa_commands
from api.auth import QA_READERS, QA_REPORT_READERS, allow
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    PLAIN_TEXT,
    engine_of,
    invalid,
    keyset_page,
    settings_of,
)
from api.schemas import ErrorBody
from api.schemas_qa import (
    WEEK_PATTERN,
    QaPage,
    QaReport,
    QaVerdictPublished,
    QaVerdictRequest,
)
from api.settings import ApiSettings
from ledger.qa import QaFilter, qa_page

__all__ = ["queue_router", "reports_router"]

queue_router = APIRouter(prefix="/qa-items", tags=["qa"])
reports_router = APIRouter(prefix="/reports", tags=["reports"])
_CONFLICT = {409: {"model": ErrorBody, "description": "the item has a verdict already"}}
_QA_ID = Path(..., min_length=1, max_length=200, pattern=PLAIN_TEXT,
              description="qa_id of the item (from the queue)")
_NAME = {"min_length": 1, "max_length": 100, "pattern": PLAIN_TEXT}


@queue_router.get("", response_model=QaPage, responses=AUTH_ERRORS,
                  summary="The QA queue of calls, oldest call first, by cursor pages")
def list_qa_items(
    status_: Literal["open", "reviewed"] | None = Query(
        None, alias="status", description="open: no verdict yet; reviewed: with its verdict"),
    agent: str | None = Query(None, **_NAME, description="the agent's employee id"),
    team: str | None = Query(None, **_NAME),
    week: str | None = Query(None, pattern=WEEK_PATTERN,
                             description="the agent's ISO week, e.g. 2026-W47"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=1000,
                               description="next_cursor of the previous page"),
    _who: Principal = Depends(allow(*QA_READERS)),
    engine: Engine = Depends(engine_of),
) -> QaPage:
    where = QaFilter(status_, agent, team, week)
    page, next_cursor = keyset_page(
        cursor, lambda after, n: qa_page(engine, where, after, n), limit,
        lambda row: (row.ended_at, row.qa_id))
    return QaPage(items=[qa_commands.qa_item(row) for row in page], next_cursor=next_cursor)


@queue_router.post("/{qa_id}/verdict", status_code=status.HTTP_202_ACCEPTED,
                   response_model=QaVerdictPublished, responses={**COMMAND_ERRORS, **_CONFLICT},
                   summary="Give a QA item its verdict (publishes qa.reviewed)")
async def give_qa_verdict(
    body: QaVerdictRequest,
    qa_id: str = _QA_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.AUDITOR)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> QaVerdictPublished:
    event, item = await qa_commands.qa_verdict(engine, settings, principal, qa_id,
                                               body.verdict, body.note, idempotency_key)
    return QaVerdictPublished(verdict_id=event.id, qa_id=qa_id, call_id=item.call_id,
                              caller=event.subject, verdict=body.verdict,
                              inspector=principal.name, reviewed_at=event.time)


@reports_router.get("/qa", response_model=QaReport, responses=AUTH_ERRORS,
                    summary="QA compliance per agent and team: reviewed, compliant, share, "
                            "open")
def qa_report(
    first: date = Query(..., alias="from", description="first day, e.g. 2026-11-01"),
    last: date = Query(..., alias="to", description="last day (included), e.g. 2026-11-30"),
    _who: Principal = Depends(allow(*QA_REPORT_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> QaReport:
    wrong = qa_commands.check_span(first, last)
    if wrong is not None:
        raise invalid(("query", "to"), wrong)
    zone = qa_commands.qa_timezone(settings.calls, settings.timezone)
    return qa_commands.qa_report(engine, zone, first, last)
