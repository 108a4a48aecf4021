"""Decode raw bytes into a typed event, or a rejection with a human-readable reason.

:func:`parse_event` never raises on bad input: bad bytes, broken JSON, missing
fields, unknown types and absurd times all come back as :class:`Rejection`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, TypeAdapter, ValidationError

from models._envelope import MAX_FUTURE_SKEW, CloudEvent
from models.authority import ROSTER_TYPES
from models.calls import CALLS_INBOUND_TYPES, CALLS_OUTBOUND_TYPES
from models.feeds import FEED_TYPES
from models.inbound import INBOUND_TYPES
from models.outbound import OUTBOUND_TYPES

__all__ = ["ALL_TYPES", "KEPT_TYPES", "PUBLISHED_TYPES", "Rejection", "parse_event"]

ALL_TYPES: dict[str, type[CloudEvent]] = {**INBOUND_TYPES, **FEED_TYPES, **OUTBOUND_TYPES,
                                          **ROSTER_TYPES, **CALLS_INBOUND_TYPES,
                                          **CALLS_OUTBOUND_TYPES}
#: What producers publish (``sla-police publish``): ticket events, business feeds and the
#: calls inputs (each to its own topic: :func:`models.topics.inbound_topic_for`).
PUBLISHED_TYPES: dict[str, type[CloudEvent]] = {**INBOUND_TYPES, **FEED_TYPES,
                                                **CALLS_INBOUND_TYPES}
#: What the ledger keeps: every outbound type and the business feeds.
KEPT_TYPES: dict[str, type[CloudEvent]] = {**OUTBOUND_TYPES, **FEED_TYPES}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a payload was refused. ``reason`` is written for a person."""

    reason: str


def _adapter(types: dict[str, type[CloudEvent]]) -> TypeAdapter[Any]:
    """A validator for the tagged union of ``types``, dispatching on ``type``."""
    union = Union[tuple(types.values())]  # noqa: UP007  (built at run time)
    return TypeAdapter(Annotated[union, Discriminator("type")])


#: ``roster``: the agent roster events of the ``agents`` topic; ``calls``: what the calls
#: stage and its replay read (the ``calls`` topic).
_KNOWN = {"inbound": INBOUND_TYPES, "publish": PUBLISHED_TYPES, "any": ALL_TYPES,
          "roster": ROSTER_TYPES, "calls": CALLS_INBOUND_TYPES}
_ADAPTERS = {mode: _adapter(types) for mode, types in _KNOWN.items()}
#: Their schema validators, called without the adapters' Python wrapper (it runs per event).
_VALIDATORS = {mode: adapter.validator for mode, adapter in _ADAPTERS.items()}


def parse_event(
    raw: bytes | str | None,
    *,
    now: datetime | None = None,
    accept: Literal["inbound", "publish", "any", "roster", "calls"] = "inbound",
) -> CloudEvent | Rejection:
    """Parse one JSON CloudEvent.

    ``now`` (timezone-aware) is the processing time: events more than a day after
    it are rejected. ``accept="inbound"`` refuses outbound types, which must never
    be published to the inbound topics; ``accept="publish"`` takes the business feeds
    (``volume.reported``) and the calls inputs too, which travel on their own topics;
    ``accept="roster"`` takes only ``agent.updated`` (:mod:`models.authority`),
    ``accept="calls"`` only the calls inputs (:mod:`models.calls`).
    """
    if raw is None or len(raw) == 0:
        return Rejection("empty message: expected a JSON CloudEvent")
    try:
        event = _VALIDATORS[accept].validate_json(raw)
    except ValidationError as exc:
        return Rejection(_explain(exc, _KNOWN[accept]))
    except Exception as exc:  # pydantic raises only ValidationError; belt and braces
        return Rejection(f"unreadable payload: {type(exc).__name__}: {exc}")
    if now is not None and event.time - now > MAX_FUTURE_SKEW:
        return Rejection(f"time: time {event.time.isoformat()} is more than a day after the "
                         f"processing time {now.isoformat()}")
    return event


def _explain(exc: ValidationError, known: dict[str, type[CloudEvent]]) -> str:
    messages = []
    for err in exc.errors(include_url=False, include_input=True)[:5]:
        kind, loc = err["type"], ".".join(str(p) for p in _user_loc(err["loc"]))
        if kind == "json_invalid":
            messages.append(f"invalid JSON: {err['ctx'].get('error', err['msg'])}")
        elif kind == "union_tag_invalid":
            messages.append(_unknown_type(err["ctx"].get("tag"), known))
        elif kind == "union_tag_not_found":
            messages.append("missing field 'type'")
        elif kind in {"model_type", "model_attributes_type", "dict_type"}:
            messages.append(f"{loc or 'payload'}: expected a JSON object")
        elif kind == "missing":
            messages.append(f"missing field {loc!r}")
        elif kind == "timezone_aware":
            messages.append(f"{loc}: time has no UTC offset (naive times are refused)")
        elif loc in _ENVELOPE_CHECKS and kind in _ENVELOPE_CHECKS[loc][0]:
            messages.append(f"{loc}: {_ENVELOPE_CHECKS[loc][1](err.get('input'))}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            messages.append(f"{loc}: {msg}" if loc else msg)
    extra = len(exc.errors()) - 5
    if extra > 0:
        messages.append(f"and {extra} more")
    return "; ".join(messages)


#: Readable reasons for the envelope checks pydantic-core makes (field -> error kinds, text).
_ENVELOPE_CHECKS: dict[str, tuple[set[str], Any]] = {
    "specversion": ({"literal_error"}, lambda v: f"specversion must be '1.0', got {v!r}"),
    "datacontenttype": ({"string_pattern_mismatch"},
                        lambda v: f"datacontenttype must be application/json, got {v!r}"),
    "time": ({"greater_than_equal"}, lambda v: f"time {v} is before 2000-01-01"),
}


def _unknown_type(tag: object, known: dict[str, type[CloudEvent]]) -> str:
    if isinstance(tag, str) and tag in FEED_TYPES:
        return (f"event type {tag!r} is keyed by department: publish it to the 'volumes' "
                "topic, not to a ticket topic")
    if isinstance(tag, str) and tag in ROSTER_TYPES:
        return (f"event type {tag!r} is keyed by agent: publish it to the 'agents' topic, "
                "not to a ticket topic")
    if isinstance(tag, str) and tag in CALLS_INBOUND_TYPES:
        return (f"event type {tag!r} is a calls event keyed by caller: publish it to the "
                "'calls' topic; the ticket stream does not process it")
    if isinstance(tag, str) and tag in INBOUND_TYPES:
        return f"event type {tag!r} is a ticket event: publish it to the ticket topics"
    if isinstance(tag, str) and tag in ALL_TYPES:
        return f"event type {tag!r} is published by SLA Police and is not accepted as input"
    return f"unknown event type {tag!r}; expected one of: {', '.join(known)}"


def _user_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the union tag pydantic puts first (e.g. 'complaint.received')."""
    return loc[1:] if loc and isinstance(loc[0], str) and loc[0] in ALL_TYPES else loc
