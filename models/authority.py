"""Agent authority: concessions agents grant customers, approvals, audits, the roster.

The contact center's own agents are policed too (issue 14). Inbound:
``concession.granted``, ``concession.requested``, ``concession.decided`` and
``audit.completed`` are keyed by ticket id on ``ticket-events`` (a concession is part of a
ticket's story, and its contact reason defaults to the ticket's category);
``agent.updated`` is keyed by **agent** on its own ``agents`` topic (the roster is not
about a ticket; every authority worker reads the whole, small topic). Outbound:
``authority.exceeded`` and ``audit.item_opened`` are keyed by ticket id,
``authority.flagged`` (an over-generous agent, for coaching) by agent.

The ticket stream processes the four ticket-keyed inputs (they are in ``INBOUND_TYPES``) and
emits, on the ``authority`` topic keyed by ticket, every grant as judged
(``concession.recorded``), ``authority.exceeded``, ``audit.item_opened``, every decided
request with its wait (``approval.recorded``) and every audit verdict
(``audit.item_closed``). ``authority.flagged`` is raised per month from the ledger
(``sla-police authority flag``), keyed by agent. ``agent.updated`` is in the contract for
a roster fed by events; the stream judges with the policy's roster (``authority.roster``).
Semantics: ``docs/semantics.md``, "Agent authority".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from models._envelope import CloudEvent, Model, TicketId, Word

__all__ = [
    "AUTHORITY_INBOUND_TYPES",
    "AUTHORITY_OUTBOUND_TYPES",
    "ROSTER_TYPES",
    "AgentId",
    "AgentUpdated",
    "ApprovalRecorded",
    "AuditCompleted",
    "AuditItemClosed",
    "AuditItemOpened",
    "AuthorityExceeded",
    "AuthorityFlagged",
    "ConcessionDecided",
    "ConcessionGranted",
    "ConcessionKind",
    "ConcessionRecorded",
    "ConcessionRequested",
]

#: An employee id usable as a message key (the ``subject`` of ``agent.updated``).
AgentId = TicketId
ConcessionKind = Literal["refund", "credit", "voucher", "waiver", "goodwill"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Reason = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
]
RefId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ConcessionData(Model):
    """What an agent gives (or asks leave to give) a customer."""

    agent: AgentId = Field(description="employee id of the agent")
    amount: Amount = Field(description="value of the concession, > 0")
    currency: Currency
    kind: ConcessionKind
    contact_reason: Reason | None = Field(
        default=None, description="dotted contact reason; default: the ticket's category")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class GrantedData(ConcessionData):
    approved_by: AgentId | None = Field(
        default=None, description="who approved it beforehand, when an approval preceded it")
    request_id: RefId | None = Field(
        default=None, description="id of the concession.requested it follows, if any")


class DecidedData(Model):
    request_id: RefId = Field(description="id of the concession.requested event")
    decision: Literal["approved", "declined"]
    decided_by: AgentId = Field(description="employee id of the approver")
    level: Word = Field(description="the approver's authority level, e.g. supervisor")
    amount: Amount | None = Field(
        default=None, description="the amount approved, when not the amount requested")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class AuditVerdictData(Model):
    audit_id: RefId = Field(description="id of the audit.item_opened event")
    verdict: Literal["compliant", "non_compliant"]
    auditor: AgentId
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class AgentData(Model):
    """An agent's place on the roster; a newer ``agent.updated`` replaces an older one."""

    agent: AgentId
    level: Word = Field(description="authority level, one of the policy's levels")
    team: Word = Field(description="the agent's team (pilots name teams)")
    active: bool = Field(default=True, description="false: left the roster")


class ExceededData(Model):
    grant_id: RefId = Field(description="id of the concession.granted event")
    agent: AgentId
    level: str = Field(description="the agent's level when granting")
    team: str | None = None
    contact_reason: str
    kind: ConcessionKind
    amount: Decimal
    currency: str
    limit: Decimal = Field(description="the agent's own limit for this contact reason")
    approved_by: str | None = Field(default=None, description="the approver named, if any")
    approver_level: str | None = None
    approver_limit: Decimal | None = Field(
        default=None, description="the approver's limit, below the amount")
    why: Literal["no_approval", "approver_limit_too_low", "approver_unknown"]
    granted_at: AwareDatetime
    department: str | None = Field(
        default=None, description="the department whose penalty book takes on: "
        "authority_exceeded rules (authority.department); none: no penalty")
    priority: str | None = Field(default=None, description="the ticket's priority")


class AuditItemData(Model):
    audit_id: RefId
    grant_id: RefId = Field(description="id of the concession.granted event")
    agent: AgentId
    level: str
    team: str | None = None
    contact_reason: str
    kind: ConcessionKind
    amount: Decimal
    currency: str
    selected_by: Literal["threshold", "sample"] = Field(
        description="threshold: at or above the audit threshold; sample: drawn below it")
    threshold: Decimal
    sample_rate: float = Field(ge=0, le=1)
    granted_at: AwareDatetime


class RecordedData(Model):
    """A grant as the policy judged it: who, for what, against which limit."""

    grant_id: RefId = Field(description="id of the concession.granted event")
    agent: AgentId
    level: str = Field(description="the agent's level when granting")
    team: str | None = None
    contact_reason: str
    kind: ConcessionKind
    amount: Decimal
    currency: str
    limit: Decimal = Field(description="the agent's own limit for this contact reason")
    pilot: str | None = Field(default=None, description="the pilot whose limits applied")
    needed_approval: bool = Field(description="amount above the agent's own limit")
    approved_by: str | None = None
    request_id: str | None = None
    within_authority: bool = Field(description="false: an authority.exceeded was raised")
    audited: bool = Field(description="an audit item was opened for it")
    granted_at: AwareDatetime


class ApprovalData(Model):
    """A request for leave to grant, decided, with its wait in working time."""

    request_id: RefId = Field(description="id of the concession.requested event")
    agent: AgentId = Field(description="who asked")
    level: str = Field(description="the requester's level")
    team: str | None = None
    contact_reason: str
    kind: ConcessionKind
    amount: Decimal = Field(description="the amount asked for")
    currency: str
    limit: Decimal = Field(description="the requester's own limit for this contact reason")
    decision: Literal["approved", "declined"]
    decided_by: AgentId
    decider_level: str
    requested_at: AwareDatetime
    decided_at: AwareDatetime
    wait_seconds: int = Field(ge=0, description="working seconds from request to decision")
    calendar: str = Field(description="the calendar the wait is counted on")


class ClosedData(Model):
    """An audit item's verdict."""

    audit_id: RefId
    grant_id: RefId
    agent: AgentId
    contact_reason: str
    amount: Decimal
    currency: str
    verdict: Literal["compliant", "non_compliant"]
    auditor: AgentId
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    opened_at: AwareDatetime
    closed_at: AwareDatetime


class FlaggedData(Model):
    """An agent far more generous than peers of the same level, with the figures."""

    flag_id: RefId
    agent: AgentId
    level: str
    team: str | None = None
    contact_reason: str
    period: Month
    metrics: list[Literal["grant_rate", "amount_per_grant"]] = Field(
        min_length=1, description="which figures are far above peers")
    contacts: int = Field(ge=1)
    grants: int = Field(ge=0)
    amount: Decimal
    currency: str
    grant_rate: float = Field(description="grants per contact")
    amount_per_grant: Decimal
    peers: int = Field(ge=1, description="agents of the level compared (the agent included)")
    peer_median_rate: float
    peer_mad_rate: float
    peer_median_amount: Decimal
    peer_mad_amount: Decimal
    rate_score: float = Field(description="(rate - median) / (1.4826 * MAD)")
    amount_score: float
    min_score: float = Field(description="scores at or above this flag")


class ConcessionGranted(CloudEvent):
    type: Literal["concession.granted"] = "concession.granted"
    data: GrantedData


class ConcessionRequested(CloudEvent):
    type: Literal["concession.requested"] = "concession.requested"
    data: ConcessionData


class ConcessionDecided(CloudEvent):
    type: Literal["concession.decided"] = "concession.decided"
    data: DecidedData


class AuditCompleted(CloudEvent):
    type: Literal["audit.completed"] = "audit.completed"
    data: AuditVerdictData


class AgentUpdated(CloudEvent):
    """``subject`` is the agent (the message key on ``agents``), not a ticket."""

    type: Literal["agent.updated"] = "agent.updated"
    subject: AgentId = Field(description="the agent, equal to data.agent")
    data: AgentData

    @model_validator(mode="after")
    def _subject_is_the_agent(self) -> AgentUpdated:
        if self.subject != self.data.agent:
            raise ValueError(f"subject {self.subject!r} must be the agent {self.data.agent!r}")
        return self


class AuthorityExceeded(CloudEvent):
    type: Literal["authority.exceeded"] = "authority.exceeded"
    data: ExceededData


class AuditItemOpened(CloudEvent):
    type: Literal["audit.item_opened"] = "audit.item_opened"
    data: AuditItemData


class ConcessionRecorded(CloudEvent):
    type: Literal["concession.recorded"] = "concession.recorded"
    data: RecordedData


class ApprovalRecorded(CloudEvent):
    type: Literal["approval.recorded"] = "approval.recorded"
    data: ApprovalData


class AuditItemClosed(CloudEvent):
    type: Literal["audit.item_closed"] = "audit.item_closed"
    data: ClosedData


class AuthorityFlagged(CloudEvent):
    """``subject`` is the agent flagged."""

    type: Literal["authority.flagged"] = "authority.flagged"
    data: FlaggedData


def _registry(*classes: type[CloudEvent]) -> dict[str, type[CloudEvent]]:
    return {cls.model_fields["type"].default: cls for cls in classes}


#: Ticket-keyed inputs the ticket stream processes (part of ``INBOUND_TYPES``).
AUTHORITY_INBOUND_TYPES = _registry(ConcessionGranted, ConcessionRequested, ConcessionDecided,
                                    AuditCompleted)
#: The roster fed by events (keyed by agent, ``agents`` topic): in the contract, not read yet.
ROSTER_TYPES = _registry(AgentUpdated)
#: What SLA Police publishes about authority (part of ``OUTBOUND_TYPES``).
AUTHORITY_OUTBOUND_TYPES = _registry(ConcessionRecorded, AuthorityExceeded, AuditItemOpened,
                                     ApprovalRecorded, AuditItemClosed, AuthorityFlagged)
