"""Production mode for calls: with the wall clock and a SIGKILL in the middle, the calls
outputs still equal replay's.

The calls log (``calls_log.py``) is moved in time so that its last event was two minutes
ago and published whole (every event is in the log before its own time has come for the
worker: what a wall-clock replay needs), then a worker running the wall clock on RocksDB
reads it; part-way through it is SIGKILLed and started again on its own data directory.
Its checkpoints carry the end offset of ``calls``, so no partition's clock moves before the
backlog the log held is processed: blocks that expired, the permanent block's review and
the QA weeks that ended before now fire after every event, as in replay. The restarted
worker's recovery re-sends what the killed one had not committed (same ids). Every output,
deduplicated by id (one id never carries two payloads), equals replay of the same log;
nothing is due between the last event and the end of the test (checked on replay), so the
horizon does not matter.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams.testing import WorkerProcess, publish_lines, read_outputs, settle
from tests.integration.calls_log import START, calls_log, expected_calls
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import actual_outputs, assert_same_as_replay, normalise

pytestmark = pytest.mark.integration
QUIET = timedelta(minutes=30)  # nothing of the log falls due this long after its last event


def recent_log() -> tuple[list[bytes], dict[str, dict]]:
    """The calls log ending two minutes ago, and replay's outputs, with nothing due in the
    next :data:`QUIET` (moved back an hour at a time until so)."""
    _, last = expected_calls(calls_log())
    shift = datetime.now(UTC) - timedelta(minutes=2) - last
    for hours in range(48):
        lines = calls_log(start=START + shift - timedelta(hours=hours))
        result, until = expected_calls(lines)
        later, _ = expected_calls(lines, until + QUIET)
        if [e.id for e in later.outputs] == [e.id for e in result.outputs]:
            return lines, {e.id: normalise(e) for e in result.outputs}
    raise AssertionError("no shift of the log leaves a quiet half hour after it")


def wait_for_calls_clocks(worker: WorkerProcess, at_least: datetime,
                          timeout: float = 90.0) -> None:
    """Until every calls partition's clock has passed ``at_least`` (bounded poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clocks = (worker.health() or {}).get("calls_clocks") or {}
        if len(clocks) == PARTITIONS and all(
                datetime.fromisoformat(c) >= at_least for c in clocks.values()):
            return
        time.sleep(0.2)
    raise TimeoutError(f"calls clocks not past {at_least}: {worker.health()}\n{worker.log()}")


def test_the_wall_clock_survives_a_kill_and_equals_replay(bootstrap: str,
                                                          tmp_path: Path) -> None:
    lines, expected = recent_log()
    kinds = {e["type"] for e in expected.values()}
    assert {"caller.unblocked", "block.review_due", "qa.item_opened"} <= kinds
    asyncio.run(publish_lines(bootstrap, lines))
    worker = WorkerProcess(bootstrap, tmp_path / "w", clock="wall", store="rocksdb://")
    worker.start()
    try:
        deadline = time.monotonic() + 90
        while (worker.events_in() or 0) < len(lines) // 4:  # bounded poll: part-way through
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.05)
        worker.kill()
        worker.start()
        worker.wait_ready(timeout=90, partitions=PARTITIONS)
        wait_for_calls_clocks(worker, datetime.now(UTC))
        settle(worker.bootstrap, worker.app_id)
        found = read_outputs(bootstrap)
    finally:
        worker.stop()
    assert_same_as_replay(actual_outputs(found), expected)
