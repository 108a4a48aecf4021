"""A worker's local tables are trusted after a clean stop, and after any stop when they
are written behind their changelogs.

Faust keeps each table in a local RocksDB database and, after a restart, applies the
changelog records found after the partition's *persisted offset* (the last record whose
acknowledgement came back). The tables the stages write (:mod:`streams.table_writes`)
are stored only once their changelog records are acknowledged, so their databases are
always a prefix of their changelogs, and that restart is exact after any stop. A table
written by Faust's own path (``table[key] = value``: the notifier's held
notifications) is written locally first: after an unclean stop (SIGKILL, a crash, a
stop with records undelivered) its database can be ahead of the changelog, and
applying the records the broker appended without acknowledging them sets some keys
back while others keep their newest local values, a mix no run of the worker held.

So the worker claims the table directory at start and releases it after a clean stop:

- :meth:`LocalTables.claim` takes an exclusive lock on ``<tabledir>.state`` (another live
  worker on the same directory is refused, with its pid); if the file says the last
  worker using the tables never released them, every table not written behind is
  deleted, and Faust rebuilds it from its changelog (every key exactly as the
  changelog's last record says). Tables left by a version that did not write behind
  (its state line does not say so) are all deleted. Then the file says "in use".
- :meth:`LocalTables.release` marks them clean; :meth:`LocalTables.release_if_clean` calls
  it only once the worker stopped with exit code 0 and no record of it went undelivered
  (the shell's ``run_faust`` does, around Faust's worker).

Deleting is what Kafka Streams does under exactly-once (a store without a clean
checkpoint is wiped); its price, a restart that reads whole changelogs (14.5 s at
100,000 open tickets against 3.7 s, bench/RESULTS.md), is what writing behind avoids.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import faust

from streams._faust import delivery_failed
from streams.table_writes import written_behind

__all__ = ["LocalTables", "TablesInUse", "claim_local_tables"]

logger = logging.getLogger("sla_police.streams")

_IN_USE, _CLEAN = "in use", "clean"
#: In the state line of a worker whose tables in ``keep`` are written behind.
_BEHIND = "written behind: "


class TablesInUse(RuntimeError):
    """Another live worker holds the table directory."""


class LocalTables:
    """The claim on one worker's table directory (``tabledir``: Faust's ``app.conf.tabledir``)."""

    def __init__(self, tabledir: Path, keep: Collection[str] = ()) -> None:
        self.tabledir, self.keep = tabledir, sorted(keep)  # tables written behind
        self.state_file = tabledir.with_name(tabledir.name + ".state")
        self._held: IO[str] | None = None
        #: Set by :meth:`claim` after an unclean stop: the tables kept (written behind).
        self.kept: list[str] = []

    def claim(self) -> list[str]:
        """Lock the directory for this process; the entries of the table directory
        discarded (the last worker using them did not stop cleanly; see the module doc)."""
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
        said = held.read()
        discarded = []
        if said.startswith(_IN_USE) and self.tabledir.exists():
            self.kept = _kept_by(said)
            discarded = self._discard(self.kept)
        self._held = held
        behind = f"; {_BEHIND}{','.join(self.keep)}" if self.keep else ""
        self._say(f"{_IN_USE} by pid {os.getpid()} since {datetime.now(UTC).isoformat()}"
                  f"{behind}")
        return discarded

    def _discard(self, kept: list[str]) -> list[str]:
        """Delete the table directory's entries except those of the tables ``kept``."""
        own = [re.compile(rf"{re.escape(name)}-(\d+\.db|backups)") for name in kept]
        discarded = []
        for entry in sorted(self.tabledir.iterdir()):
            if not any(pattern.fullmatch(entry.name) for pattern in own):
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                discarded.append(entry.name)
        return discarded

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
    worker that did not stop cleanly and not written behind are discarded and logged);
    None for the memory store, rebuilt from the changelogs at every start anyway. Raises
    :class:`TablesInUse` if another live worker holds the directory."""
    if app.conf.store.scheme != "rocksdb":
        return None
    tables = LocalTables(Path(app.conf.tabledir), written_behind(app))
    discarded = tables.claim()
    if discarded:
        logger.warning("local tables discarded: the last worker using them did not stop "
                       "cleanly; rebuilding them from the changelogs (%s: %s)",
                       tables.tabledir, ", ".join(discarded))
    if tables.kept:
        logger.warning("local tables kept after an unclean stop: written behind their "
                       "changelogs, they are read from their persisted offsets (%s)",
                       ", ".join(tables.kept))
    return tables


def _kept_by(state: str) -> list[str]:
    """The tables a state line says were written behind (none in an older line)."""
    _, found, names = state.strip().partition(_BEHIND)
    return [name for name in names.split(",") if name] if found else []
