"""Business stories: agents give customers concessions on a ticket, and the ticket stage
judges each grant against the one chain of authority, times approvals in working time,
opens audit items for large grants and closes them with the auditor's verdict.

Policy: tests/sla/authority.yaml (delivery: an agent may give 100 alone, a team lead 300;
audited from 500; the pilot team gives 300 alone in the week of 2 November 2026; a grant
beyond authority costs the agent 100 in the contact center's book).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from models import derived_id
from sla.codec import decode_ticket, encode_ticket
from sla.config import load_config
from sla.engine import SlaEngine
from sla.replay import ReplayResult, replay
from sla.testing import audited, complaint, decided, granted, requested

CONFIG = load_config(Path(__file__).with_name("authority.yaml"))
T = "T-1"


def on_ticket(*events, category: str = "delivery.late",
              until: str = "2026-11-30T12:00:00+08:00") -> ReplayResult:
    opened = complaint(T, "2026-11-03T09:30:00+08:00", category=category, agent="ann",
                       event_id="crm-T-1")
    return replay([opened, *events], CONFIG, until=datetime.fromisoformat(until))


def of(result: ReplayResult, kind: str) -> list:
    return [e for e in result.outputs if e.type == kind]


def test_a_grant_within_the_agents_limit_is_recorded_and_nothing_more() -> None:
    result = on_ticket(granted(T, "2026-11-03T10:00:00+08:00", "ann", "80", event_id="g1"))
    [record] = of(result, "concession.recorded")
    assert record.data.contact_reason == "delivery.late"  # the ticket's category
    assert (record.data.limit, record.data.needed_approval) == (Decimal(100), False)
    assert record.data.within_authority and not record.data.audited
    assert not of(result, "authority.exceeded") and not of(result, "penalty.assessed")


def test_above_the_limit_with_an_approval_from_a_level_that_covers_it() -> None:
    result = on_ticket(
        requested(T, "2026-11-03T11:00:00+08:00", "ann", "250", event_id="r1"),
        decided(T, "2026-11-03T14:00:00+08:00", "r1", "lee", "team_lead", event_id="d1"),
        granted(T, "2026-11-03T14:05:00+08:00", "ann", "250", approved_by="lee",
                request_id="r1", event_id="g1"))
    [record] = of(result, "concession.recorded")
    assert record.data.needed_approval and record.data.within_authority
    assert not of(result, "authority.exceeded")
    [approval] = of(result, "approval.recorded")
    # 11:00 to 14:00 on office hours: an hour before lunch, half an hour after it
    assert approval.data.wait_seconds == 90 * 60
    assert (approval.data.decision, approval.data.limit) == ("approved", Decimal(100))


def test_above_the_limit_approved_by_a_level_that_does_not_cover_it_is_exceeded() -> None:
    result = on_ticket(granted(T, "2026-11-03T10:00:00+08:00", "ann", "400",
                               approved_by="lee", event_id="g1"))
    [exceeded] = of(result, "authority.exceeded")
    assert exceeded.data.why == "approver_limit_too_low"
    assert (exceeded.data.approver_limit, exceeded.data.department) == (Decimal(300),
                                                                          "contact_center")
    [penalty] = of(result, "penalty.assessed")
    assert (penalty.data.department, penalty.data.assignee) == ("contact_center", "ann")
    assert (penalty.data.trigger, penalty.data.fine) == ("authority_exceeded", Decimal(100))
    [record] = of(result, "concession.recorded")
    assert not record.data.within_authority


def test_a_grant_without_any_approval_above_the_limit_is_exceeded() -> None:
    result = on_ticket(granted(T, "2026-11-03T10:00:00+08:00", "ann", "120", event_id="g1"))
    assert [e.data.why for e in of(result, "authority.exceeded")] == ["no_approval"]


def test_a_pilot_agent_gives_more_alone_inside_the_pilot_week_only() -> None:
    inside = on_ticket(granted(T, "2026-11-06T10:00:00+08:00", "pia", "280", event_id="g1"))
    [record] = of(inside, "concession.recorded")
    assert (record.data.pilot, record.data.limit) == ("pilot-week", Decimal(300))
    assert not of(inside, "authority.exceeded")
    after = on_ticket(granted(T, "2026-11-09T10:00:00+08:00", "pia", "280", event_id="g1"))
    [record] = of(after, "concession.recorded")
    assert (record.data.pilot, record.data.limit) == (None, Decimal(100))
    assert [e.data.why for e in of(after, "authority.exceeded")] == ["no_approval"]


def test_a_large_grant_is_audited_and_the_verdict_closes_the_item() -> None:
    audit_id = derived_id("g1", "audit.item_opened")
    result = on_ticket(
        granted(T, "2026-11-03T10:00:00+08:00", "sue", "600", event_id="g1"),
        audited(T, "2026-11-05T16:00:00+08:00", audit_id, "non_compliant", event_id="v1"))
    [item] = of(result, "audit.item_opened")
    assert (item.data.audit_id, item.data.selected_by) == (audit_id, "threshold")
    [closed] = of(result, "audit.item_closed")
    assert (closed.data.verdict, closed.data.grant_id, closed.data.agent) == (
        "non_compliant", "g1", "sue")


def test_a_second_verdict_or_a_decision_on_nothing_is_refused_with_the_reason() -> None:
    audit_id = derived_id("g1", "audit.item_opened")
    result = on_ticket(
        granted(T, "2026-11-03T10:00:00+08:00", "sue", "600", event_id="g1"),
        audited(T, "2026-11-05T16:00:00+08:00", audit_id, event_id="v1"),
        audited(T, "2026-11-06T16:00:00+08:00", audit_id, event_id="v2"),
        decided(T, "2026-11-06T17:00:00+08:00", "r-none", "lee", "team_lead", event_id="d9"))
    reasons = sorted(e.data.reason for e in of(result, "event.rejected"))
    assert reasons == [f"an already closed audit item with id {audit_id!r} on ticket 'T-1'",
                       "no concession.requested with id 'r-none' on ticket 'T-1'"]


def test_a_grant_given_before_its_complaint_arrives_waits_for_the_category() -> None:
    early = granted(T, "2026-11-03T09:00:00+08:00", "ann", "60", event_id="g1")
    result = on_ticket(early, category="billing.double")
    [record] = of(result, "concession.recorded")
    assert (record.data.contact_reason, record.data.limit) == ("billing.double", Decimal(50))


def test_a_stored_ticket_remembers_open_requests_and_audit_items() -> None:
    engine = SlaEngine(CONFIG)
    state = engine.new_ticket(T)
    for event in (complaint(T, "2026-11-03T09:30:00+08:00", event_id="c"),
                  requested(T, "2026-11-03T11:00:00+08:00", "ann", "250", event_id="r1"),
                  granted(T, "2026-11-03T11:30:00+08:00", "sue", "700", event_id="g1")):
        engine.receive(state, event)
    engine.advance(state, datetime.fromisoformat("2026-11-03T12:00:00+08:00"))
    again = decode_ticket(encode_ticket(state))
    assert again.requests == state.requests and again.audits == state.audits
    engine.receive(again, decided(T, "2026-11-03T14:00:00+08:00", "r1", "lee", "team_lead"))
    out = engine.advance(again, datetime.fromisoformat("2026-11-03T15:00:00+08:00"))
    assert [e.type for e in out] == ["approval.recorded"]
