"""The status page's ledger queries on both backends: clocks met and breached per
department in a window (attainment), and the newest breaches and penalties."""

from __future__ import annotations

from datetime import datetime

from ledger import Ledger, OutcomeCount, clock_outcomes
from ledger.queries import latest_breaches, latest_penalties
from models import CloudEvent

from .events import breach, outbound, penalty


def _met(event_id: str, ticket: str, department: str, at: str) -> CloudEvent:
    return outbound("sla.met", {"department": department, "completed_at": at},
                    id=event_id, subject=ticket, time=at)


def _cancelled(event_id: str, ticket: str, department: str, at: str) -> CloudEvent:
    return outbound("sla.cancelled", {"department": department, "cancelled_at": at},
                    id=event_id, subject=ticket, time=at)


def test_clocks_met_and_breached_per_department_in_a_window(ledger: Ledger) -> None:
    ledger.record([
        _met("m1", "T-1", "logistics", "2026-11-24T10:00:00+08:00"),
        _met("m2", "T-2", "logistics", "2026-11-24T23:59:59+08:00"),
        breach("b1", "T-3", "logistics", "resolve", "2026-11-24T00:00:00+08:00"),
        _met("m3", "T-4", "billing", "2026-11-23T23:59:59+08:00"),   # the day before
        breach("b2", "T-5", "billing", "resolve", "2026-11-25T00:00:00+08:00"),  # after
        _cancelled("c1", "T-6", "billing", "2026-11-24T12:00:00+08:00"),  # neither
        _met("m4", "T-7", "network", "2026-11-24T12:00:00+08:00"),
    ])
    day = (datetime.fromisoformat("2026-11-24T00:00:00+08:00"),
           datetime.fromisoformat("2026-11-25T00:00:00+08:00"))

    counts = clock_outcomes(ledger.engine, *day)

    assert counts == [OutcomeCount("logistics", 2, 1), OutcomeCount("network", 1, 0)]
    assert counts[0].attainment == 2 / 3 and counts[1].attainment == 1.0
    assert OutcomeCount("billing", 0, 0).attainment is None
    month = (datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
             datetime.fromisoformat("2026-12-01T00:00:00+08:00"))
    assert OutcomeCount("billing", 1, 1) in clock_outcomes(ledger.engine, *month)


def test_the_newest_breaches_and_penalties_first_and_by_department(ledger: Ledger) -> None:
    ledger.record([
        breach(f"b{i}", f"T-{i}", "logistics" if i % 2 else "billing", "resolve",
               f"2026-11-{10 + i}T09:00:00+08:00") for i in range(6)
    ] + [
        penalty(f"p{i}", f"T-{i}", "logistics" if i % 2 else "billing", None, "10", 1,
                assessed_at=f"2026-11-{10 + i}T09:00:00+08:00") for i in range(6)
    ])

    assert [b.id for b in latest_breaches(ledger.engine, None, 3)] == ["b5", "b4", "b3"]
    assert [b.id for b in latest_breaches(ledger.engine, "logistics", 10)] == ["b5", "b3", "b1"]
    assert [p.id for p in latest_penalties(ledger.engine, None, 2)] == ["p5", "p4"]
    assert [p.id for p in latest_penalties(ledger.engine, "billing", 10)] == ["p4", "p2", "p0"]
    at = datetime.fromisoformat("2026-11-13T09:00:00+08:00")  # b3 and p3 exactly
    assert [b.id for b in latest_breaches(ledger.engine, None, 2, at)] == ["b3", "b2"]
    assert [p.id for p in latest_penalties(ledger.engine, "logistics", 5, at)] == ["p3", "p1"]
