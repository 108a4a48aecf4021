"""A small deterministic calls log for the calls stream tests, and its replay (the oracle).

Six weeks of a contact center's calls (agents hang up about a fifth of the time), with the
stories the calls stage must tell exactly as replay does: nuisance bursts that trip the
automatic rule (one more burst during the block, which neither extends it nor counts
again), block requests approved, declined, self-approved (refused, then approved by a second
lead), decided by a role that may not, decided twice or unknown, evidence that is not a
worthless call, a week's block that expires, a permanent block reviewed after 30 days, a
lift, a lift of a block that is not active, QA verdicts, duplicates and invalid lines, and
lines a little out of time order. Kept here (not in the simulator, which another change
brings): the tests need these stories, not realism.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models import CloudEvent, derived_id
from models.calls import BlockDecided, BlockLifted, BlockRequested, CallEnded, QaReviewed
from sla.calls_replay import CallsReplayResult, replay_calls_lines
from sla.config import load_config

__all__ = ["CONFIG_PATH", "LEAD", "START", "calls_log", "calls_spec", "expected_calls"]

CONFIG_PATH = Path(__file__).resolve().parents[2] / "deploy/config/sla-police.yaml"
START = datetime(2026, 10, 19, 1, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
LEAD = "contact_center_lead"
AGENTS = [f"agent-{n}" for n in range(5)]


def calls_spec():
    return load_config(CONFIG_PATH).calls


class _Log:
    def __init__(self, seed: int) -> None:
        self.rng, self.events, self.n = random.Random(seed), [], 0

    def call(self, at: datetime, caller: str, disposition: str | None = None,
             ended_by: str | None = None, warned: bool | None = None) -> CloudEvent:
        rng, self.n = self.rng, self.n + 1
        disposition = disposition or rng.choice(["resolved"] * 7 + ["no_further_need", "other",
                                                                    "final_answer_repeat"])
        ended_by = ended_by or rng.choices(["agent", "customer", "system"], [18, 78, 4])[0]
        agent = AGENTS[rng.randrange(len(AGENTS))]
        event = CallEnded(id=f"acd-{self.n}", source="acd", time=at, subject=caller, data={
            "call_id": f"call-{self.n}", "caller_ref": caller, "agent": agent,
            "team": "east" if agent < "agent-3" else "west",
            "started_at": at - timedelta(seconds=rng.randrange(30, 900)),
            "duration_seconds": rng.randrange(30, 900), "ended_by": ended_by,
            "disposition": disposition,
            "warned": rng.random() < 0.6 if warned is None else warned,
            "csat": rng.choice([None, 2, 3, 4, 5])})
        self.events.append(event)
        return event

    def burst(self, at: datetime, caller: str, count: int = 3) -> list[CloudEvent]:
        return [self.call(at + timedelta(minutes=12 * k), caller,
                          self.rng.choice(["nuisance", "abusive"]), "agent", True)
                for k in range(count)]

    def request(self, at: datetime, caller: str, evidence: list[str], period: str,
                by: str = "agent-1") -> str:
        rid = f"req-{len(self.events)}"
        self.events.append(BlockRequested(id=rid, source="api", time=at, subject=caller, data={
            "caller_ref": caller, "period": period, "reason": "abuse of staff",
            "evidence": evidence, "requested_by": by}))
        return rid

    def decide(self, at: datetime, caller: str, rid: str, decision: str = "approved",
               by: str = "lead-2", role: str = LEAD) -> None:
        self.events.append(BlockDecided(
            id=f"dec-{len(self.events)}", source="api", time=at, subject=caller,
            data={"request_id": rid, "decision": decision, "decided_by": by, "role": role}))

    def lift(self, at: datetime, caller: str, block_id: str, role: str = LEAD) -> None:
        self.events.append(BlockLifted(
            id=f"lift-{len(self.events)}", source="api", time=at, subject=caller,
            data={"block_id": block_id, "lifted_by": "lead-2", "role": role,
                  "reason": "a customer after all"}))


def _stories(log: _Log, start: datetime) -> None:
    day = timedelta(days=1)
    log.burst(start + 2 * day, "nuisance-1")                       # auto-block for a day
    log.burst(start + 2 * day + timedelta(hours=2), "nuisance-1")  # during it: nothing
    log.burst(start + 9 * day, "nuisance-1")                       # later: blocked again
    log.burst(start + 3 * day, "nuisance-2", count=2)              # two only: no block
    calls = log.burst(start + 5 * day, "nuisance-3", count=2)      # week block, expires
    rid = log.request(start + 5 * day + timedelta(hours=1), "nuisance-3",
                      [c.data.call_id for c in calls], "week")
    log.decide(start + 5 * day + timedelta(hours=2), "nuisance-3", rid, by="agent-1")  # self
    log.decide(start + 5 * day + timedelta(hours=3), "nuisance-3", rid, by="agent-4",
               role="agent")                                       # role not allowed
    log.decide(start + 5 * day + timedelta(hours=4), "nuisance-3", rid)  # approved
    log.decide(start + 5 * day + timedelta(hours=5), "nuisance-3", rid)  # already decided
    log.decide(start + 5 * day + timedelta(hours=6), "nuisance-3", "req-nope")  # unknown
    calls = log.burst(start + 4 * day, "nuisance-4", count=1)      # permanent, reviewed
    rid = log.request(start + 4 * day + timedelta(hours=1), "nuisance-4",
                      [calls[0].data.call_id], "permanent")
    log.decide(start + 4 * day + timedelta(hours=2), "nuisance-4", rid, by="lead-3")
    block = derived_id("nuisance-4", rid, "block")
    log.lift(start + 10 * day, "nuisance-4", "blk-nope")           # not blocked
    log.lift(start + 11 * day, "nuisance-4", block, role="agent")  # role not allowed
    calls = log.burst(start + 6 * day, "nuisance-5", count=1)      # declined; then lifted
    rid = log.request(start + 6 * day + timedelta(hours=1), "nuisance-5",
                      [calls[0].data.call_id], "month")
    log.decide(start + 6 * day + timedelta(hours=2), "nuisance-5", rid, decision="declined")
    rid = log.request(start + 7 * day, "nuisance-5", [calls[0].data.call_id], "month")
    log.decide(start + 7 * day + timedelta(hours=1), "nuisance-5", rid, by="lead-3")
    log.lift(start + 12 * day, "nuisance-5", derived_id("nuisance-5", rid, "block"))
    fine = log.call(start + 8 * day, "c-regular", "resolved")      # not worthless evidence
    log.request(start + 8 * day + timedelta(hours=1), "c-regular", [fine.data.call_id], "day")


def calls_log(seed: int = 7, calls: int = 500, days: int = 40,
              start: datetime = START) -> list[bytes]:
    """The log as JSONL lines in publishing order, from ``start`` for about ``days`` days
    (QA verdicts come up to 8 days after the calls they judge)."""
    log = _Log(seed)
    rng = log.rng
    for _ in range(calls):
        at = start + timedelta(seconds=rng.randrange(days * 86400))
        log.call(at, f"c-{rng.randrange(60)}")
    _stories(log, start)
    agent_calls = [e for e in log.events if e.type == "call.ended" and e.data.ended_by == "agent"]
    for k, event in enumerate(agent_calls[:: 9]):
        log.events.append(QaReviewed(
            id=f"qa-{k}", source="api", time=event.time + timedelta(days=8),
            subject=event.subject, data={"qa_id": derived_id(event.data.call_id, "qa.item_opened"),
                                         "inspector": "qa-1", "verdict": "compliant"}))
    log.events.sort(key=lambda e: e.time)
    lines = [e.to_json().encode() for e in log.events]
    for i in range(0, len(lines) - 1, 17):  # a little out of order
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    for i in range(5, len(lines), 61):  # redelivered
        lines.insert(i + 3, lines[i])
    lines.insert(40, b'{"type": "call.ended", "broken')
    wrong = json.loads(lines[50])
    wrong["subject"] = "someone-else"
    lines.insert(60, json.dumps(wrong).encode())
    return lines


def expected_calls(lines: list[bytes], until: datetime | None = None
                   ) -> tuple[CallsReplayResult, datetime]:
    """Replay of ``lines`` (the oracle) to ``until`` (default: the last event) and its end
    (the last tick to publish)."""
    result = replay_calls_lines(lines, calls_spec(), until=until)
    assert result.until is not None
    return result, result.until
