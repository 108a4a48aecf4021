"""The demo's live feed reads as the policy is written (issue 11: durations as written)."""

from __future__ import annotations

from models.examples import example
from sla_police.demo_live import _describe


def test_a_breach_line_shows_the_target_as_the_policy_writes_it() -> None:
    breach = example("sla.breached")  # a resolve target of 2d: 57,600 working seconds
    line = _describe(breach)
    assert line is not None and "target 2d" in line and "working min" not in line


def test_a_block_line_says_until_when_and_why_but_not_who_the_caller_is() -> None:
    blocked = example("caller.blocked")
    line = _describe(blocked)
    assert line is not None and "BLOCKED" in line and blocked["data"]["reason"] in line
    assert blocked["subject"] not in line


def test_a_grant_beyond_authority_line_names_the_agent_charged() -> None:
    penalty = example("penalty.assessed")
    penalty["data"].update(trigger="authority_exceeded", department="triage",
                           assignee="agent-031", rule="grant-beyond-authority")
    line = _describe(penalty)
    assert line is not None and "agent-031" in line and "grant-beyond-authority" in line


def test_the_demo_day_holds_the_tickets_and_the_calls_of_that_day_in_time_order() -> None:
    from models import parse_event
    from sla_police.demo_live import _day

    lines = _day(None)  # type: ignore[arg-type]
    events = [parse_event(line, accept="any") for line in lines]
    kinds = {getattr(e, "type", None) for e in events}
    assert {"complaint.received", "concession.granted", "call.ended"} <= kinds
    calls = [e.time for e in events if getattr(e, "type", None) == "call.ended"]
    assert calls == sorted(calls) and len({t.date() for t in calls}) == 1
