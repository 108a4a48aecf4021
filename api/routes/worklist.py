"""``GET /api/v1/worklist``: a department's open clocks, closest to breach first.

The ledger keeps each ticket's open clocks from the stream's ``sla.clocks_changed``
snapshots (:mod:`ledger.worklist`); this route adds the time passed since: working seconds
left on the clock's own calendar at the request's now, exactly as the engine counts them.
A department principal sees its own department only; executives and the contact center
choose one or see every department. HR has no use for it (it is operational, not pay).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from api.auth import WORKLIST_READERS, allow, scoped_department
from api.principals import Principal
from api.routes._common import AUTH_ERRORS, PLAIN_TEXT, check_department, engine_of, settings_of
from api.schemas import DEPARTMENT_PATTERN, WorklistItem, WorklistPage
from api.settings import ApiSettings
from ledger.worklist import WorklistFilter, WorklistRow, worklist
from sla.clocks import BusinessTime

__all__ = ["router", "seconds_left"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

router = APIRouter(tags=["worklist"])


def seconds_left(row: WorklistRow, calendar: BusinessTime, now: datetime) -> int:
    """Working seconds before ``row`` breaches at ``now`` (negative: past it). A paused
    clock keeps what it had; a running one loses the working time since its snapshot."""
    if not row.running or row.due_at is None:
        return row.remaining_seconds
    if now <= row.due_at:
        return calendar.working_seconds(now, row.due_at)
    return -calendar.working_seconds(row.due_at, now)


def _reached(instant: datetime | None, now: datetime) -> bool:
    return instant is not None and instant <= now


def _item(row: WorklistRow, settings: ApiSettings, now: datetime) -> WorklistItem:
    return WorklistItem(
        ticket=row.ticket, department=row.department, metric=row.metric,  # type: ignore[arg-type]
        cycle=row.cycle, policy=row.policy, state="running" if row.running else "paused",
        seconds_left=seconds_left(row, settings.calendars[row.calendar], now),
        target=row.target, target_seconds=row.target_seconds, due_at=row.due_at,
        warned=_reached(row.warn_from, now), breached=_reached(row.breach_from, now),
        assignee=row.assignee, ticket_status=row.status,  # type: ignore[arg-type]
        disputed=row.disputed, priority=row.priority, category=row.category,
        started_at=row.started_at, changed_at=row.changed_at)


@router.get("/worklist", response_model=WorklistPage, responses=AUTH_ERRORS,
            summary="Open clocks closest to breach first, with working time left")
def read_worklist(
    department: str | None = Query(None, max_length=64, pattern=DEPARTMENT_PATTERN,
                                   description="a department role sees its own only"),
    metric: str | None = Query(None, pattern=r"^(acknowledge|resolve)$"),
    policy: str | None = Query(None, max_length=200, pattern=PLAIN_TEXT),
    assignee: str | None = Query(None, max_length=100, pattern=PLAIN_TEXT),
    warned: bool | None = Query(None, description="only clocks past (true) or before "
                                                   "(false) their first warning"),
    breached: bool | None = Query(None, description="only clocks past (true) or before "
                                                    "(false) their target"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=1_000_000),
    principal: Principal = Depends(allow(*WORKLIST_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> WorklistPage:
    department = scoped_department(principal, department)
    check_department(settings, department)
    now = settings.clock()
    spec = WorklistFilter(department, metric, policy, assignee, warned, breached)
    rows, total = worklist(engine, spec, now=now, limit=limit, offset=offset)
    following = offset + len(rows)
    return WorklistPage(items=[_item(row, settings, now) for row in rows], total=total,
                        next_offset=following if following < total else None, as_of=now)
