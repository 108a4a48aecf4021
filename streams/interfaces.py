"""What the stages need from the world, as small interfaces (``typing.Protocol``).

The ticket and department stages hold their logic; everything that reaches Faust or
Kafka comes in through their constructors as one of these, built by
:mod:`streams.pipeline`:

- :class:`OutputSink`: where outputs go (:class:`streams.emit.Emitter`, the app's producer);
- :class:`CommittedOffsets`: what this worker last committed, per input partition
  (:class:`streams.offsets.KnownCommitted`, a Faust internal behind ``streams._faust``);
- :class:`KeyValueStore`: one table (:class:`streams.table_writes.DirectTable`, a Faust
  table written through the changelog writer); :class:`ColumnStore`, one with a small
  record per row beside it (:class:`streams.table_writes.ColumnTable`: the ticket table
  and its due column).

:mod:`streams.fakes` has in-memory stand-ins, so the stages are unit-tested without a
broker, an app or a patched private function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from models import CloudEvent

__all__ = ["ColumnStore", "CommittedOffsets", "KeyValueStore", "OutputSink", "PartitionOf"]

#: (key, value) -> the partition a table row belongs to, or None if its layout has none.
PartitionOf = Callable[[bytes, bytes], "int | None"]


class OutputSink(Protocol):
    """Publishes what a stage produces."""

    async def publish(self, events: Iterable[CloudEvent], *, triggers: bool = False,
                      texts: list[str] | None = None) -> None:
        """Send ``events`` on their routes; with ``triggers``, penalty triggers also go to
        the department stage. ``texts``: the events' ``to_json()``, if already made."""

    async def republish(self, outputs: list[str]) -> None:
        """Send again outputs kept in an outbox (JSON, same ids), triggers included."""

    async def watermark(self, source_partition: int, when: str) -> None:
        """Tell the department stage that ``source_partition`` is done up to ``when``."""


class CommittedOffsets(Protocol):
    """What this worker last committed (no I/O: asked on every message)."""

    def committed(self, topic: str, partition: int) -> int | None:
        """The committed offset of one partition; None while unknown (nothing committed
        yet, or the partition was just taken over)."""


class KeyValueStore(Protocol):
    """One bytes-to-bytes table of a stage: read at once, written durably before commit."""

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, or None."""

    def __setitem__(self, key: bytes, value: bytes) -> None:
        """Store ``value`` under ``key``."""

    def __delitem__(self, key: bytes) -> None:
        """Delete ``key`` (KeyError if it is not there)."""

    def rows(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, value)`` of every row of ``partitions`` (at a rebuild)."""


class ColumnStore(KeyValueStore, Protocol):
    """A table with a small record per row kept beside it (not in the changelog), read at
    a rebuild instead of the rows."""

    def put(self, key: bytes, value: bytes, record: bytes) -> None:
        """Store ``value`` under ``key`` and its column ``record``, in one write."""

    def columns(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, record)`` for every row of ``partitions``."""
