"""Calls stories (issue 15, "Tests that must exist"): the hang-up norms for every
disposition and warning, a burst of worthless calls blocked exactly at the Nth call and
never beyond the rule's period, four eyes on every human block, expiry and review on the
dot however the time machine advances, the weekly QA sample drawn the same every time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import CloudEvent
from models.calls import (
    DISPOSITIONS,
    BlockDecided,
    BlockLifted,
    BlockRequested,
    CallEnded,
)
from sla.calls import CallsEngine, judge_hangup
from sla.calls_qa import QaSampler, week_of
from sla.config import parse_config
from tests.sla.test_calls_config import policy

SPEC = parse_config(policy()).calls
assert SPEC is not None
T0 = datetime(2026, 11, 16, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
LEAD = "contact_center_lead"


def call(n: int, at: datetime, disposition: str = "nuisance", caller: str = "c-1",
         ended_by: str = "agent", warned: bool = True, agent: str = "a-1") -> CloudEvent:
    return CallEnded(id=f"acd-{caller}-{n}", source="acd", time=at, subject=caller, data={
        "call_id": f"call-{caller}-{n}", "caller_ref": caller, "agent": agent,
        "team": "east", "started_at": at - timedelta(minutes=4), "duration_seconds": 240,
        "ended_by": ended_by, "disposition": disposition, "warned": warned})


def request(n: int, at: datetime, evidence: list[str], period: str = "week",
            by: str = "lead-1", caller: str = "c-1") -> CloudEvent:
    return BlockRequested(id=f"req-{n}", source="api", time=at, subject=caller, data={
        "caller_ref": caller, "period": period, "reason": "abusive again",
        "evidence": evidence, "requested_by": by})


def decide(n: int, at: datetime, request_id: str, by: str = "lead-2", role: str = LEAD,
           decision: str = "approved", caller: str = "c-1") -> CloudEvent:
    return BlockDecided(id=f"dec-{n}", source="api", time=at, subject=caller, data={
        "request_id": request_id, "decision": decision, "decided_by": by, "role": role})


def run(events: list[CloudEvent], until: datetime, steps: list[datetime] = ()) -> list[Any]:
    """The outputs of one caller's events, advancing through ``steps`` then to ``until``."""
    engine = CallsEngine(SPEC)
    state = engine.new_caller(events[0].subject)
    for event in events:
        engine.receive(state, event)
    out = []
    for step in [*steps, until]:
        out += engine.advance(state, step)
    return out


def types(out: list[CloudEvent]) -> list[str]:
    return [e.type for e in out]


# -- norms ----------------------------------------------------------------------------

#: The policy of tests/sla/test_calls_config.py written out by hand: what an agent hang-up
#: of each disposition breaks without (index 0) and with (index 1) a warning.
NORMS = {"resolved": (None, None), "no_further_need": (None, None),
         "nuisance": ("warning_first", None), "abusive": ("warning_first", None),
         "final_answer_repeat": ("warning_first", None), "out_of_scope": (None, None),
         "other": ("agent_may_not_end", "agent_may_not_end")}


@pytest.mark.parametrize("warned", [False, True])
@pytest.mark.parametrize("disposition", DISPOSITIONS)
@pytest.mark.parametrize("ended_by", ["agent", "customer", "system"])
def test_every_disposition_and_warning_against_the_norms(disposition: str, warned: bool,
                                                         ended_by: str) -> None:
    expected = NORMS[disposition][warned] if ended_by == "agent" else None
    assert judge_hangup(SPEC, ended_by, disposition, warned) == expected
    out = run([call(1, T0, disposition, ended_by=ended_by, warned=warned)], T0)
    breaches = [e for e in out if e.type == "call.norm_breached"]
    assert [e.data.norm for e in breaches] == ([] if expected is None else [expected])


# -- automatic blocks -------------------------------------------------------------------


def test_a_burst_is_blocked_exactly_at_the_third_call_within_the_hour() -> None:
    calls = [call(i, T0 + timedelta(minutes=25 * i)) for i in range(3)]
    assert "caller.blocked" not in types(run(calls[:2], T0 + DAY))
    [block] = [e for e in run(calls, T0 + HOUR) if e.type == "caller.blocked"]
    assert block.time == calls[2].time and block.data.by == "rule:burst"
    assert block.data.until == calls[2].time + DAY
    assert block.data.evidence == ["call-c-1-0", "call-c-1-1", "call-c-1-2"]


def test_calls_spread_beyond_the_window_are_not_a_burst() -> None:
    calls = [call(i, T0 + timedelta(minutes=31 * i)) for i in range(5)]
    assert "caller.blocked" not in types(run(calls, T0 + DAY))
    resolved = [call(i, T0 + timedelta(minutes=i), "resolved") for i in range(5)]
    assert "caller.blocked" not in types(run(resolved, T0 + DAY))


def test_calls_during_a_block_never_extend_it_and_never_count_again() -> None:
    burst = [call(i, T0 + timedelta(minutes=i)) for i in range(3)]
    during = [call(10 + i, T0 + timedelta(hours=2, minutes=i)) for i in range(5)]
    after = [call(20 + i, T0 + DAY + timedelta(hours=3, minutes=i)) for i in range(3)]
    out = run(burst + during + after[:2], T0 + 3 * DAY)
    assert types(out).count("caller.blocked") == 1
    [ended] = [e for e in out if e.type == "caller.unblocked"]
    assert (ended.time, ended.data.why) == (T0 + timedelta(minutes=2) + DAY, "expired")
    out = run(burst + during + after, T0 + 3 * DAY)
    blocks = [e for e in out if e.type == "caller.blocked"]
    assert [b.time for b in blocks] == [burst[2].time, after[2].time]


@pytest.mark.parametrize("seed", range(12))
def test_a_rule_never_blocks_beyond_its_period(seed: int) -> None:
    rng = random.Random(seed)
    at, calls = T0, []
    for n in range(60):
        at += timedelta(minutes=rng.choice([1, 5, 20, 45, 90, 600, 1500]))
        calls.append(call(n, at, rng.choice(["nuisance", "abusive", "resolved"])))
    out = run(calls, at + 10 * DAY)
    blocks = {e.data.block_id: e for e in out if e.type == "caller.blocked"}
    ends = {e.data.block_id: e for e in out if e.type == "caller.unblocked"}
    assert blocks and set(blocks) == set(ends)
    for block_id, block in blocks.items():
        assert block.data.until - block.time == DAY
        assert ends[block_id].time == block.data.until
    # never two blocks at once: each ends before the next begins
    spans = sorted((b.time, ends[i].time) for i, b in blocks.items())
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))


# -- four eyes --------------------------------------------------------------------------


def _abusive(n: int = 1) -> CloudEvent:
    return call(n, T0, "abusive")


def test_a_second_lead_approves_and_the_caller_is_blocked_for_the_week() -> None:
    out = run([_abusive(), request(1, T0 + HOUR, ["call-c-1-1"]),
               decide(1, T0 + 2 * HOUR, "req-1")], T0 + 3 * HOUR)
    [block] = [e for e in out if e.type == "caller.blocked"]
    assert (block.data.by, block.data.until) == ("lead-1+lead-2", T0 + 2 * HOUR + 7 * DAY)
    assert (block.data.requested_by, block.data.approved_by) == ("lead-1", "lead-2")


def test_self_approval_is_refused_and_blocks_nobody() -> None:
    out = run([_abusive(), request(1, T0 + HOUR, ["call-c-1-1"]),
               decide(1, T0 + 2 * HOUR, "req-1", by="lead-1")], T0 + 3 * DAY)
    [refusal] = out
    assert (refusal.type, refusal.data.why, refusal.data.by) == (
        "block.refused", "self_approval", "lead-1")
    assert "a second person must" in refusal.data.reason
    # the request still waits for a second person
    out = run([_abusive(), request(1, T0 + HOUR, ["call-c-1-1"]),
               decide(1, T0 + 2 * HOUR, "req-1", by="lead-1"),
               decide(2, T0 + 3 * HOUR, "req-1", by="lead-3")], T0 + 4 * HOUR)
    assert types(out) == ["block.refused", "caller.blocked"]


@pytest.mark.parametrize(("events", "why"), [
    ([request(1, T0 + HOUR, ["call-c-1-1"]),
      decide(1, T0 + 2 * HOUR, "req-1", role="agent")], "role_not_allowed"),
    ([decide(1, T0 + 2 * HOUR, "req-9")], "unknown_request"),
    ([request(1, T0 + HOUR, ["call-c-1-1"]), decide(1, T0 + 2 * HOUR, "req-1"),
      decide(2, T0 + 3 * HOUR, "req-1", by="lead-3")], "already_decided"),
    ([request(1, T0 + HOUR, ["call-c-1-7"])], "evidence_not_worthless"),
    ([request(1, T0 + 31 * DAY, ["call-c-1-1"])], "evidence_not_worthless"),
])
def test_block_commands_outside_the_rules_are_refused(events: list[CloudEvent],
                                                      why: str) -> None:
    out = run([_abusive(), *events], T0 + 40 * DAY)
    assert [e.data.why for e in out if e.type == "block.refused"] == [why]


def test_a_period_the_policy_does_not_allow_is_refused() -> None:
    spec = parse_config(policy().replace("[day, week, month, permanent]", "[day, week]")).calls
    engine = CallsEngine(spec)
    state = engine.new_caller("c-1")
    for event in (_abusive(), request(1, T0 + HOUR, ["call-c-1-1"], period="month")):
        engine.receive(state, event)
    [refusal] = engine.advance(state, T0 + DAY)
    assert refusal.data.why == "period_not_allowed"


def test_a_lead_lifts_a_block_and_its_expiry_never_fires() -> None:
    blocked = run([_abusive(), request(1, T0, ["call-c-1-1"]), decide(1, T0 + HOUR, "req-1")],
                  T0 + HOUR)[-1]
    lift = BlockLifted(id="lift-1", source="api", time=T0 + DAY, subject="c-1", data={
        "block_id": blocked.data.block_id, "lifted_by": "lead-3", "role": LEAD,
        "reason": "settled"})
    out = run([_abusive(), request(1, T0, ["call-c-1-1"]), decide(1, T0 + HOUR, "req-1"),
               lift], T0 + 30 * DAY)
    assert types(out) == ["caller.blocked", "caller.unblocked"]
    assert (out[1].data.why, out[1].time, out[1].data.lifted_by) == ("lifted", T0 + DAY,
                                                                     "lead-3")


# -- expiry and review: the time machine ------------------------------------------------


def _permanent() -> list[CloudEvent]:
    return [_abusive(), request(1, T0 + HOUR, ["call-c-1-1"], period="permanent"),
            decide(1, T0 + 2 * HOUR, "req-1")]


def test_a_permanent_block_comes_up_for_review_every_thirty_days() -> None:
    out = run(_permanent(), T0 + 2 * HOUR + 95 * DAY)
    [block, *reviews] = out
    start = T0 + 2 * HOUR
    assert block.data.until is None and block.data.review_at == start + 30 * DAY
    assert [(r.time, r.data.review) for r in reviews] == [
        (start + 30 * DAY, 1), (start + 60 * DAY, 2), (start + 90 * DAY, 3)]


@pytest.mark.parametrize("seed", range(8))
def test_expiry_and_review_do_not_depend_on_how_time_advances(seed: int) -> None:
    rng = random.Random(seed)
    burst = [call(i, T0 + 40 * DAY + timedelta(minutes=i), caller="c-1") for i in range(3)]
    events = _permanent() + [BlockLifted(
        id="lift-1", source="api", time=T0 + 35 * DAY, subject="c-1",
        data={"block_id": "x", "lifted_by": "lead-3", "role": LEAD, "reason": "r"})] + burst
    until = T0 + 70 * DAY
    steps = sorted(T0 + timedelta(seconds=rng.randrange(int(70 * DAY.total_seconds())))
                   for _ in range(rng.randrange(1, 30)))
    assert run(events, until, steps) == run(events, until)


def test_the_caller_is_unblocked_exactly_at_until_not_a_second_before() -> None:
    burst = [call(i, T0 + timedelta(minutes=i)) for i in range(3)]
    until = burst[2].time + DAY
    assert "caller.unblocked" not in types(run(burst, until - timedelta(seconds=1)))
    assert types(run(burst, until))[-1] == "caller.unblocked"


# -- the weekly QA sample ---------------------------------------------------------------


def _week(seed: int) -> list[CloudEvent]:
    rng = random.Random(seed)
    return [call(n, T0 + timedelta(hours=rng.randrange(0, 24 * 7 - 10)),
                 rng.choice(DISPOSITIONS), caller=f"c-{n % 9}", warned=rng.random() < 0.7,
                 ended_by=rng.choice(["agent", "customer"]), agent=f"a-{n % 3}")
            for n in range(120)]


def _sample(events: list[CloudEvent], now: datetime) -> list[CloudEvent]:
    sampler = QaSampler(SPEC)
    state = sampler.new_state()
    for event in events:
        sampler.receive(state, event)
    return sampler.advance(state, now)


def test_each_agent_gets_its_sample_and_every_breach_when_the_week_ends() -> None:
    events = _week(1)
    label, end = week_of(SPEC, T0)
    assert (label, end) == ("2026-W47", datetime(2026, 11, 22, 16, tzinfo=UTC))
    assert _sample(events, end - timedelta(seconds=1)) == []
    items = _sample(events, end)
    for agent in ("a-0", "a-1", "a-2"):
        mine = [i for i in items if i.data.agent == agent]
        breaches = {e.data.call_id for e in events if e.data.agent == agent and judge_hangup(
            SPEC, e.data.ended_by, e.data.disposition, e.data.warned)}
        assert {i.data.call_id for i in mine if i.data.selected_by == "norm_breach"} == breaches
        assert sum(i.data.selected_by == "sample" for i in mine) == 3
        assert all(i.time == end and i.data.week == "2026-W47" for i in mine)


def test_the_sample_is_the_same_in_any_order() -> None:
    events = _week(2)
    end = week_of(SPEC, T0)[1]
    shuffled = events[:]
    random.Random(5).shuffle(shuffled)
    assert _sample(events, end) == _sample(shuffled, end)
    assert _sample(events, end) != _sample(_week(3), end)
