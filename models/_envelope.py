"""The CloudEvents 1.0 structured-JSON envelope shared by every event type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
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
    "trusted",
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
    Times before 2000 are rejected here; times too far ahead of the processing
    time are rejected by :func:`models.parse.parse_event`, which knows ``now``.
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
    def _plausible_time(cls, value: datetime) -> datetime:
        if value < EARLIEST_TIME:
            raise ValueError(f"time {value.isoformat()} is before 2000-01-01")
        return value

    @property
    def ticket_id(self) -> str:
        return self.subject

    def to_json(self) -> str:
        """Canonical JSON: the same event always serialises to the same bytes."""
        return self.model_dump_json(exclude_none=True)


def trusted(cls: type[BaseModel], **values: Any) -> Any:
    """Build ``cls`` from values that are already valid, skipping validation.

    Outbound events are made from state that was validated on the way in; this
    is :meth:`BaseModel.model_construct` without its per-call overhead (it runs
    for every outcome). Missing fields take their defaults; ``None`` values are
    kept (``to_json`` leaves them out).
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {
            name: None if field.is_required() else field.get_default(call_default_factory=True)
            for name, field in cls.model_fields.items()
        }
    obj = cls.__new__(cls)
    fields = defaults.copy()  # keeps declaration order; update() keeps positions
    fields.update(values)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_DEFAULTS: dict[type, dict[str, Any]] = {}
