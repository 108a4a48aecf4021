"""Preconditions of the partition scan: Faust's RocksDB store opens one partition's
database with ``_db_for_partition`` and lists its rows, without the stored offset, with
``_visible_items``; the memory store is scanned whole; other stores are refused."""

from __future__ import annotations

import pytest
from faust.stores import memory
from faust.types import TP

from streams._faust import partition_rows


def _table(app):
    return app.Table("scan", partitions=4, key_type=bytes, value_type=bytes)


def _partition_from_key(key: bytes, value: bytes) -> int:
    return int(key.split(b"|")[0])


def test_rocksdb_rows_come_from_the_partition_database(make_app) -> None:
    table = _table(make_app("rocksdb://"))
    store = table.data
    changelog = table.changelog_topic.get_topic_name()
    for partition in (1, 2):
        db = store._db_for_partition(partition)  # opens (creates) the partition's database
        db[f"{partition}|a".encode()] = b"x"
        store.set_persisted_offset(TP(changelog, partition), 7)  # stored beside the rows
    rows = list(partition_rows(table, [2], _partition_from_key))
    assert rows == [(2, b"2|a", b"x")]  # no offset row, no other partition


def test_memory_rows_are_filtered_by_the_layout(make_app) -> None:
    table = _table(make_app("memory://"))
    assert isinstance(table.data, memory.Store)
    table.data[b"1|a"] = b"x"
    table.data[b"2|b"] = b"y"
    assert list(partition_rows(table, [2, 3], _partition_from_key)) == [(2, b"2|b", b"y")]


def test_another_store_is_refused(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table(make_app("memory://"))
    monkeypatch.setattr(type(table), "data", property(lambda self: {}))
    with pytest.raises(TypeError, match="no partition scan for table store dict"):
        list(partition_rows(table, [0], _partition_from_key))
