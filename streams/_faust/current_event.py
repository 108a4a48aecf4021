"""Faust's current event, named by the pipeline for each message of a batch.

Faust keeps the event an agent is processing in a context variable
(``faust.streams._current_event``, read by ``faust.streams.current_event()``), and its
RocksDB store picks a partition's database by it: ``Store._set`` asserts there is one,
``Store._get`` reads only that partition's database when there is. An agent iterating
``stream.events()`` has it set by the iteration. ``stream.take_events`` fills its buffer
in a task of its own, so inside the agent's body processing a batch no event is current:
every RocksDB table write failed (``AssertionError`` in ``_set``, the first run of the
SIGKILL test). :func:`processing` sets it in the agent's own task, where it stays until
set again (each agent task has its own value).
"""

from __future__ import annotations

import contextvars
import weakref
from typing import Any

import faust.streams
from faust.stores import rocksdb

from streams._faust.check import Requirement, uses

__all__ = ["REQUIRES", "processing"]


def processing(event: Any) -> None:
    """Make ``event`` Faust's current event in this task (None: no event)."""
    faust.streams._current_event.set(None if event is None else weakref.ref(event))


_PATCH = "current event of a batch"


def _is_context_var() -> str | None:
    found = getattr(faust.streams, "_current_event", None)
    if not isinstance(found, contextvars.ContextVar):
        return f"not a ContextVar: {found!r}"
    return None


def _read_by_current_event() -> str | None:
    names = faust.streams.current_event.__code__.co_names
    return None if "_current_event" in names else "no longer read by current_event()"


REQUIRES: tuple[Requirement, ...] = (
    Requirement(_PATCH, "faust.streams._current_event", _is_context_var),
    Requirement(_PATCH, "faust.streams.current_event", _read_by_current_event),
    uses(_PATCH, rocksdb.Store, "_set", "current_event"),
    uses(_PATCH, rocksdb.Store, "_get", "current_event"),
)
