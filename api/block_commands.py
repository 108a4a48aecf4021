"""Block commands as inbound events (issue 15): what the API publishes when the contact
center requests a block, a lead decides a request or lifts a block.

Each is checked against the ledger first (404, 409, 422 as :class:`fastapi.HTTPException`),
then published through the command bus to the ``calls`` topic keyed by the caller, as
dispute rulings are (:mod:`api.commands`). The calls domain judges them again
(:mod:`sla.calls`): a self-approval or a decision by another role that slipped past the API
(two requests in flight, a stale ledger) is refused there as ``block.refused``. The caller
has checked the role. Ids follow :func:`api.commands.command_id` (Idempotency-Key).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.commands import command_id
from api.principals import Principal
from api.routes._common import invalid
from api.schemas_calls import BlockRequestBody
from api.settings import ApiSettings
from ledger.call_records import RequestView, find_request
from ledger.calls import active_block
from models.calls import BlockDecided, BlockLifted, BlockRequested
from sla.specs import CallsSpec

__all__ = ["calls_policy", "decide_block", "lift_block", "request_block"]


def calls_policy(settings: ApiSettings) -> CallsSpec:
    """The policy's ``calls`` section, or 404 when the policy has none."""
    if settings.calls is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "the policy has no calls section: blocks and the calls report "
                            "are not in use")
    return settings.calls


async def request_block(settings: ApiSettings, principal: Principal, body: BlockRequestBody,
                        key: str | None) -> BlockRequested:
    """Publish ``principal``'s request to block ``body.caller``: 422 on a period the policy
    does not allow (the evidence is checked by the domain, which knows the caller's calls)."""
    spec = calls_policy(settings)
    if body.period not in spec.blocks.periods:
        raise invalid(("body", "period"), f"the policy allows blocks of "
                      f"{', '.join(spec.blocks.periods)}; not {body.period!r}")
    event = BlockRequested.model_validate({
        "id": command_id(principal.name, "block.requested", key), "source": settings.source,
        "time": settings.clock(), "subject": body.caller,
        "data": {"caller_ref": body.caller, "period": body.period, "reason": body.reason,
                 "evidence": list(body.evidence), "requested_by": principal.name}})
    await settings.publisher.publish(event)
    return event


def _decidable(request: RequestView | None, request_id: str, principal: Principal) -> RequestView:
    """The request, if ``principal`` may decide it now: 404 unknown, 409 own or done."""
    if request is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"block request {request_id} is not in the ledger (the stream "
                            "records a request shortly after it is made)")
    if request.requested_by == principal.name:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"{principal.name} requested block {request_id} and cannot decide "
                            "it: four eyes, a second contact-center lead must")
    if request.status != "pending":
        detail = {"refused": f"it was refused: {request.refusal}",
                  "approved": f"it was approved by {request.decided_by}",
                  "declined": f"it was declined by {request.decided_by}"}[request.status]
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"block request {request_id} is not pending: {detail}")
    return request


async def decide_block(engine: Engine, settings: ApiSettings, principal: Principal,
                       request_id: str, decision: str, note: str | None,
                       key: str | None) -> tuple[BlockDecided, RequestView]:
    """Publish ``principal``'s decision on ``request_id`` (the role is the caller's check)."""
    calls_policy(settings)
    found = await run_in_threadpool(find_request, engine, request_id)
    request = _decidable(found, request_id, principal)
    assert request.caller is not None
    data = {"request_id": request_id, "decision": decision, "decided_by": principal.name,
            "role": principal.role.value}
    if note is not None:
        data["note"] = note
    event = BlockDecided.model_validate({
        "id": command_id(principal.name, "block.decided", key), "source": settings.source,
        "time": settings.clock(), "subject": request.caller, "data": data})
    await settings.publisher.publish(event)
    return event, request


async def lift_block(engine: Engine, settings: ApiSettings, principal: Principal,
                     block_id: str, reason: str, key: str | None) -> BlockLifted:
    """Publish ``principal``'s lift of ``block_id``: 404 unless it is a caller's block
    active now."""
    calls_policy(settings)
    now: datetime = settings.clock()
    block = await run_in_threadpool(active_block, engine, block_id, now)
    if block is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"block {block_id} is not an active block (expired, lifted, "
                            "replaced, or not recorded yet)")
    caller = block["caller"]
    event = BlockLifted.model_validate({
        "id": command_id(principal.name, "block.lifted", key), "source": settings.source,
        "time": now, "subject": caller,
        "data": {"block_id": block_id, "lifted_by": principal.name,
                 "role": principal.role.value, "reason": reason}})
    await settings.publisher.publish(event)
    return event
