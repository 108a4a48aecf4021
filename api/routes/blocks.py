"""Caller blocks (issue 15): the IVR's ``GET /api/v1/callers/{caller}/block`` and the
contact center's ``GET /api/v1/blocks``, ``GET /api/v1/block-requests`` (waiting for a
decision), ``POST /api/v1/blocks`` (request),
``POST /api/v1/blocks/{request_id}/decision`` and ``POST /api/v1/blocks/{block_id}/lift``
(the lead's).

The lookup is one primary-key read of ``caller_blocks`` compared with the API's clock
(:func:`ledger.calls.block_of`): an expiry not yet recorded is already no block. The IVR
role may do that and nothing else. Commands are published as ``block.requested``,
``block.decided`` and ``block.lifted`` (:mod:`api.block_commands`); four eyes: a lead
never decides their own request (409, from the ledger's record of the request; the domain
refuses it anyway), and only the ``contact_center_lead`` role decides or lifts (403).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy import Engine

from api import block_commands
from api.auth import BLOCK_LOOKUP, CONTACT_CENTER, allow
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    engine_of,
    keyset_page,
    settings_of,
)
from api.schemas import ErrorBody
from api.schemas_calls import (
    CALLER_PATTERN,
    BlockItem,
    BlockLifted,
    BlockPage,
    BlockRequestBody,
    BlockRequestPublished,
    CallerBlock,
    DecisionBody,
    DecisionPublished,
    LiftBody,
    PendingRequest,
    PendingRequests,
)
from api.settings import ApiSettings
from ledger.call_records import pending_requests
from ledger.calls import BlockFilter, active_blocks, block_of

__all__ = ["router"]

router = APIRouter(tags=["blocks"])
_CALLER = Path(..., min_length=1, max_length=128, pattern=CALLER_PATTERN,
               description="the pseudonymous caller reference")
_REQUEST_ID = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                  description="request_id returned when the block was requested")
_BLOCK_ID = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                 description="block_id of an active block")
_CONFLICT = {409: {"model": ErrorBody,
                   "description": "your own request (four eyes), or one already decided"}}
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@router.get("/callers/{caller}/block", response_model=CallerBlock, responses=AUTH_ERRORS,
            summary="Is this caller blocked now, until when, why (the IVR asks on every call)")
def caller_block(
    caller: str = _CALLER,
    _who: Principal = Depends(allow(*BLOCK_LOOKUP)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> CallerBlock:
    block = block_of(engine, caller, settings.clock())
    if block is None:
        return CallerBlock(caller=caller, blocked=False, until=None)
    return CallerBlock(caller=caller, blocked=True, until=block["until"],
                       permanent=block["until"] is None, reason=block["reason"],
                       block_id=block["block_id"])


@router.get("/blocks", response_model=BlockPage, responses=AUTH_ERRORS,
            summary="The blocks active now, newest first, by cursor pages")
def list_blocks(
    caller: str | None = Query(None, min_length=1, max_length=128, pattern=CALLER_PATTERN),
    period: Literal["day", "week", "month", "permanent"] | None = Query(None),
    by: Literal["rule", "people"] | None = Query(
        None, description="rule: automatic blocks; people: approved requests"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=1000,
                               description="next_cursor of the previous page"),
    _who: Principal = Depends(allow(*CONTACT_CENTER)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> BlockPage:
    now, where = settings.clock(), BlockFilter(caller, period, by)
    page, next_cursor = keyset_page(
        cursor, lambda after, n: active_blocks(engine, now, n, where, after), limit,
        lambda row: (row.blocked_at, row.caller))
    return BlockPage(items=[BlockItem(
        block_id=row.block_id, caller=row.caller, period=row.period, blocked_at=row.blocked_at,
        until=row.until, reason=row.reason, by=row.by, review_at=row.review_at)
        for row in page], next_cursor=next_cursor)


@router.get("/block-requests", response_model=PendingRequests, responses=AUTH_ERRORS,
            summary="The block requests waiting for a lead's decision, oldest first")
def list_pending_requests(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    _who: Principal = Depends(allow(*CONTACT_CENTER)),
    engine: Engine = Depends(engine_of),
) -> PendingRequests:
    return PendingRequests(items=[PendingRequest(
        request_id=r.request_id, caller=r.caller or "", period=r.period or "day",
        reason=r.reason or "", evidence=list(r.evidence), requested_by=r.requested_by or "",
        requested_at=r.requested_at) for r in pending_requests(engine, limit)
        if r.requested_at is not None and r.period])


@router.post("/blocks", status_code=status.HTTP_202_ACCEPTED,
             response_model=BlockRequestPublished, responses=COMMAND_ERRORS,
             summary="Request a block of a caller (publishes block.requested)")
async def request_block(
    body: BlockRequestBody,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(*CONTACT_CENTER)),
    settings: ApiSettings = Depends(settings_of),
) -> BlockRequestPublished:
    event = await block_commands.request_block(settings, principal, body, idempotency_key)
    return BlockRequestPublished(request_id=event.id, caller=body.caller, period=body.period,
                                 requested_by=principal.name, requested_at=event.time)


@router.post("/blocks/{request_id}/decision", status_code=status.HTTP_202_ACCEPTED,
             response_model=DecisionPublished, responses={**COMMAND_ERRORS, **_CONFLICT},
             summary="Approve or decline a block request (a second lead: publishes "
                     "block.decided)")
async def decide_block(
    body: DecisionBody,
    request_id: str = _REQUEST_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.CONTACT_CENTER_LEAD)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> DecisionPublished:
    event, request = await block_commands.decide_block(
        engine, settings, principal, request_id, body.decision, body.note, idempotency_key)
    return DecisionPublished(decision_id=event.id, request_id=request_id,
                             caller=event.subject, decision=body.decision,
                             decided_by=principal.name, decided_at=event.time)


@router.post("/blocks/{block_id}/lift", status_code=status.HTTP_202_ACCEPTED,
             response_model=BlockLifted, responses=COMMAND_ERRORS,
             summary="Lift an active block now (publishes block.lifted)")
async def lift_block(
    body: LiftBody,
    block_id: str = _BLOCK_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.CONTACT_CENTER_LEAD)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> BlockLifted:
    event = await block_commands.lift_block(engine, settings, principal, block_id,
                                            body.reason, idempotency_key)
    return BlockLifted(lift_id=event.id, block_id=block_id, caller=event.subject,
                       lifted_by=principal.name, lifted_at=event.time)
