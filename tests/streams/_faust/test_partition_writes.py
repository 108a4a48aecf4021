"""Rows of one partition written at once, outside stream processing
(:func:`streams._faust.write_rows`): what a changelog acknowledgement stores."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

from streams._faust import RowColumn, write_rows


def _table(app):
    return app.Table("rows", partitions=4, key_type=bytes, value_type=bytes)


def test_rows_go_to_the_partitions_database_with_no_current_event(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    write_rows(table, 2, [(b"a", b"1", None), (b"b", b"2", None)])
    write_rows(table, 2, [(b"a", None, None)])
    store = table.data
    assert store._db_for_partition(2).get(b"b") == b"2"
    assert store._db_for_partition(2).get(b"a") is None
    assert store._db_for_partition(1).get(b"b") is None
    assert store.get(b"b") == b"2"  # Faust's own read finds it (its key index)
    assert store.get(b"a") is None


def test_rows_written_are_there_when_the_database_is_opened_again(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    write_rows(table, 0, [(b"k", b"v", None)])
    table.data._dbs.clear()  # as a stopped worker lets go of them (RocksDB's lock)
    gc.collect()
    assert table.data._db_for_partition(0).get(b"k") == b"v"


def test_column_records_are_written_in_the_same_batch(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    column = RowColumn(table, "due", lambda value: b"R" + value, lambda k, v: 3)
    column.write(3, [(b"x", b"row", b"record"), (b"y", b"gone", b"R")])
    column.write(3, [(b"y", None, None)])
    assert list(column.items([3])) == [(3, b"x", b"record")]
    assert table.data._db_for_partition(3).get(b"x") == b"row"


def test_the_memory_store_sets_and_pops_keys(make_app) -> None:
    table = _table(make_app("memory://"))
    write_rows(table, 1, [(b"a", b"1", None), (b"b", b"2", None)])
    write_rows(table, 1, [(b"b", None, None), (b"absent", None, None)])
    assert dict(table.data.items()) == {b"a": b"1"}


def test_another_store_is_refused() -> None:
    with pytest.raises(TypeError, match="no partition write for table store dict"):
        write_rows(SimpleNamespace(data={}), 0, [])  # type: ignore[arg-type]
