"""The simulator's contact-center agents: who took each complaint, what they gave, who
approved it, who was too generous; measured from the feed and from its replay with the
shipped policy (the way a manager would see it)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

import pytest

from models import CloudEvent, parse_event
from models.authority import AUTHORITY_INBOUND_TYPES
from sla.authority import activity_of_outputs, flag_over_generous
from sla.config import load_config
from sla.replay import replay_lines
from sla_police.simulator import SimulationOptions, simulate
from sla_police.simulator.concessions import planted_generous

POLICY = load_config("deploy/config/sla-police.yaml")
NOW = datetime(2027, 1, 1, tzinfo=UTC)
WEEK = SimulationOptions(days=2, seed=5, calls_per_day=2500)  # the pilot's first two days
LATER = SimulationOptions(days=1, seed=5, calls_per_day=2500, start=date(2026, 11, 16))


@cache
def _events(options: SimulationOptions) -> tuple[CloudEvent, ...]:
    seen: set[str] = set()
    out = []
    for line in simulate(options):
        event = parse_event(line, now=NOW)
        if isinstance(event, CloudEvent) and event.id not in seen:
            seen.add(event.id)
            out.append(event)
    return tuple(out)


@cache
def _outputs(options: SimulationOptions) -> tuple[CloudEvent, ...]:
    return tuple(replay_lines(simulate(options), POLICY).outputs)


def _of(events, event_type: str) -> list[CloudEvent]:
    return [e for e in events if e.type == event_type]


def test_every_complaint_names_the_seat_agent_who_took_it() -> None:
    complaints = _of(_events(WEEK), "complaint.received")
    seats = Counter(c.data.agent for c in complaints)
    assert set(seats) == {f"agent-{n:03d}" for n in range(1, 81)}
    assert min(seats.values()) > 0.5 * len(complaints) / 80


def test_concessions_follow_the_contact_reason() -> None:
    events = _events(WEEK)
    category = {c.subject: c.data.category for c in _of(events, "complaint.received")}
    settled = {e.subject for e in events if e.type in ("concession.granted",
                                                       "concession.requested")}
    assert len(settled) / len(category) == pytest.approx(WEEK.concession_rate, abs=0.04)
    share = {prefix: sum(t in settled for t, c in category.items() if c.startswith(prefix))
             / sum(c.startswith(prefix) for c in category.values())
             for prefix in ("delivery.", "billing.", "app.")}
    assert share["delivery."] > 2 * share["app."] and share["billing."] > 2 * share["app."]
    kinds = defaultdict(Counter)
    for grant in _of(events, "concession.granted"):
        kinds[category[grant.subject].split(".")[0]][grant.data.kind] += 1
    assert kinds["delivery"].most_common(1)[0][0] == "credit"
    assert kinds["billing"].most_common(1)[0][0] == "refund"
    assert kinds["app"].keys() == {"goodwill"}


def test_requests_are_decided_by_a_lead_or_above_and_declines_give_less_or_nothing() -> None:
    events = _events(WEEK)
    requests = {e.id: e for e in _of(events, "concession.requested")}
    decisions = {e.data.request_id: e for e in _of(events, "concession.decided")}
    assert requests and decisions.keys() == requests.keys()
    grants = defaultdict(list)
    for grant in _of(events, "concession.granted"):
        grants[grant.subject].append(grant)
    outcomes = Counter()
    for request_id, decision in decisions.items():
        request = requests[request_id]
        assert decision.time > request.time
        assert decision.data.decided_by.split("-")[0] in ("lead", "sup", "mgr")
        after = [g for g in grants[request.subject] if g.time > decision.time]
        if decision.data.decision == "approved":
            assert [(g.data.approved_by, g.data.request_id, g.data.amount) for g in after] == [
                (decision.data.decided_by, request_id, request.data.amount)]
        else:
            assert all(g.data.amount < request.data.amount and g.data.approved_by is None
                       for g in after)
        outcomes[decision.data.decision, bool(after)] += 1
    assert outcomes["declined", True] and outcomes["declined", False]
    assert sum(v for (d, _), v in outcomes.items() if d == "approved") / len(decisions) > 0.7


def test_the_shipped_policy_sees_approvals_waits_audits_and_a_few_grants_beyond_authority(
) -> None:
    out = _outputs(WEEK)
    recorded = [e.data for e in _of(out, "concession.recorded")]
    exceeded = _of(out, "authority.exceeded")
    assert 0 < len(exceeded) < 0.02 * len(recorded)
    assert {e.data.why for e in exceeded} <= {"no_approval", "approver_limit_too_low"}
    waits = sorted(e.data.wait_seconds for e in _of(out, "approval.recorded"))
    assert 60 <= waits[len(waits) // 2] <= 3 * 3600  # minutes to hours of office time
    opened, closed = _of(out, "audit.item_opened"), _of(out, "audit.item_closed")
    assert {e.data.selected_by for e in opened} == {"threshold", "sample"}
    assert closed and {e.data.audit_id for e in closed} <= {e.data.audit_id for e in opened}
    refusals = ("no concession.requested", "already decided", "no audit item",
                "already closed")
    assert not [e for e in _of(out, "event.rejected")
                if any(r in e.data.reason for r in refusals)]


def test_the_pilot_team_grants_up_to_300_alone_in_its_week_and_asks_again_after_it() -> None:
    def pilot_grants(options: SimulationOptions) -> list:
        return [e.data for e in _of(_outputs(options), "concession.recorded")
                if e.data.agent >= "agent-061" and e.data.approved_by is None
                and Decimal(100) < e.data.amount <= Decimal(300)]

    during = pilot_grants(WEEK)
    assert during and all(g.pilot == "pilot-east-week" and g.within_authority for g in during)
    assert not [g for g in pilot_grants(LATER) if g.within_authority]


def test_switching_concessions_off_leaves_the_tickets_as_they_were() -> None:
    small = SimulationOptions(days=1, seed=9, calls_per_day=400)
    off = SimulationOptions(days=1, seed=9, calls_per_day=400, concession_rate=0)

    def ticket_events(options):
        return {(e.id, e.time) for e in _events(options) if e.type not in
                AUTHORITY_INBOUND_TYPES}

    assert not [e for e in _events(off) if e.type in AUTHORITY_INBOUND_TYPES]
    assert ticket_events(off) == ticket_events(small)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_planted_over_generous_agents_are_flagged_and_nobody_else(seed: int) -> None:
    """A small team's five days, replayed with the shipped policy: the agents planted as
    over-generous (more often, more each time, or both) are each flagged for the figure
    they overdo, and no ordinary agent is flagged for any contact reason."""
    options = SimulationOptions(days=5, seed=seed, calls_per_day=2500, seats=12)
    planted = planted_generous(options)
    assert sorted(planted.values()) == ["amount", "both", "rate"]
    spec = POLICY.authority
    flags = flag_over_generous(spec, activity_of_outputs(spec, _outputs(options)), NOW)
    metrics = defaultdict(set)
    for flag in flags:
        metrics[flag.data.agent] |= set(flag.data.metrics)
    assert metrics.keys() == planted.keys()
    for agent, style in planted.items():
        wanted = {"rate": {"grant_rate"}, "amount": {"amount_per_grant"},
                  "both": {"grant_rate", "amount_per_grant"}}[style]
        assert wanted <= metrics[agent], (agent, style, metrics[agent])
