"""Canonical JSON of events by orjson, byte for byte what pydantic's serializer writes.

``CloudEvent.to_json`` runs for every output of the replay and 2 to 3 times per output
in the stream worker; pydantic's serializer (``to_json(exclude_none=True)``) spent about
5 µs on an outcome. orjson writes the instance's own ``__dict__`` (the fields, in
declaration order, as pydantic keeps them) in C and calls back into Python only for a
nested model (its dict, ``None`` values left out when it has any); strings, numbers,
booleans, lists and datetimes come out as pydantic writes them (tests/models/test_json.py
compares both serializers on generated events of every outbound type). One difference
is left: an offset with seconds (never parsed from JSON, only old local mean times of a
time zone) pydantic truncates to the minute and orjson rounds; event times are after
2000 and their offsets whole minutes.

Only the classes whose every field is of those types (:func:`_plain_class`) take this
path; any other class, or any value orjson refuses (a lone surrogate, an integer beyond
64 bits, a datetime subclass), is written by pydantic's serializer, as before.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import AwareDatetime, BaseModel

__all__ = ["event_json", "event_json_once"]

_dumps = orjson.dumps
#: A time at offset zero ends in ``Z``, as pydantic writes it.
_UTC_Z = orjson.OPT_UTC_Z
#: Classes known to take (True) or not to take (False) the orjson path.
_PLAIN: dict[type, bool] = {}
#: The fields of a plain class whose annotation admits ``None``, in declaration order.
_NULLABLE: dict[type, tuple[str, ...]] = {}
#: Annotations whose values orjson writes as pydantic does. Not ``Decimal``: pydantic writes
#: it as a string, which orjson leaves to a callback, and a class with decimals (a
#: penalty's four) was then slower than pydantic's serializer: those keep pydantic's.
_SCALARS = (str, int, float, bool, datetime, AwareDatetime, date, type(None))


def event_json(model: BaseModel) -> bytes:
    """``model``'s JSON, ``None`` fields left out: pydantic's bytes (see the module), in a
    bytes object of its own size, which may be held."""
    return b"%s" % event_json_once(model)


def event_json_once(model: BaseModel) -> bytes:
    """:func:`event_json` as orjson returns it, for a caller that uses it at once (writes
    it, copies it into a line, decodes it) and lets it go: orjson's buffer keeps kilobytes
    it does not use, so holding many of these (a batch's outputs) took 6 KB each (10 times
    their size) where a copy costs about 60 ns."""
    cls = model.__class__
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = _plain_class(cls)
    if plain:
        fields = model.__dict__
        if None in fields.values():
            fields = _without_none(fields, _NULLABLE[cls])
        try:
            return _dumps(fields, default=_nested, option=_UTC_Z)
        except TypeError:  # what orjson refuses: pydantic's serializer decides
            pass
    return model.__pydantic_serializer__.to_json(model, exclude_none=True)


def _nested(value: Any) -> Any:
    """orjson's callback: a nested model's fields (``None`` left out)."""
    cls = value.__class__
    if _PLAIN.get(cls):
        fields = value.__dict__
        return _without_none(fields, _NULLABLE[cls]) if None in fields.values() else fields
    raise TypeError(f"not written by orjson: {cls.__name__}")


def _without_none(fields: dict[str, Any], nullable: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``fields`` without its ``None`` values: those of the fields that admit
    ``None`` taken out one by one (cheaper than a comprehension), then any other."""
    fields = fields.copy()
    for name in nullable:
        if fields.get(name, 0) is None:
            del fields[name]
    if None in fields.values():  # a required field left None (a trusted construction)
        return {k: v for k, v in fields.items() if v is not None}
    return fields


def _plain_class(cls: type[BaseModel]) -> bool:
    """Whether pydantic writes ``cls`` as orjson writes its ``__dict__``: no extra fields,
    no serializers or computed fields of its own, fields of plain types or such models."""
    decorators = cls.__pydantic_decorators__
    if (cls.model_config.get("extra") == "allow" or cls.model_config.get("serialize_by_alias")
            or decorators.field_serializers or decorators.model_serializers
            or cls.__pydantic_computed_fields__):
        return False
    _PLAIN[cls] = True  # a model that nests itself is plain if the rest is
    plain = all(_plain_type(field.annotation) and not any(map(_serializes, field.metadata))
                for field in cls.model_fields.values())
    _NULLABLE[cls] = tuple(name for name, field in cls.model_fields.items()
                           if _admits_none(field.annotation))
    _PLAIN[cls] = plain
    return plain


def _admits_none(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_none(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_admits_none(arg) for arg in typing.get_args(annotation))
    return annotation is None or annotation is type(None) or annotation is Any


def _plain_type(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return all(type(v) in (str, int, bool) for v in typing.get_args(annotation))
    if origin is typing.Annotated:  # constraints only check: the value is written as is
        return not any(map(_serializes, annotation.__metadata__)) and _plain_type(
            typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        return all(_plain_type(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation.__subclasses__():  # pydantic writes a subclass's value as this class
            return False
        plain = _PLAIN.get(annotation)
        return plain if plain is not None else _plain_class(annotation)
    return annotation in _SCALARS


def _serializes(metadata: Any) -> bool:
    """Annotation metadata that changes how pydantic writes a value (a serializer)."""
    return hasattr(metadata, "func") or "Serializer" in type(metadata).__name__
