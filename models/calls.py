"""Service floor for calls: call records, QA verdicts, caller blocks (issue 15).

Inbound, all on the ``calls`` topic keyed by the **pseudonymous caller reference** (the
CloudEvent ``subject``): ``call.ended`` (one call, who ended it and why), ``qa.reviewed`` (an
inspector's verdict on a sampled call), ``block.requested``, ``block.decided`` and
``block.lifted`` (the four-eyes block commands). Outbound: ``caller.blocked`` and
``caller.unblocked`` on the compacted ``caller-blocks`` topic keyed by caller (what the IVR
subscribes to: the newest record per caller is its state), ``qa.item_opened`` and
``call.norm_breached`` on ``call-quality`` keyed by agent, ``block.review_due`` and
``block.refused`` on ``block-notices`` keyed by caller.

These types are part of the contract (schemas, examples) but **not processed by the ticket
stream**: they live in their own registries, not in ``INBOUND_TYPES`` or ``OUTBOUND_TYPES``,
and the ticket stream dead-letters them with a reason. Semantics: ``docs/semantics.md``,
"Calls: service floor".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from models._envelope import CloudEvent, Model, TicketId

__all__ = [
    "BLOCK_PERIODS",
    "CALLS_INBOUND_TYPES",
    "CALLS_OUTBOUND_TYPES",
    "DISPOSITIONS",
    "BlockDecided",
    "BlockLifted",
    "BlockRefused",
    "BlockRequested",
    "BlockReviewDue",
    "CallEnded",
    "CallNormBreached",
    "CallerBlocked",
    "CallerRef",
    "CallerUnblocked",
    "QaItemOpened",
    "QaReviewed",
]

#: A pseudonymous caller reference (never a phone number): the message key on ``calls``.
CallerRef = TicketId
EmployeeId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
RefId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Team = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                        pattern=r"^[a-z][a-z0-9_]*$")]
Note = Annotated[str, StringConstraints(max_length=2000)]
EndedBy = Literal["agent", "customer", "system"]
Disposition = Literal["resolved", "no_further_need", "nuisance", "abusive",
                      "final_answer_repeat", "out_of_scope", "other"]
Period = Literal["day", "week", "month", "permanent"]
#: Every disposition a call can end with, in the contract's order.
DISPOSITIONS: tuple[str, ...] = Disposition.__args__  # type: ignore[attr-defined]
#: Every block period a request can ask for.
BLOCK_PERIODS: tuple[str, ...] = Period.__args__  # type: ignore[attr-defined]


class CallData(Model):
    """One finished call. The event's ``time`` is when it ended; ``subject`` its caller."""

    call_id: RefId
    caller_ref: CallerRef = Field(description="pseudonymous caller reference, = subject")
    agent: EmployeeId = Field(description="employee id of the agent who took the call")
    team: Team
    started_at: AwareDatetime
    duration_seconds: int = Field(ge=0, le=86400, description="handling time in seconds")
    ended_by: EndedBy = Field(description="who hung up")
    disposition: Disposition
    warned: bool = Field(default=False, description="the agent gave a warning first")
    ticket_id: TicketId | None = Field(default=None, description="the ticket, when one exists")
    csat: int | None = Field(default=None, ge=1, le=5, description="post-call survey score")


class QaVerdictData(Model):
    qa_id: RefId = Field(description="id of the qa.item_opened event")
    inspector: EmployeeId
    verdict: Literal["compliant", "non_compliant"]
    note: Note | None = None


class BlockRequestData(Model):
    """A request to bar a caller; its id is the event's id."""

    caller_ref: CallerRef
    period: Period
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    evidence: list[RefId] = Field(min_length=1, max_length=100,
                                  description="call ids of the worthless calls behind it")
    requested_by: EmployeeId


class BlockDecisionData(Model):
    request_id: RefId = Field(description="id of the block.requested event")
    decision: Literal["approved", "declined"]
    decided_by: EmployeeId
    role: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="the decider's role as the API authenticated it")
    note: Note | None = None


class BlockLiftData(Model):
    block_id: RefId = Field(description="block_id of the caller.blocked to lift")
    lifted_by: EmployeeId
    role: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class BlockedData(Model):
    """A caller barred: ``until`` null means permanent (reviewed at ``review_at``)."""

    block_id: RefId
    caller: CallerRef
    period: Period
    blocked_at: AwareDatetime
    until: AwareDatetime | None = Field(default=None,
                                        description="first instant the caller may call again; "
                                                    "null or absent: permanent")
    reason: str
    by: str = Field(description="'rule:<name>' or '<requester>+<approver>'")
    rule: str | None = None
    requested_by: str | None = None
    approved_by: str | None = None
    evidence: list[str] = Field(default_factory=list, description="call ids behind it")
    review_at: AwareDatetime | None = Field(default=None, description="permanent: first review")


class UnblockedData(Model):
    block_id: RefId
    caller: CallerRef
    why: Literal["expired", "lifted"]
    at: AwareDatetime
    lifted_by: str | None = None
    reason: str | None = None


class QaItemData(Model):
    """An agent-ended call put in the QA queue for its agent's week."""

    qa_id: RefId
    call_id: RefId
    caller: CallerRef
    agent: str
    team: str
    week: Annotated[str, StringConstraints(pattern=r"^\d{4}-W\d{2}$")]
    selected_by: Literal["sample", "norm_breach"]
    norm: str | None = Field(default=None, description="the norm broken (norm_breach)")
    disposition: Disposition
    warned: bool
    duration_seconds: int
    started_at: AwareDatetime
    ended_at: AwareDatetime


class NormBreachData(Model):
    """An agent hung up outside the norms: a QA finding."""

    call_id: RefId
    caller: CallerRef
    agent: str
    team: str
    disposition: Disposition
    warned: bool
    norm: Literal["agent_may_not_end", "warning_first"] = Field(
        description="agent_may_not_end: the disposition does not let the agent end the "
                    "call; warning_first: it does, after a warning, and none was given")
    ended_at: AwareDatetime


class ReviewData(Model):
    block_id: RefId
    caller: CallerRef
    blocked_at: AwareDatetime
    review: int = Field(ge=1, description="1 for the first review, 2 for the second ...")
    review_at: AwareDatetime


class RefusedData(Model):
    """A block command refused by the four-eyes rules (the command was well formed)."""

    command_id: RefId = Field(description="id of the refused block command")
    command: Literal["block.requested", "block.decided", "block.lifted"]
    caller: CallerRef
    why: Literal["self_approval", "role_not_allowed", "unknown_request", "already_decided",
                 "period_not_allowed", "evidence_not_worthless", "not_blocked"]
    reason: str = Field(description="the refusal, written for a person")
    by: str = Field(description="who issued the command")
    refused_at: AwareDatetime


class _ByCaller(CloudEvent):
    """An inbound call event whose ``subject`` is the caller (``data.caller_ref``)."""

    @model_validator(mode="after")
    def _subject_is_the_caller(self) -> _ByCaller:
        caller = getattr(self.data, "caller_ref", self.subject)
        if self.subject != caller:
            raise ValueError(f"subject {self.subject!r} must be the caller {caller!r}")
        return self


class CallEnded(_ByCaller):
    type: Literal["call.ended"] = "call.ended"
    data: CallData


class QaReviewed(CloudEvent):
    """``subject``: the caller of the call reviewed (the qa item's subject)."""

    type: Literal["qa.reviewed"] = "qa.reviewed"
    data: QaVerdictData


class BlockRequested(_ByCaller):
    type: Literal["block.requested"] = "block.requested"
    data: BlockRequestData


class BlockDecided(CloudEvent):
    type: Literal["block.decided"] = "block.decided"
    data: BlockDecisionData


class BlockLifted(CloudEvent):
    type: Literal["block.lifted"] = "block.lifted"
    data: BlockLiftData


class CallerBlocked(CloudEvent):
    type: Literal["caller.blocked"] = "caller.blocked"
    data: BlockedData


class CallerUnblocked(CloudEvent):
    type: Literal["caller.unblocked"] = "caller.unblocked"
    data: UnblockedData


class QaItemOpened(CloudEvent):
    type: Literal["qa.item_opened"] = "qa.item_opened"
    data: QaItemData


class CallNormBreached(CloudEvent):
    type: Literal["call.norm_breached"] = "call.norm_breached"
    data: NormBreachData


class BlockReviewDue(CloudEvent):
    type: Literal["block.review_due"] = "block.review_due"
    data: ReviewData


class BlockRefused(CloudEvent):
    type: Literal["block.refused"] = "block.refused"
    data: RefusedData


def _registry(*classes: type[CloudEvent]) -> dict[str, type[CloudEvent]]:
    return {cls.model_fields["type"].default: cls for cls in classes}


CALLS_INBOUND_TYPES = _registry(CallEnded, QaReviewed, BlockRequested, BlockDecided,
                                BlockLifted)
CALLS_OUTBOUND_TYPES = _registry(CallerBlocked, CallerUnblocked, QaItemOpened,
                                 CallNormBreached, BlockReviewDue, BlockRefused)
