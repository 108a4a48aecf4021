"""Replaying a calls log: the same bytes in any line order and with redelivered lines,
invalid lines dead-lettered on the calls topic, and the before/after judgement of a policy
change equal to an independent computation written out in this test."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from statistics import mean

from models import CloudEvent
from models.calls import BlockDecided, BlockRequested, CallEnded, QaReviewed
from sla.calls_change import judge_change, records_from
from sla.calls_replay import replay_calls_lines
from tests.sla.test_calls_stories import SPEC

CHANGE = date(2026, 11, 1)
CHANGE_AT = datetime(2026, 10, 31, 16, tzinfo=UTC)  # midnight in Shanghai
WINDOW = timedelta(days=30)


def simulate(seed: int) -> list[CloudEvent]:
    """Sixty days of calls around the change: ordinary callers, three nuisance callers who
    burst after the change, one block requested and approved, QA verdicts."""
    rng = random.Random(seed)
    events: list[CloudEvent] = []
    start = CHANGE_AT - WINDOW
    for n in range(400):
        at = start + timedelta(seconds=rng.randrange(int(2 * WINDOW.total_seconds())))
        events.append(_call(n, at, f"c-{rng.randrange(40)}", rng))
    for k in range(3):
        caller = f"nuisance-{k}"
        for n in range(6):  # before: a steady trickle, handled by agents
            events.append(_call(1000 + 10 * k + n, start + timedelta(days=4 * n + k), caller,
                                rng, "nuisance"))
        base = CHANGE_AT + timedelta(days=2 + k)
        for n in range(3):  # after: a burst, blocked by the rule
            events.append(_call(2000 + 10 * k + n, base + timedelta(minutes=10 * n), caller,
                                rng, "abusive"))
    abusive = next(e for e in events if e.subject == "nuisance-0"
                   and e.data.disposition == "abusive")
    events.append(BlockRequested(
        id="req-1", source="api", time=CHANGE_AT + timedelta(days=9), subject="nuisance-0",
        data={"caller_ref": "nuisance-0", "period": "permanent", "reason": "again",
              "evidence": [abusive.data.call_id], "requested_by": "lead-1"}))
    events.append(BlockDecided(
        id="dec-1", source="api", time=CHANGE_AT + timedelta(days=9, hours=1),
        subject="nuisance-0", data={"request_id": "req-1", "decision": "approved",
                                    "decided_by": "lead-2", "role": "contact_center_lead"}))
    return events


def _call(n: int, at: datetime, caller: str, rng: random.Random,
          disposition: str | None = None) -> CloudEvent:
    disposition = disposition or rng.choice(["resolved"] * 6 + ["no_further_need", "other"])
    return CallEnded(id=f"acd-{n}", source="acd", time=at, subject=caller, data={
        "call_id": f"call-{n}", "caller_ref": caller, "agent": f"a-{n % 4}", "team": "east",
        "started_at": at - timedelta(minutes=5), "duration_seconds": rng.randrange(60, 900),
        "ended_by": rng.choice(["agent", "customer", "customer", "customer", "system"]),
        "disposition": disposition, "warned": rng.random() < 0.5,
        "csat": rng.choice([None, 1, 2, 3, 4, 5])})


def _lines(events: list[CloudEvent]) -> list[str]:
    return [e.to_json() for e in events]


def test_replay_is_the_same_bytes_in_any_order_and_with_redeliveries() -> None:
    lines = _lines(simulate(1))
    first = replay_calls_lines(lines, SPEC, until=CHANGE_AT + 2 * WINDOW)
    shuffled = lines + lines[:50]
    random.Random(7).shuffle(shuffled)
    again = replay_calls_lines(shuffled, SPEC, until=CHANGE_AT + 2 * WINDOW)
    assert again.jsonl() == first.jsonl() and again.duplicates == 50
    kinds = {e.type for e in first.outputs}
    assert {"caller.blocked", "caller.unblocked", "qa.item_opened", "call.norm_breached",
            "block.review_due"} <= kinds


def test_an_invalid_line_is_a_dead_letter_of_the_topic_it_is_published_to() -> None:
    lines = _lines(simulate(2)[:20])
    bad = json.loads(lines[0])
    bad["data"]["ended_by"] = "supervisor"
    result = replay_calls_lines([*lines, json.dumps(bad), "not json"], SPEC)
    letters = [e for e in result.outputs if e.type == "event.rejected"]
    assert result.invalid == 2 and len(letters) == 2
    # a calls type goes to calls; a line with no readable type to ticket-events, as published
    assert sorted(e.data.topic for e in letters) == ["calls", "ticket-events"]
    assert any("data.ended_by" in e.data.reason for e in letters)


def test_the_before_after_judgement_equals_an_independent_computation() -> None:
    events = simulate(3)
    result = replay_calls_lines(_lines(events), SPEC, until=CHANGE_AT + 2 * WINDOW)
    items = [e for e in result.outputs if e.type == "qa.item_opened"]
    verdicts = [QaReviewed(id=f"qa-{i}", source="api", time=CHANGE_AT + 2 * WINDOW,
                           subject=item.subject, data={
                               "qa_id": item.data.qa_id, "inspector": "qa-1",
                               "verdict": "compliant" if i % 3 else "non_compliant"})
                for i, item in enumerate(items)]
    complained = {"nuisance-1", "c-3"}
    records = records_from([*result.inputs, *verdicts], result.outputs, complained)
    report = judge_change(records, CHANGE, WINDOW, timezone="Asia/Shanghai",
                          band=SPEC.agent_share)
    calls = [e for e in events if e.type == "call.ended"]
    blocks = [e for e in result.outputs if e.type == "caller.blocked"]
    for figures, start in ((report.before, CHANGE_AT - WINDOW), (report.after, CHANGE_AT)):
        end = start + WINDOW
        inside = [c for c in calls if start <= c.time < end]
        assert figures.calls == len(inside)
        scores = [c.data.csat for c in inside if c.data.csat]
        assert figures.csat == (round(mean(scores), 2) if scores else None)
        agent = len([c for c in inside if c.data.ended_by == "agent"])
        customer = len([c for c in inside if c.data.ended_by == "customer"])
        assert figures.agent_share == round(agent / (agent + customer), 4)
        ends = {i.data.qa_id: i.data.ended_at for i in items}
        judged = [v.data.verdict for v in verdicts if start <= ends[v.data.qa_id] < end]
        assert figures.qa_reviewed == len(judged)
        if judged:
            assert figures.qa_compliance == round(judged.count("compliant") / len(judged), 4)
        blocked = {b.subject for b in blocks if b.time < end and (
            b.data.until is None or b.data.until > start)}
        assert figures.blocked_callers == len(blocked)
        assert figures.blocked_who_complained == len(blocked & complained)
        released = 0.0
        for caller in blocked:
            before = [c.data.duration_seconds for c in calls
                      if c.subject == caller and start - WINDOW <= c.time < start]
            taken = len([c for c in inside if c.subject == caller])
            if before:
                released += max(0, len(before) - taken) * mean(before)
        assert figures.minutes_released == round(released / 60, 2)
    assert report.before.blocked_callers == 0 and report.after.blocked_callers == 3
    assert report.after.minutes_released > 0
