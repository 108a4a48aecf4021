"""``GET /api/v1/tickets/{ticket}`` and ``POST /api/v1/tickets/{ticket}/disputes``.

Who owns a ticket is what the stream said last: the ticket's latest ``sla.attributed`` in
the ledger. A department principal may read a ticket its department has held at some time
(it sees only its own breaches and penalties on it) and may dispute a ticket its
department holds now.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Path, status
from sqlalchemy import Engine

from api import commands
from api.auth import READERS, allow, forbidden
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    NOT_FOUND,
    engine_of,
    penalty_item,
    settings_of,
)
from api.schemas import BreachItem, DisputeFiled, DisputeRequest, Holding, TicketView
from api.settings import ApiSettings
from ledger import penalties_for
from ledger.queries import breaches_of_ticket, ticket_holders

__all__ = ["TICKET", "router"]

router = APIRouter(prefix="/tickets", tags=["tickets"])
TICKET = Path(..., min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
              description="the ticket id")


def _not_found(ticket: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"ticket {ticket} is not in the ledger")


@router.get("/{ticket}", response_model=TicketView, responses={**AUTH_ERRORS, **NOT_FOUND},
            summary="A ticket: who held it, its breaches and penalties")
def read_ticket(
    ticket: str = TICKET,
    principal: Principal = Depends(allow(*READERS)),
    engine: Engine = Depends(engine_of),
) -> TicketView:
    holders = ticket_holders(engine, ticket)
    if not holders:
        raise _not_found(ticket)
    own = principal.department if principal.role is Role.DEPARTMENT else None
    if own is not None and own not in {h.department for h in holders}:
        raise forbidden(f"department {own} never held ticket {ticket}")
    breaches = [b for b in breaches_of_ticket(engine, ticket) if own in (None, b.department)]
    penalties = [p for p in penalties_for(engine, ticket) if own in (None, p.department)]
    return TicketView(
        ticket=ticket, department=holders[-1].department,
        holders=[Holding(department=h.department, since=h.since, reason=h.reason,
                         dispute_id=h.dispute_id) for h in holders],
        breaches=[BreachItem(id=b.id, department=b.department, policy=b.policy,
                             metric=b.metric, cycle=b.cycle, started_at=b.started_at,
                             due_at=b.due_at, breached_at=b.breached_at, employee=b.assignee)
                  for b in breaches],
        penalties=[penalty_item(p) for p in penalties])


@router.post("/{ticket}/disputes", status_code=status.HTTP_202_ACCEPTED,
             response_model=DisputeFiled, responses=COMMAND_ERRORS,
             summary="Dispute that the ticket is your department's (publishes "
                     "attribution.disputed)")
async def file_dispute(
    body: DisputeRequest,
    ticket: str = TICKET,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.DEPARTMENT)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> DisputeFiled:
    event = await commands.file_dispute(engine, settings, principal, ticket, body.reason,
                                        body.note, idempotency_key)
    return DisputeFiled(dispute_id=event.id, ticket=ticket, department=event.data.department,
                        filed_by=principal.name, filed_at=event.time)
