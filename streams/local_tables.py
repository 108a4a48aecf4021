"""A worker's local tables are trusted only after a clean stop.

Faust keeps each table in a local RocksDB database and, after a restart, applies the
changelog records found after the partition's *persisted offset* (the last record whose
acknowledgement came back). After a clean stop that is exact: every local write's record
was acknowledged first. After an unclean one (SIGKILL, a crash, a stop with records
undelivered) the local database can be ahead of the changelog, and applying the records
the broker appended without acknowledging them sets some keys back while others keep
their newest local values: a mix no run of the worker ever held. The stages' crash rules
assume each table is a prefix of its changelog (``streams/table_writes.py``: every key as
before a batch or after it; the department books' chunks, head, deletions order), so a
mix can break them: a book's head set back while the history chunks it pruned stay
deleted, a pending trigger row brought back beside the book it was already drained into.

So the worker claims the table directory at start and releases it after a clean stop:

- :meth:`LocalTables.claim` takes an exclusive lock on ``<tabledir>.state`` (another live
  worker on the same directory is refused, with its pid); if the file says the last worker
  using the tables never released them, the tables are deleted, and Faust rebuilds them
  from the changelogs (every key exactly as the changelog's last record says). Then the
  file says "in use".
- :meth:`LocalTables.release` marks them clean; :meth:`LocalTables.release_if_clean` calls
  it only once the worker stopped with exit code 0 and no record of it went undelivered
  (the shell's ``run_faust`` does, around Faust's worker).

This is what Kafka Streams does under exactly-once (a store without a clean checkpoint is
wiped). The price: after an unclean stop the restart reads the whole changelog instead of
its tail (a clean restart is unchanged).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import faust

from streams._faust import delivery_failed

__all__ = ["LocalTables", "TablesInUse", "claim_local_tables"]

logger = logging.getLogger("sla_police.streams")

_IN_USE, _CLEAN = "in use", "clean"


class TablesInUse(RuntimeError):
    """Another live worker holds the table directory."""


class LocalTables:
    """The claim on one worker's table directory (``tabledir``: Faust's ``app.conf.tabledir``)."""

    def __init__(self, tabledir: Path) -> None:
        self.tabledir = tabledir
        self.state_file = tabledir.with_name(tabledir.name + ".state")
        self._held: IO[str] | None = None

    def claim(self) -> bool:
        """Lock the directory for this process; True when the tables were discarded (the
        last worker using them did not stop cleanly)."""
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        held = self.state_file.open("a+", encoding="utf-8")
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.seek(0)
            said = held.read().strip()
            held.close()
            raise TablesInUse(f"{self.tabledir} is used by another worker ({said}); give "
                              "each worker its own SLA_DATA_DIR") from None
        held.seek(0)
        discard = held.read().startswith(_IN_USE) and self.tabledir.exists()
        if discard:
            shutil.rmtree(self.tabledir)
        self._held = held
        self._say(f"{_IN_USE} by pid {os.getpid()} since {datetime.now(UTC).isoformat()}")
        return discard

    def release(self) -> None:
        """Mark the tables clean (every local write is on the changelog) and unlock."""
        if self._held is None:
            return
        self._say(f"{_CLEAN} at {datetime.now(UTC).isoformat()}")
        self._held.close()
        self._held = None

    def release_if_clean(self, app: faust.App, exit_code: object) -> None:
        """:meth:`release` if ``app``'s worker exited with ``exit_code`` 0 (or None) and
        every record it produced was delivered."""
        if exit_code in (0, None) and not delivery_failed(app):
            self.release()

    def _say(self, text: str) -> None:
        assert self._held is not None
        self._held.seek(0)
        self._held.truncate()
        self._held.write(text + "\n")
        self._held.flush()
        os.fsync(self._held.fileno())


def claim_local_tables(app: faust.App) -> LocalTables | None:
    """Claim ``app``'s RocksDB table directory before its worker starts (tables left by a
    worker that did not stop cleanly are discarded and logged); None for the memory
    store, rebuilt from the changelogs at every start anyway. Raises
    :class:`TablesInUse` if another live worker holds the directory."""
    if app.conf.store.scheme != "rocksdb":
        return None
    tables = LocalTables(Path(app.conf.tabledir))
    if tables.claim():
        logger.warning("local tables discarded: the last worker using them did not stop "
                       "cleanly; rebuilding them from the changelogs (%s)", tables.tabledir)
    return tables
