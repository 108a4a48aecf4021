"""The stages' interfaces: the production class and its fake both implement each one.

The stage tests run on the fakes; they say something about the worker only while the
fakes take the same calls as the production classes. A method renamed, made sync, or
given another parameter in one of them but not the other fails here.
"""

from __future__ import annotations

import inspect

import pytest

from streams.emit import Emitter
from streams.fakes import ColumnDictStore, DictStore, RecordingEmitter, SettableCommitted
from streams.interfaces import ColumnStore, CommittedOffsets, KeyValueStore, OutputSink
from streams.offsets import KnownCommitted
from streams.table_writes import ColumnTable, DirectTable

CASES = [(OutputSink, Emitter, RecordingEmitter),
         (CommittedOffsets, KnownCommitted, SettableCommitted),
         (KeyValueStore, DirectTable, DictStore),
         (ColumnStore, ColumnTable, ColumnDictStore)]


def methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if inspect.isfunction(value)
            and name not in ("__init__", "__subclasshook__")]


def shape(function: object) -> tuple[bool, list[tuple[str, object, object]]]:
    """(coroutine?, [(name, kind, default)]): the call a stage makes must fit."""
    parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    return (inspect.iscoroutinefunction(function),
            [(p.name, p.kind, p.default) for p in parameters])


@pytest.mark.parametrize(("protocol", "production", "fake"), CASES,
                         ids=[case[0].__name__ for case in CASES])
def test_the_production_class_and_the_fake_take_the_same_calls(
        protocol: type, production: type, fake: type) -> None:
    names = methods(protocol)
    assert names
    for name in names:
        expected = shape(getattr(protocol, name))
        assert shape(getattr(production, name)) == expected, f"{production.__name__}.{name}"
        assert shape(getattr(fake, name)) == expected, f"{fake.__name__}.{name}"
