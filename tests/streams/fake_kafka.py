"""A stand-in for the started aiokafka producer: the calls :mod:`streams.record_batches` makes.

Records are kept in ``sent`` as ``(topic, partition, key, value, headers)`` in hand-over
order; each partition numbers its records from 0, as a broker would; futures are already
resolved with aiokafka's metadata shape (a record batch's: its first record's offset), or
held until :meth:`FakeKafkaProducer.acknowledge` (``hold``).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from aiokafka.partitioner import DefaultPartitioner

__all__ = ["FakeKafkaProducer"]


class FakeBatch:
    """A record batch builder holding at most ``room`` records."""

    def __init__(self, room: int) -> None:
        self.room, self.records = room, []

    def append(self, *, timestamp: Any, key: bytes, value: bytes | None,
               headers: list) -> Any:
        assert isinstance(headers, list)  # aiokafka's builder refuses anything else
        if len(self.records) >= self.room:
            return None
        self.records.append((key, value, headers))
        return SimpleNamespace(offset=len(self.records) - 1)


class FakeKafkaProducer:
    """``send``, ``create_batch``, ``send_batch`` and ``partitions_for`` of aiokafka's."""

    def __init__(self, partitions: int = 4, batch_room: int = 10_000) -> None:
        self.partitions, self.batch_room = partitions, batch_room
        self.sent: list[tuple[str, int, bytes, bytes | None, list]] = []
        self.batches = 0  # record batches handed over
        self.next: dict[tuple[str, int], int] = {}
        #: set: every future handed back fails with it (what aiokafka does to a record the
        #: broker refused, or one unacknowledged past the request timeout)
        self.fail_with: BaseException | None = None
        #: True: futures stay pending (in ``unacknowledged``) until :meth:`acknowledge`
        self.hold = False
        #: set: ``send`` waits for it first (a hand-over under way, as aiokafka's may wait)
        self.gate: asyncio.Event | None = None
        self.unacknowledged: list[tuple[asyncio.Future, Any]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partitions))

    async def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                   partition: int | None = None, timestamp_ms: Any = None,
                   headers: Any = None) -> asyncio.Future:
        if self.gate is not None:
            await self.gate.wait()
        if partition is None:
            every = list(range(self.partitions))
            partition = DefaultPartitioner()(key, every, every)
        return self._done(topic, partition, [(key, value, list(headers or []))])

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.batch_room)

    async def send_batch(self, batch: FakeBatch, topic: str, *,
                         partition: int) -> asyncio.Future:
        self.batches += 1
        return self._done(topic, partition, batch.records)

    def _done(self, topic: str, partition: int, records: list) -> asyncio.Future:
        first = self.next.get((topic, partition), 0)
        self.next[(topic, partition)] = first + len(records)
        self.sent.extend((topic, partition, *record) for record in records)
        done = asyncio.get_running_loop().create_future()
        metadata = SimpleNamespace(topic=topic, partition=partition, offset=first)
        if self.hold:
            self.unacknowledged.append((done, metadata))
        elif self.fail_with is not None:
            done.set_exception(self.fail_with)
        else:
            done.set_result(metadata)
        return done

    def acknowledge(self, failure: BaseException | None = None) -> None:
        """Resolve the futures held so far, in order (``failure``: fail them with it)."""
        held, self.unacknowledged = self.unacknowledged, []
        for done, metadata in held:
            if failure is None:
                done.set_result(metadata)
            else:
                done.set_exception(failure)
