"""Request and response bodies of the calls endpoints (issue 15): the IVR's block lookup,
the leads' blocks, requests and decisions, and the before/after report of the calls policy.

These bodies name the **pseudonymous caller reference** they are about (never a phone
number): it is what the IVR asks with and what a lead blocks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CALLER_PATTERN",
    "BlockItem",
    "BlockLifted",
    "BlockPage",
    "BlockRequestBody",
    "BlockRequestPublished",
    "CallerBlock",
    "CallsFigures",
    "CallsReport",
    "DecisionBody",
    "DecisionPublished",
    "LiftBody",
]

#: A pseudonymous caller reference, as on the ``calls`` topic (models.calls.CallerRef).
CALLER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$"
Caller = Annotated[str, Field(min_length=1, max_length=128, pattern=CALLER_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
CallId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Period = Literal["day", "week", "month", "permanent"]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CallerBlock(_Body):
    """The IVR's answer: is this caller blocked now, until when (null with ``blocked``:
    permanent), and why."""

    caller: str
    blocked: bool
    until: datetime | None = Field(description="first instant the caller may call again; "
                                   "null when not blocked or blocked permanently")
    permanent: bool = False
    reason: str | None = None
    block_id: str | None = None


class BlockItem(_Body):
    """An active block in the leads' list."""

    block_id: str
    caller: str
    period: Period
    blocked_at: datetime
    until: datetime | None = Field(description="null: permanent")
    reason: str
    by: str = Field(description="'rule:<name>', or '<requester>+<approver>'")
    review_at: datetime | None = Field(description="a permanent block's first review")


class BlockPage(_Body):
    items: list[BlockItem]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class PendingRequest(_Body):
    """A block request waiting for a lead's decision."""

    request_id: str
    caller: str
    period: Period
    reason: str
    evidence: list[str] = Field(description="call ids of the caller's worthless calls")
    requested_by: str
    requested_at: datetime


class PendingRequests(_Body):
    items: list[PendingRequest] = Field(description="oldest first")


class BlockRequestBody(_Body):
    """A request to bar a caller for a period, with the worthless calls behind it; a
    contact-center lead other than the requester decides it."""

    caller: Caller
    period: Period
    reason: Text
    evidence: list[CallId] = Field(min_length=1, max_length=100,
                                   description="call ids of the caller's worthless calls")


class BlockRequestPublished(_Body):
    request_id: str = Field(description="id of the block.requested event")
    caller: str
    period: Period
    requested_by: str
    requested_at: datetime
    status: Literal["published"] = "published"


class DecisionBody(_Body):
    decision: Literal["approved", "declined"]
    note: Annotated[str, Field(max_length=2000)] | None = None


class DecisionPublished(_Body):
    decision_id: str = Field(description="id of the block.decided event")
    request_id: str
    caller: str
    decision: Literal["approved", "declined"]
    decided_by: str
    decided_at: datetime
    status: Literal["published"] = "published"


class LiftBody(_Body):
    reason: Text


class BlockLifted(_Body):
    lift_id: str = Field(description="id of the block.lifted event")
    block_id: str
    caller: str
    lifted_by: str
    lifted_at: datetime
    status: Literal["published"] = "published"


class CallsFigures(_Body):
    """One period's figures (``sla.calls_change.Figures``)."""

    start: datetime
    end: datetime
    calls: int
    csat: float | None
    csat_count: int
    agent_hangups: int
    customer_hangups: int
    agent_share: float | None = Field(description="agent / (agent + customer) hang-ups")
    in_band: bool | None = Field(description="the agent share within the policy's band")
    qa_reviewed: int
    qa_compliant: int
    qa_compliance: float | None
    blocked_callers: int
    minutes_released: float
    blocked_who_complained: int


class CallsReport(_Body):
    """Before and after a change of the calls policy (``sla-police report calls``)."""

    change: date
    window_days: int
    band: tuple[float, float]
    before: CallsFigures
    after: CallsFigures
