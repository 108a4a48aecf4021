"""The dispute queue and rulings: ``GET /api/v1/disputes``, ``GET /api/v1/disputes/{id}``
and ``POST /api/v1/disputes/{dispute_id}/ruling``.

Disputes are read from the ledger's ``disputes`` table, where the stream's
``sla.dispute_filed`` and ``sla.dispute_ruled`` (issue 11's contract) are merged with the
reversals an upheld ruling caused. The contact center and executives see every dispute; a
department sees those it filed and those an upheld ruling moved to it (both sides of the
outcome). An open dispute past the policy's ruling deadline (``disputes``) is overdue.

A ruling needs the dispute in the ledger: that gives its ticket (the ruling's subject) and
the disputing department. Unknown (yet): 404; already ruled: 409. The ruling is published
as ``dispute.ruled``.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy import Engine

from api import commands
from api.auth import CONTACT_CENTER, DISPUTE_READERS, allow, forbidden, scoped_department
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    NOT_FOUND,
    check_department,
    dispute_item,
    engine_of,
    keyset_page,
    reversal_item,
    settings_of,
)
from api.schemas import (
    DEPARTMENT_PATTERN,
    DisputePage,
    DisputeView,
    ErrorBody,
    Holding,
    RulingPublished,
    RulingRequest,
)
from api.settings import ApiSettings
from ledger.queries import (
    DisputeFilter,
    dispute_page,
    dispute_sort_time,
    find_dispute,
    reversals_of_dispute,
    ticket_holders,
)

__all__ = ["router"]

router = APIRouter(prefix="/disputes", tags=["disputes"])
_CONFLICT = {409: {"model": ErrorBody, "description": "the dispute was already ruled"}}
_DISPUTE_ID = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                   description="dispute_id returned when it was filed")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@router.get("", response_model=DisputePage, responses=AUTH_ERRORS,
            summary="The dispute queue, oldest filing first, by cursor pages")
def list_disputes(
    status_: Literal["open", "ruled"] | None = Query(
        None, alias="status", description="open: not ruled yet; ruled: upheld or rejected"),
    department: str | None = Query(
        None, max_length=64, pattern=DEPARTMENT_PATTERN,
        description="disputes this department filed or that an upheld ruling moved to it"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=1000,
                               description="next_cursor of the previous page"),
    principal: Principal = Depends(allow(*DISPUTE_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> DisputePage:
    department = scoped_department(principal, department)
    check_department(settings, department)
    where = DisputeFilter(status_, department)
    page, next_cursor = keyset_page(
        cursor, lambda after, n: dispute_page(engine, where, after, n), limit,
        lambda row: (dispute_sort_time(row), row.dispute_id))
    now = settings.clock()
    return DisputePage(items=[dispute_item(row, settings, now) for row in page],
                       next_cursor=next_cursor)


@router.get("/{dispute_id}", response_model=DisputeView,
            responses={**AUTH_ERRORS, **NOT_FOUND},
            summary="A dispute: its filing, ruling, the ticket's holders and the reversals")
def read_dispute(
    dispute_id: str = _DISPUTE_ID,
    principal: Principal = Depends(allow(*DISPUTE_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> DisputeView:
    dispute = find_dispute(engine, dispute_id)
    if dispute is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"dispute {dispute_id} is not in the "
                            "ledger (the stream records a dispute shortly after it is filed)")
    own = principal.department if principal.role is Role.DEPARTMENT else None
    if own is not None and own not in (dispute.department, dispute.to_department):
        raise forbidden(f"department {own} neither filed dispute {dispute_id} nor got "
                        "its ticket")
    item = dispute_item(dispute, settings, settings.clock())
    holders = [Holding(department=h.department, since=h.since, reason=h.reason,
                       dispute_id=h.dispute_id) for h in ticket_holders(engine, dispute.ticket)]
    reversed_penalties = [reversal_item(r) for r in reversals_of_dispute(engine, dispute_id)]
    return DisputeView(**item.model_dump(), holders=holders,
                       reversed_penalties=reversed_penalties)


@router.post("/{dispute_id}/ruling", status_code=status.HTTP_202_ACCEPTED,
             response_model=RulingPublished,
             responses={**COMMAND_ERRORS, **_CONFLICT},
             summary="Rule on a dispute (publishes dispute.ruled)")
async def rule_dispute(
    body: RulingRequest,
    dispute_id: str = _DISPUTE_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(*CONTACT_CENTER)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> RulingPublished:
    event, dispute = await commands.rule_dispute(
        engine, settings, principal, dispute_id, body.outcome, body.to_department,
        body.reason, idempotency_key)
    return RulingPublished(ruling_id=event.id, dispute_id=dispute_id, ticket=dispute.ticket,
                           outcome=body.outcome, to_department=body.to_department,
                           ruled_by=principal.name, ruled_at=event.time)
