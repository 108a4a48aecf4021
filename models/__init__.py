"""The event contract: CloudEvents 1.0 models, topics, deterministic ids, parsing.

Everything that crosses a Kafka topic is one of these models. JSON Schemas in
``models/schemas/`` are generated from them (``sla-police schemas --write``).
"""

from models._envelope import EARLIEST_TIME, MAX_FUTURE_SKEW, CloudEvent
from models.authority import AUTHORITY_INBOUND_TYPES, AUTHORITY_OUTBOUND_TYPES
from models.calls import CALLS_INBOUND_TYPES, CALLS_OUTBOUND_TYPES
from models.feeds import FEED_TYPES, VolumeReported
from models.ids import derived_id
from models.inbound import (
    INBOUND_TYPES,
    AttributionDisputed,
    ComplaintReceived,
    CsatRecorded,
    DisputeRuled,
    TicketAcknowledged,
    TicketAssigned,
    TicketCancelled,
    TicketClosed,
    TicketPaused,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketTransferred,
)
from models.outbound import (
    OUTBOUND_TYPES,
    EventRejected,
    NotificationRequested,
    PenaltyAssessed,
    PenaltyReversed,
    SlaAttributed,
    SlaBreached,
    SlaCancelled,
    SlaChargeSettled,
    SlaClocksChanged,
    SlaCsatRecorded,
    SlaDisputeFiled,
    SlaDisputeRuled,
    SlaMet,
    SlaWarning,
)
from models.parse import ALL_TYPES, KEPT_TYPES, PUBLISHED_TYPES, Rejection, parse_event

__all__ = [
    "ALL_TYPES",
    "AUTHORITY_INBOUND_TYPES",
    "AUTHORITY_OUTBOUND_TYPES",
    "CALLS_INBOUND_TYPES",
    "CALLS_OUTBOUND_TYPES",
    "EARLIEST_TIME",
    "FEED_TYPES",
    "INBOUND_TYPES",
    "KEPT_TYPES",
    "MAX_FUTURE_SKEW",
    "OUTBOUND_TYPES",
    "PUBLISHED_TYPES",
    "AttributionDisputed",
    "CloudEvent",
    "ComplaintReceived",
    "CsatRecorded",
    "DisputeRuled",
    "EventRejected",
    "NotificationRequested",
    "PenaltyAssessed",
    "PenaltyReversed",
    "Rejection",
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
    "TicketAcknowledged",
    "TicketAssigned",
    "TicketCancelled",
    "TicketClosed",
    "TicketPaused",
    "TicketReopened",
    "TicketResolved",
    "TicketResumed",
    "TicketTransferred",
    "VolumeReported",
    "derived_id",
    "parse_event",
]
