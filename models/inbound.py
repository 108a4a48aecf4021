"""Inbound event types: what the contact center's systems publish about tickets.

One model per CloudEvents ``type``. ``complaint.received`` goes to the
``complaints`` topic, every other inbound type to ``ticket-events``; both are
keyed by ticket id (the event's ``subject``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from models._envelope import CloudEvent, DepartmentId, Model, NonEmptyText, TicketId, Word
from models.actions import CorrectiveActionFixed
from models.authority import AUTHORITY_INBOUND_TYPES

__all__ = [
    "INBOUND_TYPES",
    "AttributionDisputed",
    "Channel",
    "ComplaintData",
    "ComplaintReceived",
    "CsatRecorded",
    "DisputeRuled",
    "Priority",
    "TicketAcknowledged",
    "TicketAssigned",
    "TicketCancelled",
    "TicketClosed",
    "TicketPaused",
    "TicketReopened",
    "TicketResolved",
    "TicketResumed",
    "TicketTransferred",
]

Priority = Literal["P1", "P2", "P3", "P4"]
Channel = Literal["phone", "chat", "email", "app", "social", "store", "other"]
Category = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
]
PersonId = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ComplaintData(Model):
    customer_ref: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="pseudonymous customer reference (never a name or phone number)"
    )
    channel: Channel
    category: Category = Field(description="dotted category, e.g. delivery.late")
    priority: Priority
    product: Annotated[str, StringConstraints(max_length=100)] | None = None
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    summary: Annotated[str, StringConstraints(max_length=2000)] | None = None
    repeat_of: TicketId | None = Field(default=None, description="earlier ticket id")
    assignee: PersonId | None = Field(default=None, description="employee id, when known")
    agent: PersonId | None = Field(
        default=None, description="the contact-center agent who took the contact: a contact "
        "of theirs for agent authority (grant rate per contact)")


class ActorData(Model):
    """Payload of events that need nothing but who did it."""

    actor: PersonId | None = Field(default=None, description="employee id of who acted")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class AssignedData(Model):
    department: DepartmentId
    assignee: PersonId | None = None


class PausedData(ActorData):
    reason: Word = Field(description="awaiting_customer, awaiting_third_party, or another word")


class CancelledData(ActorData):
    reason: NonEmptyText


class TransferredData(ActorData):
    to_department: DepartmentId
    reason: NonEmptyText
    assignee: PersonId | None = None


class DisputedData(ActorData):
    department: DepartmentId = Field(description="the department that disputes attribution")
    reason: NonEmptyText


class RuledData(ActorData):
    dispute_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="id of the attribution.disputed event"
    )
    outcome: Literal["upheld", "rejected"]
    to_department: DepartmentId | None = Field(default=None, description="required when upheld")
    reason: NonEmptyText | None = Field(default=None, description="why it was ruled so")

    @model_validator(mode="after")
    def _upheld_names_a_department(self) -> RuledData:
        if self.outcome == "upheld" and self.to_department is None:
            raise ValueError("an upheld ruling must name to_department")
        return self


class CsatData(Model):
    score: int = Field(ge=1, le=5)


class ComplaintReceived(CloudEvent):
    type: Literal["complaint.received"] = "complaint.received"
    data: ComplaintData


class TicketAssigned(CloudEvent):
    type: Literal["ticket.assigned"] = "ticket.assigned"
    data: AssignedData


class TicketAcknowledged(CloudEvent):
    type: Literal["ticket.acknowledged"] = "ticket.acknowledged"
    data: ActorData = ActorData()


class TicketPaused(CloudEvent):
    type: Literal["ticket.paused"] = "ticket.paused"
    data: PausedData


class TicketResumed(CloudEvent):
    type: Literal["ticket.resumed"] = "ticket.resumed"
    data: ActorData = ActorData()


class TicketResolved(CloudEvent):
    type: Literal["ticket.resolved"] = "ticket.resolved"
    data: ActorData = ActorData()


class TicketReopened(CloudEvent):
    type: Literal["ticket.reopened"] = "ticket.reopened"
    data: ActorData = ActorData()


class TicketClosed(CloudEvent):
    type: Literal["ticket.closed"] = "ticket.closed"
    data: ActorData = ActorData()


class TicketCancelled(CloudEvent):
    type: Literal["ticket.cancelled"] = "ticket.cancelled"
    data: CancelledData


class TicketTransferred(CloudEvent):
    type: Literal["ticket.transferred"] = "ticket.transferred"
    data: TransferredData


class AttributionDisputed(CloudEvent):
    type: Literal["attribution.disputed"] = "attribution.disputed"
    data: DisputedData


class DisputeRuled(CloudEvent):
    type: Literal["dispute.ruled"] = "dispute.ruled"
    data: RuledData


class CsatRecorded(CloudEvent):
    type: Literal["csat.recorded"] = "csat.recorded"
    data: CsatData


INBOUND_TYPES: dict[str, type[CloudEvent]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        ComplaintReceived,
        TicketAssigned,
        TicketAcknowledged,
        TicketPaused,
        TicketResumed,
        TicketResolved,
        TicketReopened,
        TicketClosed,
        TicketCancelled,
        TicketTransferred,
        AttributionDisputed,
        DisputeRuled,
        CsatRecorded,
        CorrectiveActionFixed,
    )
} | AUTHORITY_INBOUND_TYPES
