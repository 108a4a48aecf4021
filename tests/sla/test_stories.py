"""Business stories: the SLA engine's outcomes, with instants checked by hand.

Policy (tests/sla/stories.yaml): office hours Mon-Fri 09:00-12:00 and 13:30-18:00
with Chinese holidays and make-up days; standard policy acknowledge 2h, resolve
16h (pauses while awaiting the customer), warnings at 50% and 80%.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sla.config import load_config
from sla.replay import ReplayResult, replay
from sla.testing import (
    acknowledged,
    complaint,
    disputed,
    paused,
    reopened,
    resolved,
    resumed,
    ruled,
    transferred,
)

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def run(*events, until: str) -> ReplayResult:
    return replay(list(events), CONFIG, until=at(until))


def of(result: ReplayResult, kind: str, metric: str | None = None) -> list:
    return [e for e in result.outputs if e.type == kind
            and (metric is None or getattr(e.data, "metric", None) == metric)]


def test_ticket_opened_friday_17h_before_a_makeup_saturday() -> None:
    """Fri 2026-10-09 17:00; Sat 10-10 is a make-up working day (调休), Sun closed.

    acknowledge 2h: Fri 17-18 (1h) + Sat 09-10 (1h) -> Sat 10:00.
    resolve 16h: Fri 1h + Sat 7.5h = 8.5h, Mon 10-12 7.5h -> 16h at Mon 18:00, the end
    of a span, so it is reported at the next span start: Tue 10-13 09:00.
    warnings: 50% = 8h -> Sat 17:30; 80% = 12.8h -> Mon 13:30 + 1h18m = 14:48.
    """
    result = run(complaint("T-1", "2026-10-09T17:00:00+08:00"), until="2026-10-14T00:00:00+08:00")
    [ack_breach] = of(result, "sla.breached", "acknowledge")
    assert ack_breach.data.breached_at == at("2026-10-10T10:00:00+08:00")
    [resolve_breach] = of(result, "sla.breached", "resolve")
    assert resolve_breach.data.due_at == at("2026-10-13T09:00:00+08:00")
    assert resolve_breach.data.elapsed_seconds == resolve_breach.data.target_seconds == 16 * 3600
    warnings = [(w.data.threshold, w.data.warned_at) for w in of(result, "sla.warning", "resolve")]
    assert warnings == [(0.5, at("2026-10-10T17:30:00+08:00")),
                        (0.8, at("2026-10-12T14:48:00+08:00"))]


def test_complaint_the_evening_before_national_day() -> None:
    """Wed 2026-09-30 19:00, after hours; Oct 1-7 closed (holidays, weekend, 调休 days off).

    acknowledge 2h counts from Thu Oct 8 09:00 -> due 11:00; acknowledged 10:59 is met.
    resolve 16h: Oct 8 7.5h + Oct 9 7.5h, then 1h on make-up Saturday Oct 10 -> 10:00.
    """
    result = run(
        complaint("T-2", "2026-09-30T19:00:00+08:00", category="billing.overcharge"),
        acknowledged("T-2", "2026-10-08T10:59:00+08:00"),
        until="2026-10-11T00:00:00+08:00",
    )
    [ack] = of(result, "sla.met", "acknowledge")
    assert ack.data.department == "billing"
    assert ack.data.due_at == at("2026-10-08T11:00:00+08:00")
    assert ack.data.elapsed_seconds == 7140
    [breach] = of(result, "sla.breached", "resolve")
    assert breach.data.breached_at == at("2026-10-10T10:00:00+08:00")


def test_lunch_break_does_not_count() -> None:
    """Mon 2026-11-16 11:00 + 2h: 11-12 (1h), lunch, 13:30-14:30 -> due 14:30.

    Acknowledged 13:00, during lunch: only the hour 11-12 counted.
    """
    result = run(complaint("T-3", "2026-11-16T11:00:00+08:00"),
                 acknowledged("T-3", "2026-11-16T13:00:00+08:00"),
                 until="2026-11-16T13:00:00+08:00")
    [ack] = of(result, "sla.met", "acknowledge")
    assert ack.data.due_at == at("2026-11-16T14:30:00+08:00")
    assert ack.data.elapsed_seconds == 3600


def test_target_ending_at_noon_is_due_after_lunch_and_met_during_it() -> None:
    """10:00 + 2h ends exactly at 12:00, the end of a span: due is reported as 13:30.
    An acknowledgement at 12:30 has used exactly the target, which is not a breach."""
    result = run(complaint("T-4", "2026-11-16T10:00:00+08:00"),
                 acknowledged("T-4", "2026-11-16T12:30:00+08:00"),
                 until="2026-11-16T14:00:00+08:00")
    [ack] = of(result, "sla.met", "acknowledge")
    assert ack.data.due_at == at("2026-11-16T13:30:00+08:00")
    assert ack.data.elapsed_seconds == ack.data.target_seconds == 7200
    assert of(result, "sla.breached", "acknowledge") == []


def test_pause_over_a_weekend_awaiting_the_customer() -> None:
    """Fri 2026-11-20 10:00. Paused Fri 16:00 after 4.5h (10-12, 13:30-16:00), resumed
    Mon 11-23 11:00: 11.5h left -> Mon 11-12, 13:30-18 (5.5h), Tue 09-12, 13:30-16:30.
    The acknowledge clock does not pause (only resolve lists awaiting_customer)."""
    result = run(
        complaint("T-5", "2026-11-20T10:00:00+08:00"),
        paused("T-5", "2026-11-20T16:00:00+08:00"),
        resumed("T-5", "2026-11-23T11:00:00+08:00"),
        resolved("T-5", "2026-11-24T16:00:00+08:00"),
        until="2026-11-25T00:00:00+08:00",
    )
    [met] = of(result, "sla.met", "resolve")
    assert met.data.due_at == at("2026-11-24T16:30:00+08:00")
    assert met.data.elapsed_seconds == 16 * 3600 - 1800
    [ack_breach] = of(result, "sla.breached", "acknowledge")
    # 10:00 + 2h ends at 12:00, the end of a span: reported at 13:30.
    assert ack_breach.data.breached_at == at("2026-11-20T13:30:00+08:00")


def test_pause_for_a_reason_the_policy_does_not_list_keeps_the_clock_running() -> None:
    result = run(
        complaint("T-6", "2026-11-20T10:00:00+08:00"),
        paused("T-6", "2026-11-20T10:30:00+08:00", reason="awaiting_third_party"),
        until="2026-11-25T00:00:00+08:00",
    )
    [breach] = of(result, "sla.breached", "resolve")
    # 16h from Fri 10:00: Fri 10-12 + 13:30-18 = 6.5h, Mon 7.5h (14h), Tue 09:00 + 2h = 11:00.
    assert breach.data.breached_at == at("2026-11-24T11:00:00+08:00")


def test_reopened_ticket_starts_a_new_resolve_cycle_with_the_full_target() -> None:
    """Resolved Mon 11:00 (cycle 1 met), reopened Tue 09:00: cycle 2 needs 16h again:
    Tue 7.5h + Wed 7.5h + Thu 09:00-10:00 -> breach Thu 2026-11-19 10:00."""
    result = run(
        complaint("T-7", "2026-11-16T09:00:00+08:00"),
        acknowledged("T-7", "2026-11-16T09:10:00+08:00"),
        resolved("T-7", "2026-11-16T11:00:00+08:00"),
        reopened("T-7", "2026-11-17T09:00:00+08:00"),
        until="2026-11-20T00:00:00+08:00",
    )
    [first] = of(result, "sla.met", "resolve")
    assert (first.data.cycle, first.data.elapsed_seconds) == (1, 7200)
    [second] = of(result, "sla.breached", "resolve")
    assert second.data.cycle == 2
    assert second.data.started_at == at("2026-11-17T09:00:00+08:00")
    assert second.data.breached_at == at("2026-11-19T10:00:00+08:00")
    assert len(of(result, "sla.breached", "acknowledge")) == 0


def test_transfer_ends_the_losing_departments_clocks_and_starts_the_winners() -> None:
    """Logistics holds Mon 09:00-10:00, then hands the ticket to billing, whose own
    acknowledge clock starts at 10:00 (due 12:00 = end of span -> 13:30)."""
    result = run(
        complaint("T-8", "2026-11-16T09:00:00+08:00"),
        acknowledged("T-8", "2026-11-16T09:30:00+08:00"),
        transferred("T-8", "2026-11-16T10:00:00+08:00", to="billing"),
        acknowledged("T-8", "2026-11-16T11:00:00+08:00", event_id="ack-billing"),
        until="2026-11-16T12:00:00+08:00",
    )
    [cancelled] = of(result, "sla.cancelled")
    assert (cancelled.data.department, cancelled.data.metric) == ("logistics", "resolve")
    assert (cancelled.data.reason, cancelled.data.elapsed_seconds) == ("transferred", 3600)
    moves = [(a.data.department, a.data.reason, a.data.previous_department)
             for a in of(result, "sla.attributed")]
    assert moves == [("logistics", "rule", None), ("billing", "transfer", "logistics")]
    acks = {(m.data.department, m.data.due_at) for m in of(result, "sla.met", "acknowledge")}
    assert acks == {("logistics", at("2026-11-16T11:00:00+08:00")),
                    ("billing", at("2026-11-16T13:30:00+08:00"))}


def test_upheld_dispute_reverses_penalties_and_moves_the_ticket() -> None:
    """Logistics misses resolve (16h from Mon 09:00: Mon 7.5h + Tue 7.5h, Wed 09-10) and is
    fined 500; it disputes; the contact center upholds and gives the ticket to stores."""
    result = run(
        complaint("T-9", "2026-11-16T09:00:00+08:00"),
        acknowledged("T-9", "2026-11-16T09:30:00+08:00"),
        disputed("T-9", "2026-11-18T10:00:00+08:00", "logistics", event_id="dispute-9"),
        ruled("T-9", "2026-11-19T10:00:00+08:00", "dispute-9", "upheld", to="stores"),
        until="2026-11-19T10:30:00+08:00",
    )
    [breach] = of(result, "sla.breached", "resolve")
    assert breach.data.breached_at == at("2026-11-18T10:00:00+08:00")
    [fine] = of(result, "penalty.assessed")
    assert (fine.data.department, fine.data.fine, fine.data.breach_id) == (
        "logistics", Decimal(500), breach.id)
    [reversal] = of(result, "penalty.reversed")
    assert (reversal.data.penalty_id, reversal.data.fine) == (fine.id, Decimal(500))
    assert reversal.data.dispute_id == "dispute-9"
    stores = [c for c in result.tickets["T-9"].clocks if c.department == "stores"]
    assert {c.started_at for c in stores} == {at("2026-11-19T10:00:00+08:00")}


def test_rejected_dispute_changes_nothing_but_the_record() -> None:
    result = run(
        complaint("T-10", "2026-11-16T09:00:00+08:00"),
        disputed("T-10", "2026-11-18T10:00:00+08:00", "logistics", event_id="dispute-10"),
        ruled("T-10", "2026-11-19T10:00:00+08:00", "dispute-10", "rejected"),
        until="2026-11-19T10:30:00+08:00",
    )
    assert of(result, "penalty.reversed") == []
    assert result.tickets["T-10"].department == "logistics"
    assert len(of(result, "sla.attributed")) == 1


def test_repeat_multiplier_and_monthly_cap() -> None:
    """Late resolution costs 500, doubled when logistics was fined under the same rule
    in the last 30 days, capped at 1500 a month: 500, 1000, then 0 (1000 capped).
    In December the cap starts again but the repeat window still reaches back."""
    starts = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-30"]
    events = [complaint(f"T-R{i}", f"{day}T09:00:00+08:00") for i, day in enumerate(starts)]
    events += [acknowledged(f"T-R{i}", f"{day}T09:05:00+08:00") for i, day in enumerate(starts)]
    result = replay(events, CONFIG, until=at("2026-12-10T00:00:00+08:00"))
    fines = [(p.data.period, p.data.multiplier, p.data.fine, p.data.capped_amount)
             for p in of(result, "penalty.assessed")]
    assert fines == [
        ("2026-11", 1, 500, 0),
        ("2026-11", 2, 1000, 0),
        ("2026-11", 2, 0, 1000),
        ("2026-12", 2, 1000, 0),
    ]


def test_acknowledgement_arriving_before_its_complaint_is_held() -> None:
    from sla.engine import SlaEngine

    engine = SlaEngine(CONFIG)
    state = engine.new_ticket("T-11")
    engine.receive(state, acknowledged("T-11", "2026-11-16T09:20:00+08:00"))
    assert engine.advance(state, at("2026-11-16T09:30:00+08:00")) == []
    engine.receive(state, complaint("T-11", "2026-11-16T09:00:00+08:00"))
    out = engine.advance(state, at("2026-11-16T09:30:00+08:00"))
    [met] = [e for e in out if e.type == "sla.met"]
    assert met.data.elapsed_seconds == 1200


def test_duplicate_event_ids_are_ignored() -> None:
    once = run(complaint("T-12", "2026-11-16T09:00:00+08:00"),
               acknowledged("T-12", "2026-11-16T09:20:00+08:00"),
               until="2026-11-18T00:00:00+08:00")
    twice = run(complaint("T-12", "2026-11-16T09:00:00+08:00"),
                acknowledged("T-12", "2026-11-16T09:20:00+08:00"),
                acknowledged("T-12", "2026-11-16T09:20:00+08:00"),
                until="2026-11-18T00:00:00+08:00")
    assert twice.duplicates == 1
    assert once.jsonl() == twice.jsonl()


@pytest.mark.parametrize("department", ["nowhere"])
def test_transfer_to_an_unknown_department_is_dead_lettered(department: str) -> None:
    result = run(complaint("T-13", "2026-11-16T09:00:00+08:00"),
                 transferred("T-13", "2026-11-16T09:30:00+08:00", to=department),
                 until="2026-11-16T10:00:00+08:00")
    [dead] = of(result, "event.rejected")
    assert "unknown department 'nowhere'" in dead.data.reason
    assert result.tickets["T-13"].department == "logistics"


def test_a_late_acknowledgement_does_not_undo_a_decided_breach() -> None:
    """Mon 09:00 complaint, acknowledge due 11:00. The live stream's clock passed 11:00 and
    breached it; only then did an acknowledgement timed 10:30 reach the broker (published
    late). The breach stands, no `sla.met` follows it, and the resolve clock, which was
    still running, ends at the ticket's latest time (the breach at 11:00), not in the past."""
    from sla.engine import SlaEngine

    engine = SlaEngine(CONFIG)
    state = engine.new_ticket("T-14")
    engine.receive(state, complaint("T-14", "2026-11-16T09:00:00+08:00"))
    first = engine.advance(state, at("2026-11-16T11:05:00+08:00"))
    [breach] = [e for e in first if e.type == "sla.breached"]
    assert breach.data.metric == "acknowledge"
    engine.receive(state, acknowledged("T-14", "2026-11-16T10:30:00+08:00"))
    engine.receive(state, resolved("T-14", "2026-11-16T10:45:00+08:00"))
    late = engine.advance(state, at("2026-11-16T11:10:00+08:00"))
    assert [(e.type, e.data.metric) for e in late] == [("sla.met", "resolve")]
    assert late[0].data.completed_at == at("2026-11-16T11:00:00+08:00")  # not 10:45
    replayed = run(complaint("T-14", "2026-11-16T09:00:00+08:00"),
                   acknowledged("T-14", "2026-11-16T10:30:00+08:00"),
                   resolved("T-14", "2026-11-16T10:45:00+08:00"),
                   until="2026-11-16T11:10:00+08:00")
    assert not of(replayed, "sla.breached")  # replay orders by time: the difference
