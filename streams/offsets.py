"""Committed offsets of the app's consumer group.

:func:`committed_offsets` asks the group coordinator (OffsetFetch) with a short-lived
group-less client: recovery callbacks run before Faust seeks to the committed offsets,
so the worker's consumer does not know them yet. What this worker's consumer last
committed (no I/O) is :class:`KnownCommitted`, the stages' committed-offset source: it
reads a Faust internal through :func:`streams._faust.known_committed`.
"""

from __future__ import annotations

from collections.abc import Iterable

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams._faust import known_committed

__all__ = ["KnownCommitted", "committed_offsets"]


class KnownCommitted:
    """What ``app``'s consumer last committed: the production
    :class:`streams.interfaces.CommittedOffsets` (the stages prune their outboxes with it)."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    def committed(self, topic: str, partition: int) -> int | None:
        return known_committed(self.app, topic, partition)


async def committed_offsets(bootstrap: str, group_id: str,
                            partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """{(topic, partition): next offset to read}: the committed offset, or where nothing
    was committed, the partition's first offset (0 unless retention removed records)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        out, uncommitted = {}, []
        for topic, partition in partitions:
            tp = TopicPartition(topic, partition)
            offset = await consumer.committed(tp)
            if offset is not None and offset >= 0:
                out[(topic, partition)] = offset
            else:
                uncommitted.append(tp)
        if uncommitted:
            firsts = await consumer.beginning_offsets(uncommitted)
            out.update({(tp.topic, tp.partition): firsts.get(tp, 0) for tp in uncommitted})
        return out
    finally:
        await consumer.stop()
