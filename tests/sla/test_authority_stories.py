"""Agent authority stories (issue 14, "Tests that must exist" 1 to 4): grants judged against
limits and approvals, pilots inside and after their period, the risky chains refused with
their line, over-generous agents found (and nobody else) across seeds, audits drawn
deterministically with every large grant audited."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla.authority import (
    Grant,
    audit_item,
    flag_over_generous,
    judge_grant,
    limit_for,
    tally,
)
from sla.config import parse_config
from sla.specs import AgentSpec, AuthoritySpec
from tests.sla.test_authority_config import LEVELS, REST, _one_issue, policy
from tests.sla.test_config import _where

ROSTER = REST.split("  roster:")[0] + """\
  roster:
    - {agent: a-1, level: agent, team: pilot_east}
    - {agent: a-2, level: agent, team: east}
    - {agent: l-1, level: team_lead, team: east}
    - {agent: s-1, level: supervisor, team: east}
"""
SPEC = parse_config(policy(rest=ROSTER)).authority
assert SPEC is not None
NOON = datetime(2026, 11, 20, 4, tzinfo=UTC)  # 12:00 in Shanghai


def grant(amount: str, agent: str = "a-2", approved_by: str | None = None,
          at: datetime = NOON, reason: str = "delivery.late", n: int = 1) -> Grant:
    return Grant(f"crm-{agent}-{n}", f"T-{n}", agent, Decimal(amount), "CNY", "credit",
                 reason, at, approved_by)


# -- 1. stories ---------------------------------------------------------------------------


def test_a_grant_within_the_limit_is_allowed() -> None:
    assert judge_grant(SPEC, grant("100")) is None
    assert judge_grant(SPEC, grant("50", reason="other.general")) is None


def test_above_the_limit_with_an_approval_from_a_level_that_covers_it_is_allowed() -> None:
    assert judge_grant(SPEC, grant("400", approved_by="s-1")) is None


def test_above_the_limit_with_an_approval_from_a_level_that_does_not_cover_it() -> None:
    exceeded = judge_grant(SPEC, grant("400", approved_by="l-1"))
    assert exceeded is not None and exceeded.type == "authority.exceeded"
    data = exceeded.data
    assert (data.why, data.limit, data.approver_level, data.approver_limit) == (
        "approver_limit_too_low", Decimal(100), "team_lead", Decimal(250))
    assert exceeded.subject == "T-1" and exceeded.time == NOON
    assert judge_grant(SPEC, grant("400", approved_by="l-1")) == exceeded  # same id on replay


def test_above_the_limit_without_approval_or_by_a_stranger_is_exceeded() -> None:
    assert judge_grant(SPEC, grant("101")).data.why == "no_approval"
    assert judge_grant(SPEC, grant("101", approved_by="ghost")).data.why == "approver_unknown"
    # someone missing from the roster grants with the bottom level's authority
    assert judge_grant(SPEC, grant("101", agent="new-9")).data.level == "agent"


def test_a_pilot_agent_has_the_wider_limit_inside_the_pilot_and_not_after_it() -> None:
    pilot_agent = AgentSpec("a-1", "agent", "pilot_east")
    inside = datetime(2026, 11, 8, 15, 30, tzinfo=UTC)  # 23:30 on 8 Nov in Shanghai
    after = inside + timedelta(hours=1)  # 00:30 on 9 Nov: `until` is the first day after
    assert limit_for(SPEC, pilot_agent, "delivery.late", inside) == Decimal(300)
    assert limit_for(SPEC, pilot_agent, "delivery.late", after) == Decimal(100)
    assert judge_grant(SPEC, grant("250", agent="a-1", at=inside)) is None
    assert judge_grant(SPEC, grant("250", agent="a-1", at=after)).data.limit == Decimal(100)
    # outside the pilot's reasons, and for agents outside its team, nothing changes
    assert limit_for(SPEC, pilot_agent, "billing.overcharge", inside) == Decimal(80)
    assert judge_grant(SPEC, grant("250", agent="a-2", at=inside)) is not None


# -- 2. config ----------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "marker", "risk"), [
    (LEVELS + "    - {name: director}\n", "{name: director}", "two approval chains"),
    (LEVELS.replace("{name: manager}", "{name: manager, reports_to: agent}"), "{name: agent",
     "cycle"),
    (LEVELS.replace("reports_to: team_lead}", "reports_to: [team_lead, manager]}"),
     "[team_lead, manager]", "two parents"),
])
def test_risky_chains_are_rejected_with_their_line(levels: str, marker: str, risk: str) -> None:
    text = policy(levels)
    _, line, column, message = _one_issue(text)
    assert (line, column) == _where(text, marker)
    assert message.startswith(risk + ": ")


# -- 3. over-generous agents --------------------------------------------------------------

GENEROUS_RATE, GENEROUS_AMOUNT = ("g-rate-1", "g-rate-2"), ("g-amount-1",)


def _month(seed: int) -> tuple[AuthoritySpec, list, list[Grant]]:
    """A month of delivery.late contacts: 20 ordinary agents, 3 planted generous ones, a new
    agent with few contacts and a generous hand, and 6 team leads who grant more often (as
    their level may) but only like each other."""
    rng = random.Random(seed)
    people = [(f"a-{i:02d}", "agent") for i in range(20)] + [(a, "agent") for a in
              (*GENEROUS_RATE, *GENEROUS_AMOUNT, "newbie")] + [
              (f"l-{i}", "team_lead") for i in range(6)]
    roster = {a: AgentSpec(a, level, "east") for a, level in people}
    contacts, grants = [], []
    for agent, level in people:
        n = 6 if agent == "newbie" else rng.randint(150, 300)
        rate = (0.40 if agent in GENEROUS_RATE or agent == "newbie" else
                rng.uniform(0.30, 0.36) if level == "team_lead" else rng.uniform(0.10, 0.14))
        for k in range(n):
            at = datetime(2026, 11, 2, 2, tzinfo=UTC) + timedelta(hours=2 * k)
            contacts.append((agent, "delivery.late", at))
            if rng.random() < rate or (agent == "newbie" and k < 4):
                high = agent in GENEROUS_AMOUNT
                amount = rng.uniform(180, 240) if high else rng.uniform(40, 80)
                grants.append(Grant(f"{agent}-{k}", f"T-{agent}-{k}", agent,
                                    Decimal(f"{amount:.2f}"), "CNY", "credit",
                                    "delivery.late", at))
    spec = AuthoritySpec(levels=SPEC.levels, limits=SPEC.limits, audit=SPEC.audit,
                         roster=roster, timezone=SPEC.timezone, currency="CNY")
    return spec, contacts, grants


@pytest.mark.parametrize("seed", range(6))
def test_the_planted_over_generous_agents_are_flagged_and_nobody_else(seed: int) -> None:
    spec, contacts, grants = _month(seed)
    at = datetime(2026, 11, 30, 16, tzinfo=UTC)
    flags = flag_over_generous(spec, tally(spec, contacts, grants), at)
    by_agent = {f.subject: f.data for f in flags}
    assert set(by_agent) == {*GENEROUS_RATE, *GENEROUS_AMOUNT}, by_agent.keys()
    for agent in GENEROUS_RATE:
        assert "grant_rate" in by_agent[agent].metrics
        assert by_agent[agent].rate_score >= spec.flags.min_score
    amount = by_agent["g-amount-1"]
    assert "amount_per_grant" in amount.metrics
    assert amount.amount_per_grant > 3 * amount.peer_median_amount
    assert {(f.data.period, f.data.level, f.data.peers) for f in flags} == {
        ("2026-11", "agent", 23)}  # the newbie is not a peer; the team leads are their own
    assert flag_over_generous(spec, tally(spec, contacts, grants), at) == flags


# -- 4. audits ----------------------------------------------------------------------------


def test_every_grant_at_or_above_the_threshold_is_audited_and_the_sample_is_fixed() -> None:
    rng = random.Random(7)
    grants = [grant(f"{rng.uniform(1, 600):.2f}", n=i) for i in range(2000)]
    items = {g.grant_id: audit_item(SPEC, g) for g in grants}
    for g in grants:
        item = items[g.grant_id]
        if g.amount >= SPEC.audit.threshold:
            assert item is not None and item.data.selected_by == "threshold"
        elif item is not None:
            assert item.data.selected_by == "sample"
    assert audit_item(SPEC, grant("250.00")).data.selected_by == "threshold"
    below = [g for g in grants if g.amount < SPEC.audit.threshold]
    sampled = [g for g in below if items[g.grant_id] is not None]
    assert 0.03 < len(sampled) / len(below) < 0.07  # sample_rate 0.05
    # the same grants in another order, another time: the same items, ids and bytes
    again = {g.grant_id: audit_item(SPEC, g) for g in reversed(grants)}
    assert {k: v.to_json() for k, v in again.items() if v} == {
        k: v.to_json() for k, v in items.items() if v}
