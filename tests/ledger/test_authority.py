"""The monthly authority report, on SQLite and PostgreSQL: a small November of agents
(tests/ledger/authority_story.py) is replayed, its outputs recorded in the ledger, and the
report's figures are checked against the business story and against an independent
computation from the replay's outputs."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from math import ceil
from zoneinfo import ZoneInfo

import pytest

from ledger import Ledger
from ledger.authority import authority_report, percentile
from sla.authority import Grant, flag_over_generous, tally
from sla.authority_view import PolicyView

from .authority_story import CONFIG, story_outputs

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, tzinfo=UTC)
OUTPUTS = story_outputs()
VIEW = PolicyView(CONFIG.authority)


def in_november(at: datetime) -> bool:
    return at.astimezone(ZONE).strftime("%Y-%m") == "2026-11"


def of(kind: str) -> list:
    return [e.data for e in OUTPUTS if e.type == kind]


def expected_reasons() -> dict[str, dict]:
    """Per contact reason, from the replay's outputs alone."""
    figures: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for d in of("sla.attributed"):
        if d.reason == "rule" and in_november(d.attributed_at):
            figures[d.category]["contacts"] += 1
    for d in of("concession.recorded"):
        if in_november(d.granted_at):
            row = figures[d.contact_reason]
            row["grants"] += 1
            row["amount"] += d.amount
            row["needed_approval"] += d.needed_approval
    waits: dict[str, list[int]] = defaultdict(list)
    for d in of("approval.recorded"):
        if in_november(d.requested_at):
            waits[d.contact_reason].append(d.wait_seconds)
    verdicts = {d.audit_id: d.verdict for d in of("audit.item_closed")}
    for d in of("audit.item_opened"):
        if in_november(d.granted_at):
            figures[d.contact_reason]["audited"] += 1
            figures[d.contact_reason]["compliant"] += verdicts.get(d.audit_id) == "compliant"
    scores: dict[str, list[int]] = defaultdict(list)
    for d in of("sla.csat_recorded"):
        if in_november(d.recorded_at):
            scores[d.category].append(d.score)
    for reason, row in figures.items():
        ordered = sorted(waits[reason])
        row["wait_p50"] = ordered[ceil(len(ordered) / 2) - 1] if ordered else None
        row["wait_p90"] = ordered[ceil(len(ordered) * 9 / 10) - 1] if ordered else None
        row["csat"] = (round(Decimal(sum(scores[reason])) / len(scores[reason]), 2)
                       if scores[reason] else None)
    return figures


@pytest.fixture
def report(ledger: Ledger):
    ledger.record(OUTPUTS)
    return authority_report(ledger.engine, "2026-11", ZONE, VIEW, NOW)


def test_per_contact_reason_the_figures_agree_with_the_replay(report) -> None:
    expected = expected_reasons()
    assert [r.contact_reason for r in report.reasons] == sorted(expected)
    for row in report.reasons:
        want = expected[row.contact_reason]
        assert (row.contacts, row.grants, row.amount, row.needed_approval, row.audited,
                row.compliant, row.wait_p50, row.wait_p90, row.csat_mean) == (
            want["contacts"], want["grants"], want["amount"], want["needed_approval"],
            want["audited"], want["compliant"], want["wait_p50"], want["wait_p90"],
            want["csat"]), row.contact_reason


def test_the_delivery_month_as_the_manager_reads_it(report) -> None:
    """31 delivery complaints in November (the one at 00:30 on 1 December is December's);
    14 grants, 3 of them above the grantor's own limit (pia's 250s in the pilot were not);
    approvals took half an hour, 90 working minutes and a working day; ann's 500 was
    audited and found non-compliant."""
    delivery = next(r for r in report.reasons if r.contact_reason == "delivery.late")
    assert (delivery.contacts, delivery.grants) == (31, 14)
    assert delivery.amount == Decimal(5 * 80 + 500 + 4 * 50 + 250 + 2 * 250 + 150)
    assert (delivery.needed_approval, delivery.approval_share) == (3, Decimal("0.2143"))
    assert (delivery.approvals, delivery.wait_p50, delivery.wait_p90) == (3, 5400, 27000)
    assert (delivery.audited, delivery.verdicts, delivery.audit_compliance) == (
        1, 1, Decimal(0))
    assert report.total.contacts == 32 and report.total.grants == 15
    assert (report.total.verdicts, report.total.compliant) == (2, 1)
    assert report.total.audit_compliance == Decimal("0.5")


def test_ann_alone_is_flagged_with_the_figures_behind_it(report) -> None:
    contacts = [(d.agent, d.category, d.attributed_at) for d in of("sla.attributed")
                if d.reason == "rule" and d.agent and in_november(d.attributed_at)]
    grants = [Grant(d.grant_id, "", d.agent, d.amount, d.currency, d.kind, d.contact_reason,
                    d.granted_at) for d in of("concession.recorded") if in_november(d.granted_at)]
    oracle = flag_over_generous(CONFIG.authority, tally(CONFIG.authority, contacts, grants), NOW)
    assert [(f.agent, f.contact_reason, f.metrics) for f in report.flags] == [
        ("ann", "delivery.late", ["grant_rate"])]
    assert [f.flag_id for f in report.flags] == [f.id for f in oracle]
    [flag] = report.flags
    # five complaints and six grants: a grant without a contact of its own counts one
    assert (flag.contacts, flag.grants, flag.peers, flag.raised) == (6, 6, 6, False)
    assert (flag.grant_rate, flag.peer_median_rate) == (1.0, 0.3)


def test_the_pilot_week_against_the_rest_of_the_agents(report) -> None:
    """From 2 to 8 November pia gave 250 twice without asking anyone (an agent alone may
    give 100): two approvals avoided, 100 per contact; ann, the only other agent taking
    complaints that week, gave 80 on each of her four."""
    [pilot] = report.pilots
    assert (pilot.pilot, str(pilot.first_day), str(pilot.last_day)) == (
        "pilot-week", "2026-11-02", "2026-11-08")
    mine, rest = pilot.pilot_agents, pilot.rest
    assert (mine.agents, mine.contacts, mine.grants, mine.amount) == (1, 5, 2, Decimal(500))
    assert (mine.cost_per_contact, mine.approvals_avoided, mine.approvals_needed) == (
        Decimal("100.00"), 2, 0)
    assert (mine.csat_mean, rest.csat_mean) == (Decimal("4.00"), Decimal("5.00"))
    assert (rest.agents, rest.contacts, rest.grants, rest.cost_per_contact) == (
        1, 4, 4, Decimal("80.00"))
    assert rest.approvals_avoided == 0 and mine.repeat_contacts == rest.repeat_contacts == 0


def test_a_raised_flag_is_marked_and_other_months_are_empty(ledger: Ledger) -> None:
    ledger.record(OUTPUTS)
    flags = [f for f in VIEW.flags(*_month(ledger), NOW)]
    ledger.record(flags)
    ledger.record(flags)  # twice: nothing more
    again = authority_report(ledger.engine, "2026-11", ZONE, VIEW, NOW)
    assert [f.raised for f in again.flags] == [True]
    october = authority_report(ledger.engine, "2026-10", ZONE, VIEW, NOW)
    assert (october.total.contacts, october.total.grants, october.flags, october.pilots) == (
        1, 1, [], [])


def _month(ledger: Ledger) -> tuple[list, list]:
    from ledger.authority import month_rows  # noqa: PLC0415

    rows = month_rows(ledger.engine, "2026-11", ZONE)
    return [(c.agent, c.reason, c.at) for c in rows.contacts if c.agent], rows.grants


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert (percentile([7], 0.9), percentile([3, 1, 2], 0.5), percentile([1, 2, 3, 4], 0.5),
            percentile(list(range(1, 11)), 0.9)) == (7, 2, 2, 9)
