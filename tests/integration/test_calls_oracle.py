"""The calls stage on the real broker produces exactly what ``replay_calls`` computes.

Six weeks of calls (``tests/integration/calls_log.py``: nuisance bursts that block by rule,
block requests approved, declined and self-approved, lifts, a permanent block reviewed,
expiries, QA verdicts, duplicates, invalid lines, lines out of order) are published to a
running worker with stream-clock ticks; every event on the calls output topics (and the
dead letters) is collected and compared with replay of the same log, the weekly QA items
(drawn by the QA stage behind the repartition by agent) included.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from streams.testing import WorkerProcess, publish_log, settled_outputs
from tests.integration.calls_log import calls_log, expected_calls
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import actual_outputs, assert_same_as_replay, normalise

pytestmark = pytest.mark.integration


def test_the_calls_stream_equals_replay(bootstrap: str, tmp_path: Path) -> None:
    lines = calls_log()
    result, until = expected_calls(lines)
    expected = {e.id: normalise(e) for e in result.outputs}
    kinds = Counter(e["type"] for e in expected.values())
    for kind in ("caller.blocked", "caller.unblocked", "block.refused", "block.review_due",
                 "qa.item_opened", "call.norm_breached", "event.rejected"):
        assert kinds[kind], kind
    worker = WorkerProcess(bootstrap, tmp_path / "w1").start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, until, partitions=PARTITIONS))
        found = settled_outputs(bootstrap, worker.app_id)
        blocked = worker.metric_total("sla_caller_blocks_total")
    finally:
        worker.stop()
    assert_same_as_replay(actual_outputs(found), expected)
    assert blocked == kinds["caller.blocked"]
