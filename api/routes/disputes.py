"""``POST /api/v1/disputes/{dispute_id}/ruling``: the contact center rules on a dispute.

The dispute is found in the ledger, where the stream records every ``attribution.disputed``
it accepted as ``sla.dispute_filed`` (issue 11's contract): that gives its ticket (the
ruling's subject) and the disputing department. A dispute the ledger does not know (yet)
is 404; one already ruled is 409. The ruling is published as ``dispute.ruled``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.auth import allow
from api.commands import command_id, ruling_event
from api.principals import Principal, Role
from api.routes._common import (
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    engine_of,
    invalid,
    settings_of,
)
from api.schemas import ErrorBody, RulingPublished, RulingRequest
from api.settings import ApiSettings
from ledger.queries import find_dispute

__all__ = ["router"]

router = APIRouter(prefix="/disputes", tags=["disputes"])
_CONFLICT = {409: {"model": ErrorBody, "description": "the dispute was already ruled"}}


def _check_ruling(body: RulingRequest, disputing: str, settings: ApiSettings) -> None:
    """422 on ``to_department`` unless it is a known department other than the disputing
    one for an upheld ruling, and absent for a rejected one."""
    location = ("body", "to_department")
    if body.outcome == "rejected":
        if body.to_department is not None:
            raise invalid(location, "a rejected ruling moves nothing: leave to_department out")
        return
    if body.to_department is None:
        raise invalid(location, "an upheld ruling must name the department that gets the ticket")
    if body.to_department not in settings.departments:
        raise invalid(location, f"unknown department {body.to_department!r}")
    if body.to_department == disputing:
        raise invalid(location, f"{disputing} is the department that disputed the ticket")


@router.post("/{dispute_id}/ruling", status_code=status.HTTP_202_ACCEPTED,
             response_model=RulingPublished,
             responses={**COMMAND_ERRORS, **_CONFLICT},
             summary="Rule on a dispute (publishes dispute.ruled)")
async def rule_dispute(
    body: RulingRequest,
    dispute_id: str = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                           description="dispute_id returned when it was filed"),
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.CONTACT_CENTER)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> RulingPublished:
    dispute = await run_in_threadpool(find_dispute, engine, dispute_id)
    if dispute is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"dispute {dispute_id} is not in the ledger (the stream records a "
                            "dispute shortly after it is filed)")
    if dispute.outcome is not None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"dispute {dispute_id} was already ruled: {dispute.outcome}")
    _check_ruling(body, dispute.department, settings)
    event = ruling_event(
        command_id(principal.name, "dispute.ruled", idempotency_key), settings.source,
        settings.clock(), dispute.ticket, dispute_id, body.outcome, body.to_department,
        body.reason, principal.name)
    await settings.publisher.publish(event)
    return RulingPublished(ruling_id=event.id, dispute_id=dispute_id, ticket=dispute.ticket,
                           outcome=body.outcome, to_department=body.to_department,
                           ruled_by=principal.name, ruled_at=event.time)
