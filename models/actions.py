"""Corrective actions: a recurring (department, category) opens one, the department declares
its fix, and the fix is reviewed against the rate of complaints before it.

``corrective_action.fixed`` is inbound (the API publishes it, keyed by the action's anchor
ticket, on ``ticket-events``); the ticket stage puts it on the record as
``sla.fix_declared``, which the department stage applies. ``corrective_action.opened`` and
``corrective_action.reviewed`` come from the department stage. Semantics:
``docs/semantics.md``, "Recurrence and corrective actions".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from models._envelope import CloudEvent, DepartmentId, Model, NonEmptyText, TicketId

__all__ = [
    "ActionOpenedData",
    "ActionReviewedData",
    "CorrectiveActionFixed",
    "CorrectiveActionOpened",
    "CorrectiveActionReviewed",
    "FixData",
    "FixDeclaredData",
    "SlaFixDeclared",
]

ActionId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class FixData(Model):
    """What a department says it changed to stop a recurrence."""

    action_id: ActionId = Field(description="the corrective action being fixed")
    department: DepartmentId = Field(description="the department the action is for")
    what_changed: NonEmptyText = Field(description="what the department changed")
    changed_at: AwareDatetime = Field(description="when the change took effect, as declared")
    actor: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        default=None, description="who declared it")


class FixDeclaredData(Model):
    action_id: ActionId
    department: DepartmentId
    what_changed: str
    changed_at: AwareDatetime
    declared_by: str | None = None
    declared_at: AwareDatetime = Field(description="from here on, complaints are recurrences")
    caused_by: str = Field(description="id of the corrective_action.fixed event")


class ActionOpenedData(Model):
    action_id: ActionId
    rule: str = Field(description="the recurrence rule that opened it")
    department: DepartmentId
    category: str
    anchor_ticket: TicketId = Field(description="the complaint that reached the threshold")
    opened_at: AwareDatetime
    due_at: AwareDatetime = Field(description="the fix is due by then (working time)")
    due: str = Field(description="the rule's due time as written, e.g. '5d'")
    baseline_count: int = Field(ge=1, description="complaints in the window when it opened")
    window: str = Field(description="the rule's window as written, e.g. '7d'")
    window_seconds: int = Field(gt=0)
    caused_by: str = Field(description="id of the sla.attributed that reached the threshold")


class ActionReviewedData(Model):
    """The rate of complaints after the fix against the rate before it, per day."""

    action_id: ActionId
    rule: str
    department: DepartmentId
    category: str
    anchor_ticket: TicketId
    opened_at: AwareDatetime
    fixed_at: AwareDatetime = Field(description="when the fix was declared")
    reviewed_at: AwareDatetime = Field(description="end of the review window")
    baseline_count: int = Field(
        ge=0, description="complaints from the opening window's start until the fix")
    baseline_seconds: int = Field(gt=0)
    baseline_per_day: float
    review_count: int = Field(ge=0, description="complaints in the review window")
    review_seconds: int = Field(gt=0)
    review_per_day: float
    worked_below: float = Field(description="the rule's share: worked when below it")
    worked: bool = Field(description="review_per_day < worked_below * baseline_per_day")


class CorrectiveActionFixed(CloudEvent):
    type: Literal["corrective_action.fixed"] = "corrective_action.fixed"
    data: FixData


class SlaFixDeclared(CloudEvent):
    type: Literal["sla.fix_declared"] = "sla.fix_declared"
    data: FixDeclaredData


class CorrectiveActionOpened(CloudEvent):
    type: Literal["corrective_action.opened"] = "corrective_action.opened"
    data: ActionOpenedData


class CorrectiveActionReviewed(CloudEvent):
    type: Literal["corrective_action.reviewed"] = "corrective_action.reviewed"
    data: ActionReviewedData
