"""Write a batch of rows to one partition of a table's store, at once.

Why: :mod:`streams.table_writes` writes a table's local store only once the changelog
records of those rows are acknowledged (so the store stays a prefix of its changelog
whatever the stop), from the record's done-callback: outside stream processing, where
Faust's ``table.data[key] = value`` has no current event to pick the partition's
database from. :func:`write_rows` names the partition, and writes every row of an
acknowledged send (and its column records, :class:`streams._faust.RowColumn`) in one
RocksDB ``WriteBatch``: a kill leaves all of them or none.

Faust's memory store has no per-partition databases: rows are set and popped there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import faust
import rocksdict
from faust.stores import memory, rocksdb

from streams._faust.check import Requirement, assigns, method, uses

__all__ = ["REQUIRES", "Row", "write_rows"]

#: (key, value or None for a deletion, column record or None)
Row = tuple[bytes, "bytes | None", "bytes | None"]


def write_rows(table: faust.Table, partition: int, rows: Iterable[Row],
               family: Callable[[Any], Any] | None = None) -> None:
    """Write ``rows`` to ``partition``'s database of ``table`` in one batch; ``family``
    gives a column family's handle in that database, for the rows' records."""
    store = table.data
    if isinstance(store, rocksdb.Store):
        _write_rocks(store, partition, rows, family)
    elif isinstance(store, memory.Store):
        for key, value, _record in rows:
            if value is None:
                store.data.pop(key, None)
            else:
                store.data[key] = value
    else:
        raise TypeError(f"no partition write for table store {type(store).__qualname__}")


def _write_rocks(store: rocksdb.Store, partition: int, rows: Iterable[Row],
                 family: Callable[[Any], Any] | None) -> None:
    db = store._db_for_partition(partition)
    handle = None if family is None else family(db)
    batch = rocksdict.WriteBatch(raw_mode=True)
    index = store._key_index  # what Faust's own _set records: the key's partition
    for key, value, record in rows:
        if value is None:
            batch.delete(key)
            if handle is not None:
                batch.delete(key, handle)
            index.pop(key, None)
        else:
            batch.put(key, value)
            if handle is not None and record is not None:
                batch.put(key, record, handle)
            index[key] = partition
    db.write(batch)


_PATCH = "partition writes"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, rocksdb.Store, "_db_for_partition", ("self", "partition"), coroutine=False),
    uses(_PATCH, rocksdb.Store, "_set", "_key_index"),
    uses(_PATCH, rocksdb.Store, "_get_bucket_for_key", "_key_index"),
    assigns(_PATCH, memory.Store, "__post_init__", "data"),
)
