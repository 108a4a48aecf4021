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

Faust's memory store has no per-partition databases (and lists standby keys
too): there every row is read and filtered by ``partition_of``, which the caller
derives from its key or value layout. Any other store is refused: the choice is
by store class, never by a missing attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import faust
from faust.stores import memory, rocksdb

from streams._faust.check import Requirement, method

__all__ = ["REQUIRES", "partition_rows"]

#: (key, value) -> partition of that row, or None if the layout has none.
PartitionOf = Callable[[bytes, bytes], "int | None"]


def partition_rows(table: faust.Table, partitions: Iterable[int],
                   partition_of: PartitionOf) -> Iterator[tuple[int, bytes, bytes]]:
    """``(partition, key, value)`` for every row of ``partitions`` in ``table``."""
    wanted = set(partitions)
    store = table.data
    if isinstance(store, rocksdb.Store):  # a database per partition
        for partition in sorted(wanted):
            for key, value in store._visible_items(store._db_for_partition(partition)):
                yield partition, key, value
    elif isinstance(store, memory.Store):
        for key, value in list(table.items()):
            partition = partition_of(key, value)
            if partition in wanted:
                yield partition, key, value
    else:
        raise TypeError(f"no partition scan for table store {type(store).__qualname__}")


_PATCH = "partition scan"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, rocksdb.Store, "_db_for_partition", ("self", "partition"), coroutine=False),
    method(_PATCH, rocksdb.Store, "_visible_items", ("self", "db"), coroutine=False),
)
