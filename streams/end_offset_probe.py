"""Where the inbound topics end *now*: what a wall-clock checkpoint waits for.

A checkpoint says "at this instant, partition p's inbound topics ended at these offsets"
(:class:`streams.topics.Checkpoint`). It must be exact and current: the worker's own
consumer knows only the high watermark of its last fetch, which stays old while it works
through a backlog (aiokafka does not fetch a partition with records still buffered), and
asking it goes through Faust's consumer thread, which answers between long polls (about a
second). So the worker keeps a consumer of its own, outside any group, that asks the
broker: ListOffsets, then, because Tansu under-reports there (the newest batch's base
offset + 1), a fetch at ``listed - 1`` whose response carries the true high watermark.
About 5 ms for the partitions of a worker on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

__all__ = ["EndOffsetProbe"]

_POLL_MS = 100


class EndOffsetProbe(Service):
    """Exact end offsets of topic partitions, asked of the broker on every call."""

    def __init__(self, bootstrap: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None
        #: One question at a time: each assigns and seeks the one consumer (the ticket and
        #: the calls timers both ask; interleaved, one un-assigned the other's partitions).
        self._lock = asyncio.Lock()

    async def on_start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            fetch_max_wait_ms=_POLL_MS, client_id="sla-police-end-offsets")
        await self._consumer.start()

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def ends(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """{(topic, partition): next offset to be written} for ``partitions``."""
        async with self._lock:
            return await self._ends(partitions)

    async def _ends(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("EndOffsetProbe is not started")
        tps = [TopicPartition(t, p) for t, p in partitions]
        listed = await consumer.end_offsets(tps)
        nonempty = {tp: end for tp, end in listed.items() if end > 0}
        exact = dict(listed)
        if nonempty:
            consumer.assign(list(nonempty))
            for tp, end in nonempty.items():
                consumer.seek(tp, end - 1)
            while pending := [tp for tp in nonempty if consumer.highwater(tp) is None]:
                await consumer.getmany(*pending, timeout_ms=_POLL_MS)
            exact.update({tp: max(end, consumer.highwater(tp)) for tp, end in nonempty.items()})
            consumer.assign([])  # forget the positions: the next call seeks afresh
        return {(tp.topic, tp.partition): end for tp, end in exact.items()}
