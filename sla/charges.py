"""Who pays a department's per-complaint fines: settling the charge of a ticket's owner.

A department that becomes a complaint's owner by attribution (the complaint's rule, a
reassignment or an upheld dispute; not a transfer, which moves the work but not the
blame) owes the per-complaint fines of its ``charge: assignee`` rules. On whom they fall
is known only later, so the charge stays *open* on the ticket until it is *settled*:

- the owning department assigns the ticket to one of its own (``assignment``; at once
  when the hand-over that made it the owner already names the assignee): that employee;
- it never does, and it loses the ticket by a transfer (``transfer``) or by an upheld
  dispute another department filed (``dispute``), or the ticket is closed (``close``) or
  cancelled (``cancel``): the department itself.

A reassignment away, or an upheld dispute of the owner itself, before settlement drops
the charge: nothing is settled (the department was not the owner after all). A
department owns a ticket's charge at most once: one that gets the ticket back is not
charged again, exactly as penalty ids, derived from (ticket, department, rule, trigger),
never charge a department twice for one complaint.

Each settlement is one ``sla.charge_settled``, a penalty trigger of its department.
"""

from __future__ import annotations

from datetime import datetime

from models import CloudEvent
from sla import outcomes
from sla.ticket import CLOSED, TicketState

__all__ = ["drop", "open_charge", "settle", "settle_if_known"]


def open_charge(state: TicketState, department: str, at: datetime) -> None:
    """``department`` becomes the owner who owes the complaint's charge, unless it
    already owed it once on this ticket."""
    if department in state.charged:
        return
    state.charged.append(department)
    state.charge = (department, at)


def settle(state: TicketState, cause: CloudEvent, at: datetime, settled_by: str,
           out: list[CloudEvent]) -> None:
    """Settle the open charge, if any, on the owner's assignee (None: the department)."""
    if state.charge is None:
        return
    department, since = state.charge
    state.charge = None
    out.append(outcomes.charge_settled(state, cause, at, department, since, settled_by))


def settle_if_known(state: TicketState, cause: CloudEvent, at: datetime,
                    out: list[CloudEvent]) -> None:
    """After a hand-over: settle at once when the new owner's assignee is already named,
    or when the ticket is already closed (nobody can be assigned to it any more)."""
    if state.charge is None:
        return
    if state.assignee is not None:
        settle(state, cause, at, "assignment", out)
    elif state.status == CLOSED:
        settle(state, cause, at, "close", out)


def drop(state: TicketState) -> None:
    """The owner turned out not to be the owner: its open charge is gone, unsettled."""
    state.charge = None
