"""``CloudEvent.to_json`` (orjson, :mod:`models._json`) writes pydantic's bytes.

The events are generated from each class's annotations and built without validation
(``model_construct``), so the values reach the serializers exactly as generated: any
string (non-ASCII, control characters), float, decimal, offset and nesting, ``None`` in
optional fields and in required ones (trusted constructions leave missing fields None).
"""

from __future__ import annotations

import types
import typing
import warnings
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel
from pydantic_core import TzInfo

from models import ALL_TYPES, OUTBOUND_TYPES, CloudEvent
from models._json import _PLAIN, event_json

# Whole minutes: offsets with seconds are never parsed, and only zones' local mean times
# before 1900 have them (module docstring of models._json).
_MINUTES = st.integers(-23 * 60 - 59, 23 * 60 + 59)
_DATETIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.one_of(st.just(UTC),
                                     _MINUTES.map(lambda m: timezone(timedelta(minutes=m))),
                                     _MINUTES.map(lambda m: TzInfo(m * 60)))),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30),
                 timezones=st.timezones()))
_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(max_size=12),
    int: st.integers(-(2**63), 2**63 - 1),
    float: st.floats(),
    bool: st.booleans(),
    datetime: _DATETIMES,
    AwareDatetime: _DATETIMES,
    date: st.dates(),
    Decimal: st.decimals(places=None),
}


def _values(annotation: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``annotation`` (any value of its types, constraints ignored)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is typing.Annotated:
        return _values(args[0], depth)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_values(arg, depth) for arg in args])
    if origin is list:
        return st.lists(_values(args[0], depth), max_size=3)
    if annotation is type(None) or annotation is Any:
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _models(annotation, depth + 1)
    return _SCALARS[annotation]


def _models(cls: type[BaseModel], depth: int = 0) -> st.SearchStrategy[Any]:
    """Instances of ``cls`` built without validation; any field may be None."""
    fields = {name: st.one_of(st.none(), _values(field.annotation, depth)) if depth < 3
              else st.none() for name, field in cls.model_fields.items()}
    return st.fixed_dictionaries(fields).map(lambda values: cls.model_construct(**values))


def _pydantic(event: BaseModel) -> bytes | type[Exception]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a value of another type than declared
            return event.__pydantic_serializer__.to_json(event, exclude_none=True)
    except Exception as exc:  # noqa: BLE001 - both must then refuse it
        return type(exc)


def _ours(event: BaseModel) -> bytes | type[Exception]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return event_json(event)
    except Exception as exc:  # noqa: BLE001
        return type(exc)


@pytest.mark.parametrize("kind", sorted(OUTBOUND_TYPES))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_outbound_json_is_pydantics(kind: str, data: st.DataObject) -> None:
    event = data.draw(_models(OUTBOUND_TYPES[kind]))
    assert _ours(event) == _pydantic(event)


@pytest.mark.parametrize("kind", sorted(set(ALL_TYPES) - set(OUTBOUND_TYPES)))
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_other_json_is_pydantics(kind: str, data: st.DataObject) -> None:
    event = data.draw(_models(ALL_TYPES[kind]))
    assert _ours(event) == _pydantic(event)


def test_outbound_types_take_the_orjson_path() -> None:
    """The point of the module: the outbound types without decimals (all but the penalties
    and concessions) take orjson's path."""
    for cls in OUTBOUND_TYPES.values():
        event_json(cls.model_construct())
    orjsons = {kind for kind, cls in OUTBOUND_TYPES.items() if _PLAIN[cls]}
    assert {"sla.clocks_changed", "sla.met", "sla.attributed", "sla.charge_settled",
            "notification.requested", "event.rejected"} <= orjsons
    assert "penalty.assessed" not in orjsons


def test_what_orjson_refuses_pydantic_writes() -> None:
    """A lone surrogate, an integer beyond 64 bits: pydantic's serializer decides."""
    cls = OUTBOUND_TYPES["notification.requested"]
    for value in ("\udc80", 2**70):
        event = cls.model_construct(id="x", source="s", time=datetime(2026, 1, 1),
                                    subject=value)
        assert _ours(event) == _pydantic(event)


def test_a_subclass_value_is_written_as_its_declared_class() -> None:
    """pydantic writes a field's value by the declared model, not by its own class: a class
    whose field declares a model that has subclasses keeps pydantic's serializer."""

    class Inner(BaseModel):
        a: int

    class Outer(BaseModel):
        inner: Inner

    class Wider(Inner):
        b: int

    outer = Outer.model_construct(inner=Wider(a=1, b=2))
    assert _ours(outer) == _pydantic(outer) == b'{"inner":{"a":1}}'


def test_a_field_left_none_is_left_out() -> None:
    event = CloudEvent.model_construct(id="x", source="s", time=None, subject="T-1")
    assert event.to_json() == _pydantic(event).decode()  # type: ignore[union-attr]
