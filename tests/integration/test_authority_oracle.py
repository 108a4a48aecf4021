"""Agent authority in the live pipeline equals replay's: every grant recorded and judged,
exceeded grants fined to the agent, approvals timed, large grants audited and verdicts
recorded, on the real broker with the shipped policy.

The simulated day gets concessions on some of its tickets, the way a CRM would publish
them: grants within the limit, above it with a covering approval (request, decision,
grant), above it with a team lead's approval that does not cover it, large grants by a
supervisor (audited) and their verdicts, pilot agents inside the pilot week, and a
decision on a request that does not exist (refused). The worker gets the whole log and
must produce exactly what replay computes for it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from models import derived_id
from sla.config import load_config
from sla.replay import replay_lines
from sla.testing import audited, decided, granted, requested
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


def complaints(lines: list[bytes]) -> list[tuple[str, datetime]]:
    """(ticket, received at) of every readable complaint of the log, in log order."""
    found = []
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("type") == "complaint.received":
            try:
                found.append((obj["subject"], datetime.fromisoformat(obj["time"])))
            except (KeyError, TypeError, ValueError):
                continue
    return list(dict.fromkeys(found))


def concessions(ticket: str, at: datetime, n: int) -> list:
    """One of five concession stories for the n-th ticket, starting after ``at``."""
    t = [at + timedelta(minutes=m) for m in (20, 50, 55, 60)]
    story = n % 5
    if story == 0:
        return [granted(ticket, t[0], "agent-007", "40", event_id=f"g-{ticket}")]
    if story == 1:
        return [requested(ticket, t[0], "agent-012", "260", event_id=f"r-{ticket}"),
                decided(ticket, t[1], f"r-{ticket}", "sup-01", "supervisor",
                        event_id=f"d-{ticket}"),
                granted(ticket, t[2], "agent-012", "260", approved_by="sup-01",
                        request_id=f"r-{ticket}", event_id=f"g-{ticket}")]
    if story == 2:
        return [granted(ticket, t[0], "agent-031", "420", approved_by="lead-02",
                        event_id=f"g-{ticket}")]
    if story == 3:
        audit_id = derived_id(f"g-{ticket}", "audit.item_opened")
        return [granted(ticket, t[0], "sup-02", "800", kind="refund", event_id=f"g-{ticket}"),
                audited(ticket, t[3], audit_id, "compliant", event_id=f"v-{ticket}")]
    return [granted(ticket, t[0], "agent-066", "280", event_id=f"g-{ticket}"),
            decided(ticket, t[1], "no-such-request", "lead-03", "team_lead",
                    event_id=f"d-{ticket}")]


def with_concessions(lines: list[bytes], every: int = 4) -> list[bytes]:
    """The log and the concession stories of every ``every``-th complaint's ticket."""
    extra = [event for n, (ticket, at) in enumerate(complaints(lines)[::every])
             for event in concessions(ticket, at, n)]
    return lines + [e.to_json().encode() for e in extra]


def test_stream_equals_replay_with_concessions(bootstrap: str, tmp_path: Path) -> None:
    lines = with_concessions(small_log())
    result = replay_lines(lines, load_config(CONFIG_PATH))
    expected = {e.id: normalise(e) for e in result.outputs}
    kinds = Counter(e.type for e in result.outputs)
    for kind in ("concession.recorded", "authority.exceeded", "approval.recorded",
                 "audit.item_opened", "audit.item_closed"):
        assert kinds[kind], kind
    assert any(e.type == "penalty.assessed" and e.data.trigger == "authority_exceeded"
               for e in result.outputs)
    assert any(e.type == "event.rejected" and "no-such-request" in e.data.reason
               for e in result.outputs)
    worker = WorkerProcess(bootstrap, tmp_path / "w1").start()
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, result.until, partitions=PARTITIONS))
        found = settled_outputs(bootstrap, worker.app_id)
    finally:
        worker.stop()
    assert_same_as_replay(actual_outputs(found), expected)
