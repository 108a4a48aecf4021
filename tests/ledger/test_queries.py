"""The API's read queries (``ledger.queries``) on both backends: the penalty feed's keyset
pages and filters, who held a ticket in which order, and finding a dispute by id exactly
(wildcards in an id match nothing else), the dispute queue and a dispute's reversals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from ledger import Ledger
from ledger.queries import (
    DisputeFilter,
    PenaltyFilter,
    breaches_of_ticket,
    dispute_page,
    dispute_sort_time,
    find_dispute,
    penalty_page,
    reversals_of_dispute,
    ticket_holders,
)
from models import CloudEvent, parse_event
from models.examples import example

from .events import dispute_filed, dispute_ruled
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


def test_a_cursor_in_another_utc_offset_starts_after_the_same_row(ledger: Ledger) -> None:
    ledger.record([penalty(f"p{i}", "T-1", "logistics", "emp-1", "10", 1) for i in range(4)])
    first = penalty_page(ledger.engine, PenaltyFilter(), None, 2)
    at, last_id = first[-1].assessed_at, first[-1].id
    shanghai = at.astimezone(timezone(timedelta(hours=8)))

    for after in ((at, last_id), (shanghai, last_id)):
        assert [p.id for p in penalty_page(ledger.engine, PenaltyFilter(), after, 10)] == [
            "p2", "p3"]
    earlier = (at - timedelta(microseconds=1), "zzz")
    assert len(penalty_page(ledger.engine, PenaltyFilter(), earlier, 10)) == 4


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


def _filed(dispute_id: str, department: str, day: int) -> CloudEvent:
    return dispute_filed(f"f-{dispute_id}", dispute_id, f"T-{dispute_id}",
                         department=department, holder=department,
                         filed_at=f"2026-11-{day:02d}T09:00:00+08:00")


def test_the_queue_is_oldest_first_by_status_and_by_either_side(ledger: Ledger) -> None:
    ledger.record([
        _filed("d3", "logistics", 22), _filed("d1", "billing", 20), _filed("d2", "it", 21),
        _filed("d4", "logistics", 20),
        dispute_ruled("r-d2", "d2", "T-d2", department="it", outcome="upheld",
                      to_department="logistics", ruled_at="2026-11-23T09:00:00+08:00"),
    ])

    def ids(**where: str) -> list[str]:
        return [d.dispute_id for d in dispute_page(ledger.engine, DisputeFilter(**where),
                                                   None, 100)]

    assert ids() == ["d1", "d4", "d2", "d3"]
    assert ids(status="open") == ["d1", "d4", "d3"]
    assert ids(status="ruled") == ["d2"]
    assert ids(department="logistics") == ["d4", "d2", "d3"]  # filed, or moved to it
    assert ids(department="billing", status="ruled") == []
    walked, after = [], None
    while page := dispute_page(ledger.engine, DisputeFilter(), after, 3):
        walked += [d.dispute_id for d in page]
        after = (dispute_sort_time(page[-1]), page[-1].dispute_id)
    assert walked == ids()


def test_a_dispute_ruled_before_its_filing_arrived_sorts_at_its_ruling(ledger: Ledger) -> None:
    ledger.record([_filed("d1", "billing", 20),
                   dispute_ruled("r-d9", "d9", "T-9", department="it", outcome="rejected",
                                 to_department=None, filed_at=None,
                                 ruled_at="2026-11-19T09:00:00+08:00")])
    page = dispute_page(ledger.engine, DisputeFilter(), None, 10)
    assert [d.dispute_id for d in page] == ["d9", "d1"]
    assert dispute_sort_time(page[0]) == datetime(2026, 11, 19, 1, 0, tzinfo=UTC)


def test_the_reversals_a_dispute_caused(ledger: Ledger) -> None:
    ledger.record([reversal("rev-2", "p-2", "T-1", dispute_id="d-1",
                            reversed_at="2026-11-25T10:00:00+08:00"),
                   reversal("rev-1", "p-1", "T-1", dispute_id="d-1",
                            reversed_at="2026-11-25T09:00:00+08:00"),
                   reversal("rev-3", "p-3", "T-1", dispute_id="d-other")])
    assert [r.penalty_id for r in reversals_of_dispute(ledger.engine, "d-1")] == ["p-1", "p-2"]
    assert reversals_of_dispute(ledger.engine, "d-none") == []


def test_a_tickets_breaches_oldest_first(ledger: Ledger) -> None:
    ledger.record([breach("b2", "T-1", "logistics", "resolve", "2026-11-21T10:00:00+08:00"),
                   breach("b1", "T-1", "logistics", "acknowledge", "2026-11-20T10:30:00+08:00"),
                   breach("b3", "T-2", "billing", "resolve", "2026-11-20T10:00:00+08:00")])
    assert [b.id for b in breaches_of_ticket(ledger.engine, "T-1")] == ["b1", "b2"]
