"""Request and response bodies of agent authority: the monthly report
(``GET /api/v1/reports/authority``), the audit queue (``GET /api/v1/audits``) and a verdict
(``POST /api/v1/audits/{audit_id}/verdict``). Amounts and rates are decimal strings, as
everywhere in the API; the report's fields are :mod:`ledger.authority`'s."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from api.schemas import Amount, _Body

__all__ = ["AuditItemView", "AuditPage", "AuthorityReport", "FlagView", "GroupView",
           "PilotView", "ReasonView", "VerdictPublished", "VerdictRequest"]

Rate = Amount
Note = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]


class ReasonView(_Body):
    """A contact reason's month (``all``: every reason)."""

    contact_reason: str
    contacts: int
    grants: int
    amount: Amount
    needed_approval: int = Field(description="grants above the grantor's own limit")
    approval_share: Rate | None = Field(description="needed_approval / grants")
    approvals: int = Field(description="requests made in the month and decided")
    wait_p50: int | None = Field(description="working seconds, request to decision")
    wait_p90: int | None
    audited: int = Field(description="audit items of the month's grants")
    verdicts: int
    compliant: int
    audit_compliance: Rate | None = Field(description="compliant / verdicts")
    csat_responses: int
    csat_mean: Amount | None


class FlagView(_Body):
    """An over-generous agent, with the figures behind the flag."""

    flag_id: str
    agent: str
    level: str
    team: str | None
    contact_reason: str
    metrics: list[str]
    contacts: int
    grants: int
    amount: Amount
    grant_rate: float
    amount_per_grant: Amount
    peers: int
    peer_median_rate: float
    peer_mad_rate: float
    peer_median_amount: Amount
    peer_mad_amount: Amount
    rate_score: float
    amount_score: float
    raised: bool = Field(description="its authority.flagged is in the ledger")


class GroupView(_Body):
    """One side of a pilot: its agents, or the rest of their level."""

    agents: int
    contacts: int
    grants: int
    amount: Amount
    cost_per_contact: Amount | None
    csat_responses: int
    csat_mean: Amount | None
    repeat_contacts: int
    repeat_rate: Rate | None
    approvals_needed: int
    approvals_avoided: int = Field(
        description="pilot grants above the normal limit and within the pilot's")
    verdicts: int
    compliant: int
    audit_compliance: Rate | None


class PilotView(_Body):
    pilot: str
    first_day: date
    last_day: date
    pilot_agents: GroupView
    rest: GroupView


class AuthorityReport(_Body):
    """The month's agent-authority report (as ``sla-police report authority``)."""

    period: str
    currency: str
    reasons: list[ReasonView]
    total: ReasonView
    flags: list[FlagView]
    pilots: list[PilotView]


class AuditItemView(_Body):
    """An audit item with the grant's figures; open while ``verdict`` is empty."""

    audit_id: str
    status: Literal["open", "closed"]
    ticket: str
    grant_id: str
    agent: str
    level: str | None
    team: str | None
    contact_reason: str
    kind: str | None
    amount: Amount
    currency: str
    selected_by: str | None = Field(description="threshold or sample")
    granted_at: datetime
    verdict: Literal["compliant", "non_compliant"] | None
    auditor: str | None
    note: str | None
    closed_at: datetime | None


class AuditPage(_Body):
    items: list[AuditItemView]
    next_cursor: str | None


class VerdictRequest(_Body):
    """An auditor's verdict on an audit item."""

    verdict: Literal["compliant", "non_compliant"]
    note: Note | None = None


class VerdictPublished(_Body):
    verdict_id: str = Field(description="id of the audit.completed event")
    audit_id: str
    ticket: str
    verdict: Literal["compliant", "non_compliant"]
    auditor: str
    completed_at: datetime
    status: Literal["published"] = "published"
