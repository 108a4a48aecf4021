"""Committed offsets of the app's consumer group.

- :func:`committed_offsets` asks the group coordinator (OffsetFetch) with a
  short-lived group-less client: recovery callbacks run before Faust seeks to
  the committed offsets, so the worker's consumer does not know them yet.
- :func:`known_committed` is what this worker's consumer last committed (no I/O):
  the stages prune their outboxes with it on every message.
"""

from __future__ import annotations

from collections.abc import Iterable

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import TP

__all__ = ["committed_offsets", "known_committed"]


def known_committed(app: faust.App, topic: str, partition: int) -> int | None:
    """The offset this worker last committed for one partition; None while unknown
    (nothing committed yet, or the partition was just taken over)."""
    committed = getattr(app.consumer, "_committed_offset", None) or {}
    return committed.get(TP(topic, partition))


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
