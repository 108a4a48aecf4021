"""Commands as inbound events: what the API publishes when a principal files a dispute or
rules on one.

An event's id is derived from the ``Idempotency-Key`` header when the client sends one
(UUIDv5 of the principal, the event type and the key), so a retried request publishes the
same id and the stream, which ignores repeated ids, acts once. Without the header each
request gets a fresh UUIDv4.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from models import AttributionDisputed, DisputeRuled
from models.ids import derived_id

__all__ = ["command_id", "dispute_event", "ruling_event"]


def command_id(principal: str, event_type: str, idempotency_key: str | None) -> str:
    """The id of a command event: deterministic with an idempotency key, else random."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return derived_id("api", principal, event_type, idempotency_key)


def dispute_event(event_id: str, source: str, at: datetime, ticket: str, department: str,
                  filed_by: str, reason: str, note: str | None) -> AttributionDisputed:
    """``attribution.disputed``: ``department`` disputes owning ``ticket``; ``actor`` is the
    principal who filed it (the stream records it as ``filed_by``)."""
    data: dict[str, Any] = {"department": department, "reason": reason, "actor": filed_by}
    if note is not None:
        data["note"] = note
    return AttributionDisputed.model_validate({
        "id": event_id, "source": source, "time": at, "subject": ticket, "data": data})


def ruling_event(event_id: str, source: str, at: datetime, ticket: str, dispute_id: str,
                 outcome: str, to_department: str | None, reason: str,
                 ruled_by: str) -> DisputeRuled:
    """``dispute.ruled`` on ``dispute_id``; ``actor`` is the contact-center principal."""
    data: dict[str, Any] = {"dispute_id": dispute_id, "outcome": outcome, "reason": reason,
                            "actor": ruled_by}
    if to_department is not None:
        data["to_department"] = to_department
    return DisputeRuled.model_validate({
        "id": event_id, "source": source, "time": at, "subject": ticket, "data": data})
