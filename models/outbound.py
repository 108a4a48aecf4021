"""Outbound event types: what SLA Police publishes.

Ids are deterministic (see :func:`models.ids.outcome_id`), so a reprocessed
input never yields a second, different event: consumers dedupe by ``id``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from models._envelope import CloudEvent, DepartmentId, Model, SchemaUri, TicketId
from models.actions import CorrectiveActionOpened, CorrectiveActionReviewed, SlaFixDeclared
from models.authority import AUTHORITY_OUTBOUND_TYPES
from models.schema_ids import dataschema_for

__all__ = [
    "OUTBOUND_TYPES",
    "EventRejected",
    "Metric",
    "NotificationRequested",
    "PenaltyAssessed",
    "PenaltyReversed",
    "SlaAttributed",
    "SlaBreached",
    "SlaCancelled",
    "SlaChargeSettled",
    "SlaClocksChanged",
    "SlaCsatRecorded",
    "SlaDisputeFiled",
    "SlaDisputeRuled",
    "SlaMet",
    "SlaWarning",
]

Metric = Literal["acknowledge", "resolve"]
AttributionReason = Literal["rule", "assignment", "transfer", "dispute"]
SettledBy = Literal["assignment", "transfer", "dispute", "close", "cancel"]


class AttributedData(Model):
    department: DepartmentId
    reason: AttributionReason = Field(description="why this department now holds the ticket")
    rule: str = Field(description="attribution rule that matched, e.g. 'attribution[0]', or the "
                      "event type that moved the ticket")
    previous_department: DepartmentId | None = None
    category: str
    priority: str
    assignee: str | None = None
    attributed_at: AwareDatetime
    caused_by: str = Field(description="id of the inbound event that caused this")
    dispute_id: str | None = Field(default=None, description="the upheld dispute, if any")
    repeat_of: TicketId | None = Field(
        default=None, description="the earlier ticket the complaint repeats, if it says so")
    agent: str | None = Field(
        default=None, description="the contact-center agent who took the complaint")
    customer_ref: str | None = Field(
        default=None, max_length=100,
        description="the complaint's pseudonymous customer reference (the same pseudonym as "
                    "a caller's on the calls topic): lets the calls report find blocked "
                    "callers who complained through another channel")


class ClockData(Model):
    """Fields every SLA outcome carries."""

    department: DepartmentId
    policy: str = Field(description="name of the SLA policy that applies")
    metric: Metric
    cycle: int = Field(ge=1, description="resolve cycle: 1, then +1 per reopen")
    calendar: str
    started_at: AwareDatetime
    due_at: AwareDatetime
    elapsed_seconds: int = Field(ge=0, description="working seconds counted so far")
    target_seconds: int = Field(ge=0, description="working seconds allowed")
    provisional: bool = Field(
        default=False, description="due time relies on a holiday calendar not yet published"
    )
    assignee: str | None = None
    priority: str | None = None
    category: str | None = None
    target: str | None = Field(
        default=None, description="the target as the policy writes it, e.g. '2d' or '16h'")


class WarningData(ClockData):
    threshold: float = Field(gt=0, lt=1, description="warn_at fraction reached")
    warned_at: AwareDatetime


class BreachedData(ClockData):
    breached_at: AwareDatetime


class MetData(ClockData):
    completed_at: AwareDatetime


class CancelledClockData(ClockData):
    cancelled_at: AwareDatetime
    reason: str = Field(description="transferred, cancelled, dispute_upheld, ...")


class PenaltyData(Model):
    department: DepartmentId
    assignee: str | None = Field(default=None, description="employee responsible, when known")
    charged_to: Literal["department", "assignee"] = Field(
        default="department", description="who pays: the department, or the assignee in person"
    )
    rule: str = Field(description="penalty rule name")
    trigger: Literal["breach", "complaint", "recurrence", "authority_exceeded"]
    breach_id: str | None = Field(default=None, description="id of the sla.breached punished")
    metric: Metric | None = None
    base_fine: Decimal
    multiplier: Decimal = Decimal(1)
    capped_amount: Decimal = Field(default=Decimal(0), description="amount removed by the cap")
    fine: Decimal = Field(description="amount charged: base_fine * multiplier - capped_amount")
    points: int = Field(ge=0, description="demerit points")
    currency: str
    period: str = Field(description="cap period the penalty counts towards, e.g. 2026-11")
    assessed_at: AwareDatetime
    action_id: str | None = Field(
        default=None, description="trigger recurrence: the corrective action whose declared "
        "fix the complaint recurred after")


class PenaltyReversedData(Model):
    penalty_id: str
    department: DepartmentId
    assignee: str | None = None
    rule: str
    fine: Decimal
    points: int
    currency: str
    reason: str
    dispute_id: str | None = Field(default=None, description="the upheld dispute, if any")
    caused_by: str | None = Field(default=None, description="id of the event that reversed it")
    reversed_at: AwareDatetime


class ChargeSettledData(Model):
    """On whom a department's per-complaint charge for a ticket falls.

    Settled when the owning department first assigns the ticket to one of its own
    (``assignment``), or, when it never does, when it loses the ticket by a transfer
    (or by an upheld dispute another department filed: ``dispute``) or the ticket is
    closed or cancelled: then the department itself is charged.
    """

    department: DepartmentId = Field(description="the owning department")
    assignee: str | None = Field(
        default=None, description="its assignee; none when it never assigned the ticket")
    settled_by: SettledBy = Field(description="what settled the charge")
    category: str
    priority: str
    attributed_at: AwareDatetime = Field(description="when the department became the owner")
    settled_at: AwareDatetime
    caused_by: str = Field(description="id of the inbound event that settled it")


class DisputeFiledData(Model):
    dispute_id: str = Field(description="id of the attribution.disputed event")
    department: DepartmentId = Field(description="the department that disputes")
    holder: DepartmentId | None = Field(
        default=None, description="the department holding the ticket when it was filed")
    filed_by: str | None = Field(default=None, description="employee who filed it")
    reason: str
    filed_at: AwareDatetime


class DisputeRuledData(Model):
    dispute_id: str = Field(description="id of the attribution.disputed event")
    department: DepartmentId = Field(description="the department that disputed")
    outcome: Literal["upheld", "rejected"]
    to_department: DepartmentId | None = Field(
        default=None, description="where an upheld ruling moved the ticket")
    ruled_by: str | None = Field(default=None, description="who ruled, in the contact center")
    reason: str | None = Field(default=None, description="the ruling's reason, as written")
    filed_at: AwareDatetime | None = None
    ruled_at: AwareDatetime
    caused_by: str = Field(description="id of the dispute.ruled event")


class OpenClock(Model):
    """One open clock of a ticket as of a :class:`ClocksChangedData` snapshot."""

    department: DepartmentId
    policy: str
    metric: Metric
    cycle: int = Field(ge=1)
    calendar: str
    running: bool = Field(description="false while the ticket is paused")
    started_at: AwareDatetime
    elapsed_seconds: int = Field(ge=0, description="working seconds counted at the snapshot")
    target_seconds: int = Field(ge=0, description="working seconds allowed")
    target: str | None = Field(default=None, description="the target as the policy writes it")
    warn_at: list[float] = Field(default_factory=list, description="warning fractions")
    due_at: AwareDatetime | None = Field(
        default=None, description="when it breaches (or breached) if it keeps running; "
        "none while paused")
    warns_at: AwareDatetime | None = Field(
        default=None, description="when it reaches (or reached) its first warning if it "
        "keeps running; none while paused or without warnings")
    warned: bool = Field(description="its first warning threshold is reached")
    breached: bool = Field(description="its target is used up")


class ClocksChangedData(Model):
    """A ticket's open clocks after an inbound event changed them (or who holds them).

    A snapshot, not a delta: the latest ``revision`` of a ticket is all a reader needs
    (the ledger keeps it as the open-clocks table behind the department worklist). An
    empty ``clocks`` list means the ticket has no open clock any more.
    """

    department: DepartmentId | None = Field(description="the department holding the ticket")
    assignee: str | None = None
    status: Literal["open", "resolved", "closed", "cancelled"]
    disputed: bool = Field(description="a dispute of the ticket awaits its ruling")
    priority: str | None = None
    category: str | None = None
    revision: int = Field(ge=1, description="counts this ticket's snapshots: newer wins")
    changed_at: AwareDatetime
    caused_by: str = Field(description="id of the inbound event that changed them")
    clocks: list[OpenClock]


class CsatData(Model):
    """A customer's satisfaction score, charged to the department holding the ticket when
    the score was recorded."""

    department: DepartmentId = Field(description="the department holding the ticket then")
    assignee: str | None = None
    score: int = Field(ge=1, le=5)
    category: str
    priority: str
    recorded_at: AwareDatetime
    caused_by: str = Field(description="id of the csat.recorded event")


class NotificationData(Model):
    department: DepartmentId
    severity: Literal["info", "warning", "breach", "penalty"]
    title: str
    body: str
    ref_id: str = Field(description="id of the event this notification is about")
    ref_type: str


class RejectedData(Model):
    reason: str = Field(description="human-readable reason the input was refused")
    raw: str = Field(description="the payload as received (base64 when not UTF-8)")
    raw_encoding: Literal["utf-8", "base64"] = "utf-8"
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    rejected_at: datetime


class SlaAttributed(CloudEvent):
    type: Literal["sla.attributed"] = "sla.attributed"
    data: AttributedData


class SlaWarning(CloudEvent):
    type: Literal["sla.warning"] = "sla.warning"
    data: WarningData


class SlaBreached(CloudEvent):
    type: Literal["sla.breached"] = "sla.breached"
    data: BreachedData


class SlaMet(CloudEvent):
    type: Literal["sla.met"] = "sla.met"
    data: MetData


class SlaCancelled(CloudEvent):
    type: Literal["sla.cancelled"] = "sla.cancelled"
    data: CancelledClockData


class SlaChargeSettled(CloudEvent):
    type: Literal["sla.charge_settled"] = "sla.charge_settled"
    data: ChargeSettledData


class SlaClocksChanged(CloudEvent):
    type: Literal["sla.clocks_changed"] = "sla.clocks_changed"
    data: ClocksChangedData


class SlaDisputeFiled(CloudEvent):
    type: Literal["sla.dispute_filed"] = "sla.dispute_filed"
    data: DisputeFiledData


class SlaDisputeRuled(CloudEvent):
    type: Literal["sla.dispute_ruled"] = "sla.dispute_ruled"
    data: DisputeRuledData


class SlaCsatRecorded(CloudEvent):
    type: Literal["sla.csat_recorded"] = "sla.csat_recorded"
    data: CsatData


class PenaltyAssessed(CloudEvent):
    type: Literal["penalty.assessed"] = "penalty.assessed"
    dataschema: SchemaUri | None = dataschema_for("penalty.assessed")
    data: PenaltyData


class PenaltyReversed(CloudEvent):
    type: Literal["penalty.reversed"] = "penalty.reversed"
    dataschema: SchemaUri | None = dataschema_for("penalty.reversed")
    data: PenaltyReversedData


class NotificationRequested(CloudEvent):
    type: Literal["notification.requested"] = "notification.requested"
    data: NotificationData


class EventRejected(CloudEvent):
    """Dead letter. ``subject`` is the message key when it is a valid ticket id, else 'unknown'."""

    type: Literal["event.rejected"] = "event.rejected"
    subject: TicketId = "unknown"
    data: RejectedData


OUTBOUND_TYPES: dict[str, type[CloudEvent]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        SlaAttributed,
        SlaWarning,
        SlaBreached,
        SlaMet,
        SlaCancelled,
        SlaChargeSettled,
        SlaDisputeFiled,
        SlaDisputeRuled,
        SlaClocksChanged,
        SlaCsatRecorded,
        PenaltyAssessed,
        PenaltyReversed,
        NotificationRequested,
        EventRejected,
        SlaFixDeclared,
        CorrectiveActionOpened,
        CorrectiveActionReviewed,
    )
} | AUTHORITY_OUTBOUND_TYPES
