"""Read one partition's rows of a table, whatever worker took it over a moment ago.

Why not ``table.items()``: Faust's RocksDB store lists only the partition
databases it has *opened*, and it opens one lazily, on the first read or write
of that partition. A worker that takes over a partition whose state is already
on disk (nothing to recover, or recovered earlier) therefore lists none of its
keys at the moment the partition must be rebuilt, although lookups by key work.
That was the cause of the hand-over defect (streams/NOTES.md): a rebuilt
partition missed deadlines and pending penalty triggers, which then fired late
or never. Scanning the partition's own database opens it and lists exactly its
keys, and costs one partition's rows instead of the whole worker's.

Stores without per-partition databases (Faust's memory store) fall back to
every row, filtered by ``partition_of``, which the caller derives from its
key or value layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import faust

__all__ = ["partition_rows"]

#: (key, value) -> partition of that row, or None if the layout has none.
PartitionOf = Callable[[bytes, bytes], "int | None"]


def partition_rows(table: faust.Table, partitions: Iterable[int],
                   partition_of: PartitionOf) -> Iterator[tuple[int, bytes, bytes]]:
    """``(partition, key, value)`` for every row of ``partitions`` in ``table``."""
    wanted = set(partitions)
    store = table.data
    open_db = getattr(store, "_db_for_partition", None)
    visible = getattr(store, "_visible_items", None)
    if open_db is not None and visible is not None:  # RocksDB: a database per partition
        for partition in sorted(wanted):
            for key, value in visible(open_db(partition)):
                yield partition, key, value
        return
    for key, value in list(table.items()):
        partition = partition_of(key, value)
        if partition in wanted:
            yield partition, key, value
