"""The calls simulator (``sla-police simulate-calls``): deterministic, contract-clean, routed
to the ``calls`` topic, and statistically what was asked: agents end about 18 % of the
calls ended by agent or customer before the change and more after it; the planted nuisance
callers, and only they, trip the automatic rule; the planted abusive callers are blocked by
a lead on the contact center's request; nothing is refused by the four-eyes rules."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from models import CloudEvent, parse_event
from models.topics import CALLS, inbound_route
from sla.calls_replay import replay_calls
from sla.config import load_config
from sla_police.cli import app
from sla_police.simulator.calls import CallsOptions, simulate_calls

SPEC = load_config(Path("deploy/config/sla-police.yaml")).calls
OPTIONS = CallsOptions(days=40, seed=3, start=date(2026, 10, 12), calls_per_day=300)


@cache
def _events(options: CallsOptions = OPTIONS) -> tuple[CloudEvent, ...]:
    return tuple(simulate_calls(options))


def _lines(options: CallsOptions) -> list[str]:
    return [event.to_json() for event in simulate_calls(options)]


def test_the_same_options_give_the_same_bytes_and_another_seed_others() -> None:
    small = CallsOptions(days=5, seed=1, calls_per_day=50)
    assert _lines(small) == _lines(small)
    assert _lines(small) != _lines(CallsOptions(days=5, seed=2, calls_per_day=50))


def test_every_line_is_a_calls_input_keyed_by_its_caller_in_time_order() -> None:
    events = _events()
    for event in events:
        raw = event.to_json()
        assert isinstance(parse_event(raw, accept="calls"), CloudEvent), raw
        assert inbound_route(raw) == (CALLS, event.subject.encode())
    assert [e.time for e in events] == sorted(e.time for e in events)
    assert len({e.id for e in events}) == len(events)


def _agent_share(events, after: bool) -> float:
    zone = ZoneInfo(OPTIONS.timezone)
    sides = Counter(e.data.ended_by for e in events if e.type == "call.ended"
                    and (e.time.astimezone(zone).date() >= OPTIONS.change) == after
                    and not e.subject.startswith(("c-8", "c-9")))  # ordinary callers
    return sides["agent"] / (sides["agent"] + sides["customer"])


def test_agents_end_about_18_percent_before_the_change_and_more_after() -> None:
    before, after = _agent_share(_events(), False), _agent_share(_events(), True)
    assert before == pytest.approx(0.18, abs=0.015)
    assert after == pytest.approx(0.30, abs=0.015)


def test_the_planted_callers_and_only_they_are_blocked_and_nothing_is_refused() -> None:
    assert SPEC is not None
    outputs = replay_calls(_events(), SPEC).outputs
    blocks = [e for e in outputs if e.type == "caller.blocked"]
    by_rule = {e.subject for e in blocks if e.data.rule == "burst"}
    by_people = {(e.subject, e.data.by) for e in blocks if e.data.rule is None}
    assert by_rule == {f"c-9{n:05d}" for n in range(OPTIONS.nuisance_callers)}
    assert by_people == {(f"c-8{n:05d}", "cc-desk-1+cc-lead-2")
                         for n in range(OPTIONS.abusive_callers)}
    assert all(e.time.astimezone(ZoneInfo(OPTIONS.timezone)).date() >= OPTIONS.change
               for e in blocks)
    assert [e for e in outputs if e.type == "block.refused"] == []
    decisions = Counter(e.data.decision for e in _events() if e.type == "block.decided")
    assert decisions == {"approved": 2, "declined": 1}


def test_a_blocked_caller_does_not_get_through_while_blocked() -> None:
    assert SPEC is not None
    outputs = replay_calls(_events(), SPEC).outputs
    spans = [(e.subject, e.data.blocked_at, e.data.until) for e in outputs
             if e.type == "caller.blocked"]
    for caller, start, until in spans:
        assert not [e for e in _events() if e.type == "call.ended" and e.subject == caller
                    and start < e.time < until]


def test_the_command_writes_jsonl_with_a_summary_and_refuses_nonsense(tmp_path: Path) -> None:
    out = tmp_path / "calls.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["simulate-calls", "--days", "3", "--calls-per-day", "40",
                                 "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines == _lines(CallsOptions(days=3, calls_per_day=40, seed=3))
    assert json.loads(lines[0])["type"] == "call.ended"
    assert "agent share of hang-ups before the change" in result.output
    for args, message in ((["--start", "soon"], "--start 'soon'"),
                          (["--agent-share-after", "1.5"], "share from 0 to 1"),
                          (["--timezone", "Mars/Base"], "Mars/Base")):
        refused = runner.invoke(app, ["simulate-calls", "--out", str(out), *args])
        assert refused.exit_code == 2 and message in refused.output, refused.output
    assert "planted" in runner.invoke(app, ["simulate-calls", "--help"]).output
