"""In-memory stand-ins for what the stages reach, to unit-test them without a broker.

The stages take an :class:`~streams.interfaces.OutputSink`, a
:class:`~streams.interfaces.CommittedOffsets` and one
:class:`~streams.interfaces.KeyValueStore` per table (:mod:`streams.interfaces`); these
fakes implement them in memory, and :class:`FakeEvent` is a message as the stages read it::

    stage = TicketStage(engine, RecordingEmitter(), "stream", clock_topic="app-clock",
                        tickets=ColumnDictStore(ticket_partition, due_record_of_value),
                        marks=DictStore(mark_partition),
                        commits=SettableCommitted())
    await stage.process(FakeEvent("complaints", 0, 0, b"T-1", complaint.to_json().encode()))

Nothing here is patched into a stage: tests build the stage on the fakes, feed it events
and read what the fakes recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from models import CloudEvent, parse_event
from sla.penalties import PenaltyEngine
from streams.interfaces import PartitionOf

__all__ = [
    "ColumnDictStore",
    "DictStore",
    "FakeEvent",
    "FakeMessage",
    "RecordingEmitter",
    "SettableCommitted",
]


class RecordingEmitter:
    """An output sink that records what it was given, in order.

    ``published``: every event of :meth:`publish`; ``triggers``: those the department
    stage would receive (penalty triggers published with ``triggers=True``, and those
    republished); ``republished``: outbox outputs sent again, parsed; ``watermarks``:
    ``(source partition, when)``.
    """

    def __init__(self) -> None:
        self.published: list[CloudEvent] = []
        self.triggers: list[CloudEvent] = []
        self.republished: list[CloudEvent] = []
        self.watermarks: list[tuple[int, str]] = []

    async def publish(self, events: Iterable[CloudEvent], *, triggers: bool = False,
                      texts: list[str] | None = None) -> None:
        events = list(events)
        assert texts is None or texts == [event.to_json() for event in events]
        for event in events:
            self.published.append(event)
            if triggers and PenaltyEngine.is_trigger(event):
                self.triggers.append(event)

    async def republish(self, outputs: list[str]) -> None:
        for event in [parse_event(raw, accept="any") for raw in outputs]:
            self.republished.append(event)
            if PenaltyEngine.is_trigger(event):
                self.triggers.append(event)

    async def watermark(self, source_partition: int, when: str) -> None:
        self.watermarks.append((source_partition, when))

    def types(self) -> list[str]:
        """The type of every published event, in order."""
        return [event.type for event in self.published]


class SettableCommitted:
    """Committed offsets a test sets: ``offsets[(topic, partition)] = next offset``."""

    def __init__(self, offsets: dict[tuple[str, int], int] | None = None) -> None:
        self.offsets: dict[tuple[str, int], int] = dict(offsets or {})

    def committed(self, topic: str, partition: int) -> int | None:
        return self.offsets.get((topic, partition))


class DictStore:
    """A table in a dict. ``partition_of`` gives a row's partition from its layout, as
    the production table is given (for :meth:`rows`); ``writes`` lists every write
    ``(key, value)`` in order, a deletion as ``(key, None)``: the changelog records."""

    def __init__(self, partition_of: PartitionOf) -> None:
        self.partition_of = partition_of
        self.data: dict[bytes, bytes] = {}
        self.writes: list[tuple[bytes, bytes | None]] = []

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.data[key] = value
        self.writes.append((key, value))

    def __delitem__(self, key: bytes) -> None:
        del self.data[key]
        self.writes.append((key, None))

    def rows(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        wanted = set(partitions)
        for key, value in list(self.data.items()):
            partition = self.partition_of(key, value)
            if partition in wanted:
                yield partition, key, value


class ColumnDictStore(DictStore):
    """A :class:`DictStore` with a column record per row (:class:`streams.interfaces.
    ColumnStore`); ``derive`` gives the record of a row written with a plain set."""

    def __init__(self, partition_of: PartitionOf, derive: Callable[[bytes], bytes]) -> None:
        super().__init__(partition_of)
        self.derive = derive
        self.column: dict[bytes, bytes] = {}

    def put(self, key: bytes, value: bytes, record: bytes) -> None:
        DictStore.__setitem__(self, key, value)  # not derived: ``record`` is given
        self.column[key] = record

    def __setitem__(self, key: bytes, value: bytes) -> None:
        super().__setitem__(key, value)
        self.column[key] = self.derive(value)

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        del self.column[key]

    def columns(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        for partition, key, _value in self.rows(partitions):
            yield partition, key, self.column[key]


@dataclass(frozen=True)
class FakeMessage:
    """Where a message sits: what the stages read of ``event.message``."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class FakeEvent:
    """A consumed message as the stages read it (``faust.EventT``'s attributes in use)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    value: bytes = b""
    headers: dict[str, bytes] = field(default_factory=dict)

    @property
    def message(self) -> FakeMessage:
        return FakeMessage(self.topic, self.partition, self.offset)
