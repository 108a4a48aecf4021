"""Corrective actions: ``GET /api/v1/corrective-actions`` and
``POST /api/v1/corrective-actions/{action_id}/fix``.

Actions are read from the ledger's ``corrective_actions`` table, where the stream's
``corrective_action.opened``, ``sla.fix_declared`` and ``corrective_action.reviewed`` are
merged. Executives and the contact center see every department's, a department its own;
HR's business is pay, not incidents. An action still open (no fix declared) past its
``due_at`` is overdue.

The department declares its fix: what it changed and when. The declaration is published
as ``corrective_action.fixed`` on the action's anchor ticket (inbound events are keyed by
ticket), which the stream records as ``sla.fix_declared``; from then on every complaint of
the category is a repeat (``docs/semantics.md``, "Recurrence and corrective actions").
Unknown action (yet): 404; another department's: 403; already fixed or reviewed: 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from api import commands
from api.auth import DISPUTE_READERS, allow, scoped_department
from api.principals import Principal, Role
from api.routes._common import (
    AUTH_ERRORS,
    COMMAND_ERRORS,
    IDEMPOTENCY_KEY,
    check_department,
    engine_of,
    settings_of,
)
from api.schemas import DEPARTMENT_PATTERN, ErrorBody
from api.settings import ApiSettings
from ledger.corrective_actions import action_status, corrective_actions
from ledger.tables import CorrectiveAction

__all__ = ["ACTION_READERS", "ActionItem", "ActionList", "FixPublished", "FixRequest",
           "action_item", "router"]

router = APIRouter(prefix="/corrective-actions", tags=["corrective actions"])
_CONFLICT = {409: {"model": ErrorBody, "description": "a fix was already declared"}}
_ACTION_ID = Path(..., min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                  description="action_id of corrective_action.opened")
#: Who reads corrective actions: the disputes' readers (departments their own).
ACTION_READERS = DISPUTE_READERS


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionItem(_Body):
    """A corrective action as the ledger keeps it: open until its fix is declared, fixed
    until it is reviewed."""

    action_id: str
    department: str
    category: str | None
    rule: str | None = Field(description="the recurrence rule that opened it")
    anchor_ticket: str = Field(description="the complaint that reached the threshold")
    status: Literal["open", "fixed", "reviewed"]
    overdue: bool = Field(description="open (no fix declared) past due_at")
    opened_at: datetime | None
    due_at: datetime | None
    baseline_count: int | None = Field(description="complaints in the window when it opened")
    window: str | None
    what_changed: str | None
    changed_at: datetime | None
    declared_by: str | None
    fixed_at: datetime | None = Field(description="when the fix was declared")
    reviewed_at: datetime | None
    before_count: int | None = Field(description="complaints before the fix")
    before_per_day: float | None
    after_count: int | None = Field(description="complaints in the review window")
    after_per_day: float | None
    worked: bool | None = Field(description="after_per_day < worked_below * before_per_day")


class ActionList(_Body):
    items: list[ActionItem]


class FixRequest(_Body):
    """What the department changed to stop the recurrence, and when it took effect."""

    what_changed: Annotated[str, Field(min_length=1, max_length=2000)]
    changed_at: AwareDatetime


class FixPublished(_Body):
    fix_id: str = Field(description="id of the corrective_action.fixed event")
    action_id: str
    ticket: str = Field(description="the action's anchor ticket, the event's subject")
    department: str
    declared_by: str
    declared_at: datetime
    status: Literal["published"] = "published"


def action_item(row: CorrectiveAction, now: datetime) -> ActionItem:
    """The list's view of a ``corrective_actions`` row at ``now``."""
    state = action_status(row)
    values: dict[str, Any] = {name: getattr(row, name) for name in ActionItem.model_fields
                              if name not in ("status", "overdue")}
    overdue = state == "open" and row.due_at is not None and now > row.due_at
    return ActionItem(**values, status=state, overdue=overdue)  # type: ignore[arg-type]


@router.get("", response_model=ActionList, responses=AUTH_ERRORS,
            summary="Corrective actions, oldest first: open, fixed and reviewed")
def list_actions(
    status_: Literal["open", "fixed", "reviewed"] | None = Query(
        None, alias="status", description="open: no fix yet; fixed: not reviewed yet"),
    department: str | None = Query(None, max_length=64, pattern=DEPARTMENT_PATTERN),
    principal: Principal = Depends(allow(*ACTION_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> ActionList:
    department = scoped_department(principal, department)
    check_department(settings, department)
    now = settings.clock()
    return ActionList(items=[action_item(row, now) for row in
                             corrective_actions(engine, department, status_)])


@router.post("/{action_id}/fix", status_code=status.HTTP_202_ACCEPTED,
             response_model=FixPublished, responses={**COMMAND_ERRORS, **_CONFLICT},
             summary="Declare the fix of a corrective action (publishes "
                     "corrective_action.fixed)")
async def declare_fix(
    body: FixRequest,
    action_id: str = _ACTION_ID,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
    principal: Principal = Depends(allow(Role.DEPARTMENT)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> FixPublished:
    event, action = await commands.declare_fix(engine, settings, principal, action_id,
                                      body.what_changed, body.changed_at, idempotency_key)
    return FixPublished(fix_id=event.id, action_id=action_id, ticket=action.anchor_ticket,
                        department=action.department, declared_by=principal.name,
                        declared_at=event.time)
