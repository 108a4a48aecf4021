"""The due column beside a table's rows (:class:`streams._faust.RowColumn`): written with
the row, derived for rows that come from the changelog or from an older database, read
back after the database is opened again; the memory store derives it from the rows."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from faust.types import TP

from streams._faust import RowColumn


def _table(app):
    return app.Table("col", partitions=4, key_type=bytes, value_type=bytes)


def _partition_from_key(key: bytes, value: bytes) -> int:
    return int(key.split(b"|")[0])


class Derive:
    """``b"R" + value``, counting calls (a full derivation shows as one call per row)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, value: bytes) -> bytes:
        self.calls += 1
        return b"R" + value


def _column(table, derive: Derive | None = None) -> RowColumn:
    return RowColumn(table, "due", derive or Derive(), _partition_from_key)


@dataclass
class _Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes | None

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)


@dataclass
class _Event:
    message: _Message


def _close(table) -> None:
    """Let go of the partition databases, as a stopped worker does (RocksDB's lock)."""
    table.data._dbs.clear()
    gc.collect()


def test_a_put_writes_the_row_and_its_record(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    column, derive = _column(table), Derive()
    column.derive = derive
    column.put(1, b"1|a", b"row-a", b"rec-a")
    column.put(2, b"2|b", b"row-b", b"rec-b")
    assert table.data._db_for_partition(1)[b"1|a"] == b"row-a"
    assert list(column.items([1])) == [(1, b"1|a", b"rec-a")]
    assert list(partition_keys(table, 1)) == [b"1|a"]  # the record is not a row
    assert derive.calls == 0  # a database created with the column needs no derivation


def partition_keys(table, partition: int) -> list[bytes]:
    store = table.data
    return [key for key, _ in store._visible_items(store._db_for_partition(partition))]


def test_the_column_is_read_back_after_the_database_is_opened_again(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    _column(table).put(0, b"0|a", b"row", b"rec")
    _close(table)
    again = _table(make_app("rocksdb://"))
    derive = Derive()
    assert list(_column(again, derive).items([0])) == [(0, b"0|a", b"rec")]
    assert derive.calls == 0


def test_a_database_without_the_column_derives_it_once(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    db = table.data._db_for_partition(3)
    db[b"3|a"], db[b"3|b"] = b"x", b"y"  # rows an older version wrote
    table.data.set_persisted_offset(TP(table.changelog_topic.get_topic_name(), 3), 5)
    derive = Derive()
    column = _column(table, derive)
    assert list(column.items([3])) == [(3, b"3|a", b"Rx"), (3, b"3|b", b"Ry")]
    assert derive.calls == 2
    column.put(3, b"3|c", b"z", b"rec-c")
    assert [key for _, key, _ in column.items([3])] == [b"3|a", b"3|b", b"3|c"]
    assert derive.calls == 2  # complete now: read, not derived again


def test_rows_from_the_changelog_get_their_records(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    column = _column(table)
    topic = table.changelog_topic.get_topic_name()
    column.put(2, b"2|gone", b"old", b"rec-old")
    batch = [_Event(_Message(topic, 2, 7, b"2|a", b"v1")),
             _Event(_Message(topic, 2, 8, b"2|a", b"v2")),
             _Event(_Message(topic, 2, 9, b"2|gone", None))]
    table.apply_changelog_batch(batch)  # what Faust's recovery calls
    assert partition_keys(table, 2) == [b"2|a"]
    assert list(column.items([2])) == [(2, b"2|a", b"Rv2")]
    assert table.data.persisted_offset(TP(topic, 2)) == 9


def test_a_delete_removes_both(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    column = _column(table)
    column.put(0, b"0|a", b"row", b"rec")
    column.delete(0, b"0|a")
    assert list(column.items([0])) == []
    assert partition_keys(table, 0) == []


def test_the_memory_store_derives_the_records_from_its_rows(make_app) -> None:
    table = _table(make_app("memory://"))
    table.data[b"1|a"] = b"x"
    table.data[b"2|b"] = b"y"
    assert list(_column(table).items([2])) == [(2, b"2|b", b"Ry")]


def test_a_database_killed_while_its_family_was_created_opens_again(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    _column(table).put(2, b"2|a", b"row", b"rec")
    path = table.data.partition_path(2)
    _close(table)
    newest = max(path.glob("OPTIONS-*"), key=lambda option: int(option.name.split("-")[1]))
    newest.unlink()  # as if killed after the MANIFEST listed "due", before this file
    again = _table(make_app("rocksdb://"))
    derive = Derive()
    assert list(_column(again, derive).items([2])) == [(2, b"2|a", b"rec")]
    assert derive.calls == 0
