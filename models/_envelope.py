"""The CloudEvents 1.0 structured-JSON envelope shared by every event type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

__all__ = [
    "EARLIEST_TIME",
    "MAX_FUTURE_SKEW",
    "CloudEvent",
    "DepartmentId",
    "EventId",
    "NonEmptyText",
    "TicketId",
    "Word",
]

#: Event times before this are absurd for a contact center and are rejected.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
#: Event times further than this ahead of the processing time are rejected.
MAX_FUTURE_SKEW = timedelta(days=1)

TicketId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
DepartmentId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_\-]*$")
]
Word = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
NonEmptyText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class Model(BaseModel):
    """Base of every payload: immutable, unknown fields ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CloudEvent(Model):
    """CloudEvents 1.0 attributes; ``subject`` is the ticket id, ``time`` must carry an offset.

    Subclasses narrow ``type`` to a literal and ``data`` to their payload model.
    When validation context carries ``now`` (a timezone-aware datetime), times more
    than a day ahead of it are rejected; times before 2000 always are.
    """

    specversion: str = "1.0"
    id: EventId
    source: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    type: str
    time: AwareDatetime
    subject: TicketId
    datacontenttype: str = "application/json"
    data: Any = None

    @field_validator("specversion")
    @classmethod
    def _cloudevents_1_0(cls, value: str) -> str:
        if value != "1.0":
            raise ValueError(f"specversion must be '1.0', got {value!r}")
        return value

    @field_validator("datacontenttype")
    @classmethod
    def _json_only(cls, value: str) -> str:
        if value.split(";")[0].strip() != "application/json":
            raise ValueError(f"datacontenttype must be application/json, got {value!r}")
        return value

    @field_validator("time")
    @classmethod
    def _plausible_time(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value < EARLIEST_TIME:
            raise ValueError(f"time {value.isoformat()} is before 2000-01-01")
        now = (info.context or {}).get("now")
        if now is not None and value - now > MAX_FUTURE_SKEW:
            raise ValueError(
                f"time {value.isoformat()} is more than a day after the processing time "
                f"{now.isoformat()}"
            )
        return value

    @property
    def ticket_id(self) -> str:
        return self.subject

    def to_json(self) -> str:
        """Canonical JSON: the same event always serialises to the same bytes."""
        return self.model_dump_json(exclude_none=True)
