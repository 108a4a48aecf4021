"""The claim on a worker's table directory (:mod:`streams.local_tables`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.local_tables import LocalTables, TablesInUse


def tables_with_a_row(tmp_path: Path, keep: tuple[str, ...] = ()) -> LocalTables:
    """``tickets`` (partitions 0 and 1, and its backups) and ``calls-tickets`` (partition
    0, a name that ends like the other's) in a table directory."""
    tabledir = tmp_path / "faust" / "v1" / "tables"
    for name in ("tickets-0.db", "tickets-1.db", "tickets-backups", "calls-tickets-0.db"):
        (tabledir / name).mkdir(parents=True)
        (tabledir / name / "CURRENT").write_text("MANIFEST-000001\n")
    return LocalTables(tabledir, keep)


def _died(tables: LocalTables) -> None:
    """The worker died holding the claim (its lock went with its process: here, the
    file is closed without a release)."""
    assert tables._held is not None
    tables._held.close()


def test_tables_a_worker_released_are_kept_at_the_next_start(tmp_path: Path) -> None:
    first = tables_with_a_row(tmp_path)
    assert first.claim() == []
    assert first.state_file.read_text().startswith("in use by pid ")
    first.release()
    assert first.state_file.read_text().startswith("clean at ")

    again = LocalTables(first.tabledir)
    assert again.claim() == []
    assert (first.tabledir / "tickets-0.db" / "CURRENT").exists()
    again.release()


def test_tables_of_a_worker_that_did_not_stop_cleanly_are_discarded(tmp_path: Path) -> None:
    first = tables_with_a_row(tmp_path)
    first.claim()
    _died(first)

    restarted = LocalTables(first.tabledir)
    assert restarted.claim() == ["calls-tickets-0.db", "tickets-0.db", "tickets-1.db",
                                 "tickets-backups"]
    assert list(first.tabledir.iterdir()) == []  # Faust rebuilds them from the changelogs
    restarted.release()


def test_after_an_unclean_stop_only_tables_written_behind_are_kept(tmp_path: Path) -> None:
    """Their stores are a prefix of their changelogs (streams.table_writes), whatever
    the stop; a table written by Faust's own path is not."""
    first = tables_with_a_row(tmp_path, keep=("tickets",))
    first.claim()
    assert first.state_file.read_text().rstrip().endswith("; written behind: tickets")
    _died(first)

    restarted = LocalTables(first.tabledir, ("tickets",))
    assert restarted.claim() == ["calls-tickets-0.db"]
    assert restarted.kept == ["tickets"]
    assert sorted(p.name for p in first.tabledir.iterdir()) == [
        "tickets-0.db", "tickets-1.db", "tickets-backups"]
    restarted.release()


def test_what_the_last_worker_wrote_behind_decides_not_what_the_next_will(
        tmp_path: Path) -> None:
    """A worker of a version that wrote its tables first (its state line names none)
    died: its tables are all discarded, though the new version writes them behind."""
    first = tables_with_a_row(tmp_path)
    first.claim()
    _died(first)

    upgraded = LocalTables(first.tabledir, ("tickets", "calls-tickets"))
    assert len(upgraded.claim()) == 4
    assert upgraded.kept == []
    upgraded.release()


def test_tables_from_before_the_claim_existed_are_kept(tmp_path: Path) -> None:
    """A data directory of an earlier version has tables but no state file."""
    tables = tables_with_a_row(tmp_path)
    assert tables.claim() == []
    assert len(list(tables.tabledir.iterdir())) == 4
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
