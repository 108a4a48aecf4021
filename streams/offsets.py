"""Committed offsets of the app's consumer group, read without joining the group.

Recovery callbacks run before Faust seeks to the committed offsets, so the
consumer does not know them yet; a short-lived group-less client asks the
group coordinator (OffsetFetch) instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

__all__ = ["committed_offsets"]


async def committed_offsets(bootstrap: str, group_id: str,
                            partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """{(topic, partition): next offset to read}; 0 where nothing was committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        out = {}
        for topic, partition in partitions:
            offset = await consumer.committed(TopicPartition(topic, partition))
            out[(topic, partition)] = offset if offset is not None and offset >= 0 else 0
        return out
    finally:
        await consumer.stop()
