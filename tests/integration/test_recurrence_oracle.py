"""Corrective actions in the live pipeline equal replay's: opened, fixed, repeats fined and
reviewed, on the real broker.

The policy is the shipped one with the recurrence rule scaled to a small log (8 complaints
of a category within a day; reviewed 3 hours after the fix). Replay of the simulated day
tells which actions open; a fix of each, 20 minutes after its opening and riding on its
anchor ticket as the API publishes it, is added to the log; the worker then gets the whole
log and must produce exactly what replay computes for it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from sla.config import load_config
from sla.replay import replay_lines
from sla.testing import fixed
from streams.testing import WorkerProcess, publish_log, settled_outputs
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import (
    CONFIG_PATH,
    actual_outputs,
    assert_same_as_replay,
    normalise,
    small_log,
)

pytestmark = pytest.mark.integration


def small_recurrence_policy(tmp_path: Path) -> Path:
    text = CONFIG_PATH.read_text(encoding="utf-8")
    for shipped, small in (("threshold: 500", "threshold: 8"),
                           ("review_after: 14d", "review_after: 3h")):
        assert text.count(shipped) == 1, shipped
        text = text.replace(shipped, small)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def with_fixes(lines: list[bytes], policy: Path) -> list[bytes]:
    """The log and a declared fix of every action replay opens on it."""
    opened = [e for e in replay_lines(lines, load_config(policy)).outputs
              if e.type == "corrective_action.opened"]
    assert opened, "the small policy should open actions on the simulated day"
    fixes = [fixed(e.data.anchor_ticket, e.time + timedelta(minutes=20), e.data.action_id,
                   e.data.department, actor=f"{e.data.department}-head",
                   event_id=f"fix-{e.data.action_id}") for e in opened]
    return lines + [f.to_json().encode() for f in fixes]


def test_stream_equals_replay_with_corrective_actions(bootstrap: str, tmp_path: Path) -> None:
    policy = small_recurrence_policy(tmp_path)
    lines = with_fixes(small_log(), policy)
    result = replay_lines(lines, load_config(policy))
    expected = {e.id: normalise(e) for e in result.outputs}
    kinds = Counter(e.type for e in result.outputs)
    assert kinds["corrective_action.opened"] and kinds["sla.fix_declared"]
    assert kinds["corrective_action.reviewed"]
    assert any(e.type == "penalty.assessed" and e.data.trigger == "recurrence"
               for e in result.outputs)
    worker = WorkerProcess(bootstrap, tmp_path / "w1",
                           extra_env={"SLA_CONFIG": str(policy)}).start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, result.until, partitions=PARTITIONS))
        found = settled_outputs(bootstrap, worker.app_id)
    finally:
        worker.stop()
    assert_same_as_replay(actual_outputs(found), expected)
