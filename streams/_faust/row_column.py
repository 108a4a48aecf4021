"""A derived column beside a table's rows, in each partition's own RocksDB database.

Why: a restarting worker rebuilds its deadline index from the ticket table. Reading
every row (about 3 KB each, a JSON decode for each open ticket) took about a minute at
a million open tickets; a column family holding one small record per row (the due
record of :mod:`streams.ticket_store`) is read in a second or two.

How it stays right, with no changelog record of its own:

- **Writes**: :meth:`RowColumn.put` writes the row and its column record in one RocksDB
  ``WriteBatch``, so a SIGKILL leaves both or neither.
- **Rows from the changelog** (Faust's recovery, standbys): the store's
  ``apply_changelog_batch`` is wrapped, per table instance, to write the records derived
  from the batch's rows (``derive``) *before* Faust writes the rows and then the persisted
  offset. A kill in between leaves the column ahead of the rows; the records above the
  persisted offset are applied again at the next start, rows and column alike.
- **A database without the column** (written by an older version, or before this table
  was given one): the column family is created on first use and marked complete only if
  the database held no row yet; otherwise :meth:`RowColumn.items` first derives the whole
  column from the rows (once) and then marks it complete.

Faust's memory store has no per-partition databases: there :meth:`RowColumn.items`
derives the records from the rows on every call (the memory store is rebuilt from the
changelog at every start anyway), and :meth:`RowColumn.put` writes the row only.

No reference to a partition's database is kept between calls: Faust drops a revoked
partition's database and opens it again when the partition comes back, and RocksDB's
file lock refuses the second open while any handle is alive.

**A kill while the family is created** (seen once in a soak, SIGKILL test, two CPU hogs):
RocksDB records a new column family in its MANIFEST, then writes a new OPTIONS file;
rocksdict opens a database with the families its latest OPTIONS file lists, so a process
killed between the two left a database Faust's open refused ("Column families not opened:
due") and the worker crashed at every start. The store's ``_open_for_partition`` is
wrapped: on that error it opens the database with the families RocksDB lists
(``Rdict.list_cf``), which also writes a complete OPTIONS file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

import faust
import rocksdict
from faust.stores import rocksdb

from streams._faust.check import Requirement, assigns, method, uses
from streams._faust.partition_writes import Row, write_rows
from streams._faust.table_scan import partition_rows

__all__ = ["REQUIRES", "RowColumn"]

logger = logging.getLogger(__name__)

#: row value -> its column record
Derive = Callable[[bytes], bytes]
#: (key, value) -> partition of that row (memory store only)
PartitionOf = Callable[[bytes, bytes], "int | None"]

_COMPLETE = b"\x00column-complete"  # in the column family: every row has its record
_BATCH = 10_000  # records per write while deriving a whole column
_UNOPENED = "Column families not opened"  # RocksDB's refusal of an incomplete family list


class RowColumn:
    """Column family ``name`` beside ``table``'s rows; records derived by ``derive``."""

    def __init__(self, table: faust.Table, name: str, derive: Derive,
                 partition_of: PartitionOf) -> None:
        self.table, self.name, self.derive, self.partition_of = table, name, derive, partition_of
        self._wrap_changelog_apply()

    @property
    def rocks(self) -> bool:
        return isinstance(self.table.data, rocksdb.Store)

    def put(self, partition: int, key: bytes, value: bytes, record: bytes) -> None:
        """Store ``value`` under ``key`` in ``partition`` and its column ``record``, at once."""
        store = self.table.data
        if not self.rocks:
            store[key] = value
            return
        db = store._db_for_partition(partition)
        batch = rocksdict.WriteBatch(raw_mode=True)
        batch.put(key, value)
        batch.put(key, record, self._handle(db))
        db.write(batch)
        store._key_index[key] = partition  # what Faust's own _set records

    def write(self, partition: int, rows: Iterable[Row]) -> None:
        """Write ``rows`` (key, value or None for a deletion, record) to ``partition``'s
        rows and column in one batch (:func:`streams._faust.partition_writes.write_rows`)."""
        write_rows(self.table, partition, rows, self._handle if self.rocks else None)

    def delete(self, partition: int, key: bytes) -> None:
        """Delete ``key``'s row and column record (KeyError if there is no row)."""
        store = self.table.data
        if not self.rocks:
            del store[key]
            return
        db = store._db_for_partition(partition)
        if db.get(key) is None:
            raise KeyError(key)
        batch = rocksdict.WriteBatch(raw_mode=True)
        batch.delete(key)
        batch.delete(key, self._handle(db))
        db.write(batch)

    def items(self, partitions: Iterable[int]) -> Iterator[tuple[int, bytes, bytes]]:
        """``(partition, key, record)`` for every row of ``partitions``."""
        if not self.rocks:
            for partition, key, value in partition_rows(self.table, partitions,
                                                        self.partition_of):
                yield partition, key, self.derive(value)
            return
        for partition in sorted(set(partitions)):
            column = self._complete_column(partition)
            for key, record in column.items():
                if key != _COMPLETE:
                    yield partition, key, record
            del column

    # -- the column family ----------------------------------------------------------------

    def _handle(self, db: Any) -> Any:
        """The column family's handle in ``db`` (created, and marked complete if ``db``
        holds no row yet, on first use)."""
        try:
            return db.get_column_family_handle(self.name)
        except Exception:  # rocksdict raises a bare Exception for an unknown family
            self._create(db)
            return db.get_column_family_handle(self.name)

    def _create(self, db: Any) -> None:
        empty = not any(key != rocksdb.Store.offset_key for key in _first_keys(db))
        column = db.create_column_family(self.name, rocksdict.Options(raw_mode=True))
        if empty:
            column.put(_COMPLETE, b"1")
        del column

    def _complete_column(self, partition: int) -> Any:
        """The column family of ``partition``, derived from the rows first if incomplete."""
        store = self.table.data
        db = store._db_for_partition(partition)
        self._handle(db)
        column = db.get_column_family(self.name)
        if column.get(_COMPLETE) is None:
            self._derive_all(db, column)
        return column

    def _derive_all(self, db: Any, column: Any) -> None:
        handle, batch = self._handle(db), rocksdict.WriteBatch(raw_mode=True)
        for count, (key, value) in enumerate(self.table.data._visible_items(db), 1):
            batch.put(key, self.derive(value), handle)
            if count % _BATCH == 0:
                db.write(batch)
                batch = rocksdict.WriteBatch(raw_mode=True)
        batch.put(_COMPLETE, b"1", handle)
        db.write(batch)

    # -- rows applied from the changelog ---------------------------------------------------

    def _wrap_changelog_apply(self) -> None:
        """Derive the column of every changelog batch Faust applies to this table's store."""
        store = self.table.data
        if not isinstance(store, rocksdb.Store) or getattr(store, "_row_column", None):
            return
        apply = store.apply_changelog_batch

        def apply_with_column(batch: Iterable[Any], to_key: Any, to_value: Any) -> None:
            events = list(batch)
            self._write_derived(events)
            apply(events, to_key, to_value)

        store.apply_changelog_batch = apply_with_column
        store._row_column = self
        _open_with_families(store)

    def _write_derived(self, events: list[Any]) -> None:
        batches: dict[int, Any] = {}
        store = self.table.data
        for event in events:
            message = event.message
            db = store._db_for_partition(message.partition)
            batch = batches.setdefault(message.partition, rocksdict.WriteBatch(raw_mode=True))
            if message.value is None:
                batch.delete(message.key, self._handle(db))
            else:
                batch.put(message.key, self.derive(message.value), self._handle(db))
        for partition, batch in batches.items():
            store._db_for_partition(partition).write(batch)


def _open_with_families(store: rocksdb.Store) -> None:
    """Wrap ``store``'s partition open: a database whose OPTIONS file misses a column
    family (a kill while it was created) is opened with the families RocksDB lists."""
    open_db = store._open_for_partition

    def open_partition(partition: int) -> Any:
        try:
            return open_db(partition)
        except Exception as exc:  # rocksdict raises a bare Exception
            if _UNOPENED not in str(exc):
                raise
        return _reopen(store, partition)

    store._open_for_partition = open_partition


def _reopen(store: rocksdb.Store, partition: int) -> Any:
    """Faust's rocksdict open (``RocksDBOptions.open``) with every listed column family."""
    path = str(store.partition_path(partition))
    options = store.rocksdb_options
    families = {name: rocksdict.Options(raw_mode=True)
                for name in rocksdict.Rdict.list_cf(path) if name != "default"}
    access = (rocksdict.AccessType.read_write() if options.ttl is None
              else rocksdict.AccessType.with_ttl(options.ttl))
    db = rocksdict.Rdict(path, options=options.as_options(), column_families=families,
                         access_type=access)
    db.set_read_options(rocksdict.ReadOptions())
    logger.warning("partition database %s lacked column families %s in its OPTIONS file "
                   "(a kill while one was created): opened with them", path, sorted(families))
    return db


def _first_keys(db: Any, limit: int = 2) -> list[bytes]:
    """Up to ``limit`` keys of ``db``'s default column family (the offset key is one)."""
    return list(islice(db.keys(), limit))


_PATCH = "due column"

REQUIRES: tuple[Requirement, ...] = (
    method(_PATCH, rocksdb.Store, "_db_for_partition", ("self", "partition"), coroutine=False),
    method(_PATCH, rocksdb.Store, "_visible_items", ("self", "db"), coroutine=False),
    method(_PATCH, rocksdb.Store, "apply_changelog_batch",
           ("self", "batch", "to_key", "to_value"), coroutine=False),
    uses(_PATCH, rocksdb.Store, "_set", "_key_index"),
    # the open of a database left without its family in the OPTIONS file
    method(_PATCH, rocksdb.Store, "_open_for_partition", ("self", "partition"),
           coroutine=False),
    uses(_PATCH, rocksdb.Store, "_db_for_partition", "_open_for_partition"),
    uses(_PATCH, rocksdb.Store, "_open_for_partition", "rocksdb_options"),
    method(_PATCH, rocksdb.Store, "partition_path", ("self", "partition"), coroutine=False),
    method(_PATCH, rocksdb.RocksDBOptions, "as_options", ("self",), coroutine=False),
    assigns(_PATCH, rocksdb.RocksDBOptions, "__init__", "ttl"),
    uses(_PATCH, rocksdb.RocksDBOptions, "open", "set_read_options"),
)
