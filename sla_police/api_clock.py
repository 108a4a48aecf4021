"""The API's "now" when the worker runs on the stream clock (``SLA_CLOCK=stream``).

On the stream clock, time is the events' time (a demo plays November at 240 times speed; a
replay feeds last year): judged by the wall clock, every open clock would look weeks past
its breach. So the API takes as now the event time of the newest clock snapshot in the
ledger (:func:`ledger.worklist.latest_change`), re-read at most every ``refresh`` seconds,
and the wall clock until the ledger has one. Production runs on the wall clock and never
uses this.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from ledger import create_ledger_engine
from ledger.worklist import latest_change

__all__ = ["StreamTime"]


class StreamTime:
    """A clock (``clock()`` -> aware datetime) that follows the stream's time in a ledger."""

    def __init__(self, database_url: str, *, refresh: float = 2.0,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine: Engine | None = None
        self._url, self._refresh = database_url, refresh
        self._wall, self._monotonic = wall, monotonic
        self._read_at: float | None = None
        self._latest: datetime | None = None

    def __call__(self) -> datetime:
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self._refresh:
            if self._engine is None:
                self._engine = create_ledger_engine(self._url)
            self._latest, self._read_at = latest_change(self._engine), now
        return self._latest if self._latest is not None else self._wall()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
