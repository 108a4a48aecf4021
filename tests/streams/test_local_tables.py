"""The claim on a worker's table directory (:mod:`streams.local_tables`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.local_tables import LocalTables, TablesInUse


def tables_with_a_row(tmp_path: Path) -> LocalTables:
    tabledir = tmp_path / "faust" / "v1" / "tables"
    (tabledir / "tickets-0.db").mkdir(parents=True)
    (tabledir / "tickets-0.db" / "CURRENT").write_text("MANIFEST-000001\n")
    return LocalTables(tabledir)


def test_tables_a_worker_released_are_kept_at_the_next_start(tmp_path: Path) -> None:
    first = tables_with_a_row(tmp_path)
    assert first.claim() is False
    assert first.state_file.read_text().startswith("in use by pid ")
    first.release()
    assert first.state_file.read_text().startswith("clean at ")

    again = LocalTables(first.tabledir)
    assert again.claim() is False
    assert (first.tabledir / "tickets-0.db" / "CURRENT").exists()
    again.release()


def test_tables_of_a_worker_that_did_not_stop_cleanly_are_discarded(tmp_path: Path) -> None:
    """The first worker died holding the claim (its lock went with its process: here, the
    file is closed without a release)."""
    first = tables_with_a_row(tmp_path)
    first.claim()
    assert first._held is not None
    first._held.close()  # the process is gone: no release

    restarted = LocalTables(first.tabledir)
    assert restarted.claim() is True
    assert not first.tabledir.exists()  # Faust rebuilds them from the changelogs
    restarted.release()


def test_tables_from_before_the_claim_existed_are_kept(tmp_path: Path) -> None:
    """A data directory of an earlier version has tables but no state file."""
    tables = tables_with_a_row(tmp_path)
    assert tables.claim() is False
    assert tables.tabledir.exists()
    tables.release()


def test_a_second_live_worker_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    first = tables_with_a_row(tmp_path)
    first.claim()
    with pytest.raises(TablesInUse, match="used by another worker .in use by pid \\d+"):
        LocalTables(first.tabledir).claim()
    first.release()
    assert first.tabledir.exists()


def test_a_release_without_a_claim_does_nothing(tmp_path: Path) -> None:
    tables = tables_with_a_row(tmp_path)
    tables.release()
    assert not tables.state_file.exists()
