"""On the stream clock the API's now is the stream's time (the newest clock snapshot in the
ledger), not today: a demo playing November must not show every clock weeks overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ledger import Ledger
from sla_police.api_clock import StreamTime
from tests.ledger.test_worklist import T0, clock, snapshot

WALL = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def test_now_is_the_newest_snapshots_time_re_read_after_the_refresh(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ticks = [0.0]
    with Ledger(url, timezone="Asia/Shanghai") as ledger:
        ledger.migrate()
        now = StreamTime(url, refresh=2.0, wall=lambda: WALL, monotonic=lambda: ticks[0])
        assert now() == WALL  # nothing recorded yet: the wall clock
        ledger.record([snapshot("T-1", 1, clock()), snapshot("T-2", 3, clock())])
        assert now() == WALL  # within the refresh: not re-read
        ticks[0] = 2.0
        assert now() == snapshot("T-2", 3).data.changed_at
        assert now() > T0
        now.close()
