"""The CloudEvents 1.0 structured-JSON envelope shared by every event type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from models._json import event_json, event_json_once

__all__ = [
    "EARLIEST_TIME",
    "MAX_FUTURE_SKEW",
    "CloudEvent",
    "DepartmentId",
    "EventId",
    "NonEmptyText",
    "SchemaUri",
    "TicketId",
    "Word",
    "trusted",
    "trusted_complete",
    "trusted_event",
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
#: CloudEvents datacontenttype values accepted: JSON, with optional parameters.
JSON_CONTENT_TYPE = r"^\s*application/json\s*(;[\s\S]*)?$"
NonEmptyText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
#: An absolute URI (CloudEvents ``dataschema``): a scheme, a colon, no spaces.
SchemaUri = Annotated[
    str, StringConstraints(max_length=2000, pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")]


class Model(BaseModel):
    """Base of every payload: immutable, unknown fields ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CloudEvent(Model):
    """CloudEvents 1.0 attributes; ``subject`` is the ticket id, ``time`` must carry an offset.

    Subclasses narrow ``type`` to a literal and ``data`` to their payload model.
    Times before 2000 are rejected here; times too far ahead of the processing
    time are rejected by :func:`models.parse.parse_event`, which knows ``now``.
    """

    # Checked by pydantic-core itself (no Python validators: they ran for every
    # event); models.parse turns these errors into the readable reasons.
    specversion: Literal["1.0"] = "1.0"
    id: EventId
    source: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    type: str
    time: Annotated[AwareDatetime, Field(ge=EARLIEST_TIME)]
    subject: TicketId
    datacontenttype: Annotated[str, StringConstraints(pattern=JSON_CONTENT_TYPE)] = (
        "application/json")
    #: URI of the JSON Schema ``data`` follows (optional CloudEvents attribute); the
    #: versioned outbound types set it (:mod:`models.schema_ids`)
    dataschema: SchemaUri | None = None
    data: Any = None

    @property
    def ticket_id(self) -> str:
        return self.subject

    def to_json(self) -> str:
        """Canonical JSON: the same event always serialises to the same bytes (pydantic's
        ``to_json(exclude_none=True)``, written by orjson: :mod:`models._json`)."""
        return event_json_once(self).decode()

    def to_json_bytes(self) -> bytes:
        """:meth:`to_json` encoded as UTF-8, as the serializer writes it (no decoding)."""
        return event_json(self)


def trusted(cls: type[BaseModel], values: dict[str, Any]) -> Any:
    """Build ``cls`` from values that are already valid, skipping validation.

    Outbound events are made from state that was validated on the way in; this
    is :meth:`BaseModel.model_construct` without its per-call overhead (it runs
    for every outcome, so it writes the instance slots through their descriptors).
    Missing fields take their defaults; ``None`` values are kept (``to_json``
    leaves them out).
    """
    fields = _defaults(cls).copy()  # keeps declaration order; update() keeps positions
    fields.update(values)
    return _fill(_new(cls), fields, set(values))


def trusted_event(cls: type[CloudEvent], event_id: str, source: str, time: datetime,
                  subject: str, data: dict[str, Any]) -> Any:
    """An outbound event of ``cls`` and its payload, built as :func:`trusted` would.

    The same dicts, made with less work (this runs for every outcome): the envelope
    is written in declaration order at once, and ``data``, when it already names
    every payload field in declaration order, becomes the payload's own dict. The
    callers build ``data`` fresh for each event and never touch it afterwards. Every
    event (and every payload) of a class shares one fields-set object: frozen models
    never change it, and ``model_copy`` copies it before adding to it.
    """
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _shape(cls)
    data_model, order, data_set, envelope = shape
    if len(data) == len(order) and tuple(data) == order:
        payload = _new(data_model)  # _fill(), inlined: twice per outcome
        _set_dict(payload, data)
        _set_fields_set(payload, data_set)
        _set_extra(payload, None)
        _set_private(payload, None)
    else:
        payload = trusted(data_model, data)
    if envelope is None:  # an envelope of another shape: the general way
        return trusted(cls, {"id": event_id, "source": source, "time": time,
                             "subject": subject, "data": payload})
    spec, kind, content, schema = envelope
    event = _new(cls)
    _set_dict(event, {"specversion": spec, "id": event_id, "source": source, "type": kind,
                      "time": time, "subject": subject, "datacontenttype": content,
                      "dataschema": schema, "data": payload})
    _set_fields_set(event, _ENVELOPE_SET)
    _set_extra(event, None)
    _set_private(event, None)
    return event


def trusted_complete(cls: type[BaseModel], values: dict[str, Any]) -> Any:
    """:func:`trusted` for ``values`` that name every field of ``cls`` in declaration
    order (the caller's promise, checked by the tests): they become the instance's own
    dict, with no copy (the fields-set object is shared, as in :func:`trusted_event`)."""
    fields_set = _COMPLETE.get(cls)
    if fields_set is None:
        fields_set = _COMPLETE[cls] = set(_defaults(cls))
    obj = _new(cls)  # _fill(), inlined: once per open clock of every snapshot
    _set_dict(obj, values)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {
            name: None if field.is_required() else field.get_default(call_default_factory=True)
            for name, field in cls.model_fields.items()
        }
    return defaults


def _fill(obj: Any, fields: dict[str, Any], fields_set: set[str]) -> Any:
    _set_dict(obj, fields)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def _shape(cls: type[CloudEvent]) -> tuple[Any, tuple[str, ...], set[str],
                                            tuple[Any, ...] | None]:
    """(payload model, its field names, their shared set, envelope defaults) of an
    event class."""
    data_model = cls.model_fields["data"].annotation
    defaults = _defaults(cls)
    envelope = ((defaults["specversion"], defaults["type"], defaults["datacontenttype"],
                 defaults["dataschema"]) if tuple(defaults) == _ENVELOPE else None)
    order = tuple(_defaults(data_model))
    return data_model, order, set(order), envelope


_ENVELOPE = ("specversion", "id", "source", "type", "time", "subject", "datacontenttype",
             "dataschema", "data")
#: The fields set of every envelope :func:`trusted_event` builds (shared: see there).
_ENVELOPE_SET = {"id", "source", "time", "subject", "data"}
_SHAPES: dict[type, tuple[Any, tuple[str, ...], set[str], tuple[Any, ...] | None]] = {}
_COMPLETE: dict[type, set[str]] = {}
_DEFAULTS: dict[type, dict[str, Any]] = {}
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
