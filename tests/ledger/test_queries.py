"""The API's read queries (``ledger.queries``) on both backends: the penalty feed's keyset
pages and filters, who held a ticket in which order, and finding a dispute by id exactly
(LIKE wildcards in an id match nothing else)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ledger import Ledger
from ledger.queries import (
    PenaltyFilter,
    breaches_of_ticket,
    find_dispute,
    penalty_page,
    ticket_holders,
)
from models import CloudEvent, parse_event
from models.examples import example

from .test_ledger_contract import breach, penalty, reversal


def _event(event_type: str, event_id: str, ticket: str, data: dict, **envelope) -> CloudEvent:
    raw = example(event_type)
    raw.update(id=event_id, subject=ticket, **envelope)
    raw["data"].update(data)
    event = parse_event(json.dumps(raw), accept="any")
    assert isinstance(event, CloudEvent), event
    return event


def _attributed(event_id: str, ticket: str, department: str, at: str,
                previous: str | None = None, reason: str = "rule") -> CloudEvent:
    return _event("sla.attributed", event_id, ticket,
                  {"department": department, "previous_department": previous,
                   "reason": reason, "attributed_at": at}, time=at)


def test_pages_follow_assessed_at_then_id_and_never_repeat(ledger: Ledger) -> None:
    events = [penalty(f"p{i:02d}", f"T-{i % 3}", "logistics" if i % 2 else "billing",
                      f"emp-{i % 4}", "10", 1, period="2026-11" if i < 12 else "2026-12")
              for i in range(16)]
    ledger.record(events + [reversal("r1", "p03", "T-0")])
    everything = penalty_page(ledger.engine, PenaltyFilter(), None, 100)
    assert [p.id for p in everything] == sorted(p.id for p in everything)  # same assessed_at
    walked, after = [], None
    while page := penalty_page(ledger.engine, PenaltyFilter(), after, 5):
        walked += page
        after = (page[-1].assessed_at, page[-1].id)
    assert [p.id for p in walked] == [p.id for p in everything] and len(walked) == 16
    where = PenaltyFilter(period="2026-11", department="logistics", assignee="emp-3",
                          status="charged")
    assert [p.id for p in penalty_page(ledger.engine, where, None, 100)] == ["p07", "p11"]
    reversed_only = penalty_page(ledger.engine, PenaltyFilter(status="reversed"), None, 100)
    assert [p.id for p in reversed_only] == ["p03"]


def test_holders_follow_the_handover_chain_at_equal_times(ledger: Ledger) -> None:
    at = "2026-11-20T10:15:00+08:00"
    ledger.record([  # ids in the opposite order of the handovers
        _attributed("a3", "T-9", "stores", "2026-11-21T09:00:00+08:00", "billing", "dispute"),
        _attributed("a2", "T-9", "billing", at, "logistics", "assignment"),
        _attributed("a1", "T-9", "logistics", at),
        _attributed("zz", "T-8", "it", at),
    ])
    holders = ticket_holders(ledger.engine, "T-9")
    assert [(h.department, h.reason) for h in holders] == [
        ("logistics", "rule"), ("billing", "assignment"), ("stores", "dispute")]
    assert holders[0].since == datetime(2026, 11, 20, 2, 15, tzinfo=UTC)
    assert ticket_holders(ledger.engine, "T-unknown") == []


def test_a_dispute_is_found_by_its_exact_id_with_its_ruling(ledger: Ledger) -> None:
    ledger.record([
        _event("sla.dispute_filed", "f1", "T-5", {"dispute_id": "d_1%", "filed_by": "desk"}),
        _event("sla.dispute_filed", "f2", "T-6", {"dispute_id": "dx1"}),
        _event("sla.dispute_ruled", "g2", "T-6", {"dispute_id": "dx1", "outcome": "upheld"}),
    ])
    open_one = find_dispute(ledger.engine, "d_1%")
    assert (open_one.ticket, open_one.filed_by, open_one.outcome) == ("T-5", "desk", None)
    assert find_dispute(ledger.engine, "dx1").outcome == "upheld"
    assert find_dispute(ledger.engine, "d_1") is None
    assert find_dispute(ledger.engine, "dx1%") is None
    assert find_dispute(ledger.engine, "d%") is None


def test_a_tickets_breaches_oldest_first(ledger: Ledger) -> None:
    ledger.record([breach("b2", "T-1", "logistics", "resolve", "2026-11-21T10:00:00+08:00"),
                   breach("b1", "T-1", "logistics", "acknowledge", "2026-11-20T10:30:00+08:00"),
                   breach("b3", "T-2", "billing", "resolve", "2026-11-20T10:00:00+08:00")])
    assert [b.id for b in breaches_of_ticket(ledger.engine, "T-1")] == ["b1", "b2"]
