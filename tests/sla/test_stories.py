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

from sla.calendar import build_calendars
from sla.config import load_config
from sla.engine import SlaEngine
from sla.replay import ReplayResult, replay
from sla.testing import (
    acknowledged,
    assigned,
    cancelled,
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
    engine = SlaEngine(CONFIG)
    state = engine.new_ticket("T-14")
    engine.receive(state, complaint("T-14", "2026-11-16T09:00:00+08:00"))
    first = engine.advance(state, at("2026-11-16T11:05:00+08:00"))
    [breach] = [e for e in first if e.type == "sla.breached"]
    assert breach.data.metric == "acknowledge"
    engine.receive(state, acknowledged("T-14", "2026-11-16T10:30:00+08:00"))
    engine.receive(state, resolved("T-14", "2026-11-16T10:45:00+08:00"))
    late = engine.advance(state, at("2026-11-16T11:10:00+08:00"))
    late = [e for e in late if e.type != "sla.clocks_changed"]  # the worklist's snapshots
    assert [(e.type, e.data.metric) for e in late] == [("sla.met", "resolve")]
    assert late[0].data.completed_at == at("2026-11-16T11:00:00+08:00")  # not 10:45
    replayed = run(complaint("T-14", "2026-11-16T09:00:00+08:00"),
                   acknowledged("T-14", "2026-11-16T10:30:00+08:00"),
                   resolved("T-14", "2026-11-16T10:45:00+08:00"),
                   until="2026-11-16T11:10:00+08:00")
    assert not of(replayed, "sla.breached")  # replay orders by time: the difference


def test_events_at_the_exact_due_instant_are_applied_before_the_deadline() -> None:
    """Mon 2026-11-16 09:00, logistics. acknowledge 2h is due 11:00 and the acknowledgement
    comes at 11:00:00: met with exactly the target used. resolve 16h: Mon 7.5h + Tue 7.5h,
    Wed 09:00-10:00 -> due Wed 11-18 10:00, and the ticket is transferred to billing at
    10:00:00: logistics' clock is cancelled with the full target, not breached or fined."""
    result = run(
        complaint("T-15", "2026-11-16T09:00:00+08:00"),
        acknowledged("T-15", "2026-11-16T11:00:00+08:00"),
        transferred("T-15", "2026-11-18T10:00:00+08:00", to="billing"),
        until="2026-11-18T10:30:00+08:00",
    )
    [ack] = of(result, "sla.met", "acknowledge")
    assert ack.data.due_at == ack.data.completed_at == at("2026-11-16T11:00:00+08:00")
    assert ack.data.elapsed_seconds == ack.data.target_seconds == 7200
    [gone] = of(result, "sla.cancelled")
    assert (gone.data.department, gone.data.metric, gone.data.reason) == (
        "logistics", "resolve", "transferred")
    assert gone.data.due_at == gone.data.cancelled_at == at("2026-11-18T10:00:00+08:00")
    assert gone.data.elapsed_seconds == 16 * 3600
    assert of(result, "sla.breached") == []
    assert of(result, "penalty.assessed") == []


def test_transfer_while_paused_starts_the_new_departments_resolve_clock_paused() -> None:
    """Mon 2026-11-16 09:00 logistics, acknowledged 09:10, paused awaiting the customer
    at 10:00 (resolve used 1h), transferred to billing Mon 11:00 while still paused.
    Logistics' resolve clock is cancelled with the 1h it had. Billing's acknowledge
    clock runs (11-12, 13:30-14:00: 1.5h when acknowledged at 14:00); its resolve clock
    starts paused and counts from the resumption Tue 09:00: Tue 7.5h + Wed 7.5h,
    Thu 09:00-10:00 -> breach Thu 11-19 10:00. Warnings: 8h -> Wed 09:30;
    12.8h -> Wed 09:00 + 5h18m = 09-12, 13:30-15:48."""
    result = run(
        complaint("T-16", "2026-11-16T09:00:00+08:00"),
        acknowledged("T-16", "2026-11-16T09:10:00+08:00"),
        paused("T-16", "2026-11-16T10:00:00+08:00"),
        transferred("T-16", "2026-11-16T11:00:00+08:00", to="billing"),
        acknowledged("T-16", "2026-11-16T14:00:00+08:00", event_id="ack-billing-16"),
        resumed("T-16", "2026-11-17T09:00:00+08:00"),
        until="2026-11-19T12:00:00+08:00",
    )
    [gone] = of(result, "sla.cancelled")
    assert (gone.data.department, gone.data.metric, gone.data.elapsed_seconds) == (
        "logistics", "resolve", 3600)
    [billing_ack] = [m for m in of(result, "sla.met", "acknowledge")
                     if m.data.department == "billing"]
    assert billing_ack.data.elapsed_seconds == 5400
    [breach] = of(result, "sla.breached", "resolve")
    assert (breach.data.department, breach.data.started_at, breach.data.breached_at) == (
        "billing", at("2026-11-16T11:00:00+08:00"), at("2026-11-19T10:00:00+08:00"))
    warnings = [(w.data.department, w.data.threshold, w.data.warned_at)
                for w in of(result, "sla.warning", "resolve")]
    assert warnings == [("billing", 0.5, at("2026-11-18T09:30:00+08:00")),
                        ("billing", 0.8, at("2026-11-18T15:48:00+08:00"))]


def test_events_after_the_ticket_is_cancelled_change_nothing() -> None:
    """Cancelled Mon 2026-11-16 10:00, an hour after the complaint: both clocks end as
    cancelled with 1h used, and logistics' per-complaint charge settles on the department
    (it never assigned the ticket). What the CRM sends afterwards (an acknowledgement, a transfer,
    an assignment, a reopening, a resolution) starts, stops and moves nothing, and no
    deadline fires in the days after."""
    result = run(
        complaint("T-17", "2026-11-16T09:00:00+08:00"),
        cancelled("T-17", "2026-11-16T10:00:00+08:00"),
        acknowledged("T-17", "2026-11-16T10:30:00+08:00"),
        transferred("T-17", "2026-11-16T11:00:00+08:00", to="billing"),
        assigned("T-17", "2026-11-16T11:30:00+08:00", "stores"),
        reopened("T-17", "2026-11-17T09:00:00+08:00"),
        resolved("T-17", "2026-11-17T10:00:00+08:00"),
        until="2026-11-20T00:00:00+08:00",
    )
    assert [e.type for e in result.outputs] == [
        "sla.attributed", "sla.clocks_changed", "sla.charge_settled", "sla.cancelled",
        "sla.cancelled", "sla.clocks_changed"]
    assert [len(e.data.clocks) for e in of(result, "sla.clocks_changed")] == [2, 0]
    [settled] = of(result, "sla.charge_settled")
    assert (settled.data.department, settled.data.settled_by, settled.data.assignee) == (
        "logistics", "cancel", None)
    assert {(c.data.metric, c.data.reason, c.data.elapsed_seconds)
            for c in of(result, "sla.cancelled")} == {
        ("acknowledge", "ticket_cancelled", 3600), ("resolve", "ticket_cancelled", 3600)}
    state = result.tickets["T-17"]
    assert (state.department, state.clocks) == ("logistics", [])


LOSING_THE_TICKET = {
    "transferred": ([transferred("T-18", "2026-11-16T10:30:00+08:00", to="billing")],
                    "billing"),
    "reassigned": ([assigned("T-18", "2026-11-16T10:30:00+08:00", "stores")], "stores"),
    "dispute_upheld": ([disputed("T-18", "2026-11-16T10:00:00+08:00", "logistics",
                                 event_id="dispute-18"),
                        ruled("T-18", "2026-11-16T10:30:00+08:00", "dispute-18", "upheld",
                              to="stores")], "stores"),
    "ticket_cancelled": ([cancelled("T-18", "2026-11-16T10:30:00+08:00")], None),
}


@pytest.mark.parametrize("reason", sorted(LOSING_THE_TICKET))
def test_each_way_of_losing_a_ticket_cancels_the_clocks_with_its_reason(reason: str) -> None:
    """Logistics holds a ticket from Mon 2026-11-16 09:00 and loses it at 10:30 (1.5h of
    working time): both its clocks end as cancelled with that reason and 5400 s; the
    new holder, if any, starts its own clocks at 10:30."""
    events, new_holder = LOSING_THE_TICKET[reason]
    result = run(complaint("T-18", "2026-11-16T09:00:00+08:00"), *events,
                 until="2026-11-16T11:00:00+08:00")
    ended = {(c.data.department, c.data.metric, c.data.reason, c.data.elapsed_seconds,
              c.data.cancelled_at) for c in of(result, "sla.cancelled")}
    assert ended == {("logistics", metric, reason, 5400, at("2026-11-16T10:30:00+08:00"))
                     for metric in ("acknowledge", "resolve")}
    running = {(c.department, c.metric, c.started_at) for c in result.tickets["T-18"].clocks}
    expected = set() if new_holder is None else {
        (new_holder, metric, at("2026-11-16T10:30:00+08:00"))
        for metric in ("acknowledge", "resolve")}
    assert running == expected


def test_deadlines_past_the_last_official_holiday_year_are_provisional() -> None:
    """The pinned `holidays` package knows the State Council notices up to 2026.
    Wed 2026-12-30 09:00: acknowledge due 11:00 the same day is official. resolve 16h:
    Dec 30 7.5h + Dec 31 7.5h, Fri 2027-01-01 (New Year, estimated) and the weekend
    closed, Mon Jan 4 09:00-10:00 -> due 2027-01-04 10:00: provisional. A P1 on the 24x7
    calendar (no holidays) is never provisional, even in 2027. Once an operator
    transcribes the 2027 notice (here: only Jan 1 off), the same breach is official."""
    events = [complaint("T-19", "2026-12-30T09:00:00+08:00"),
              acknowledged("T-19", "2026-12-30T10:00:00+08:00"),
              complaint("T-20", "2027-02-08T09:00:00+08:00", priority="P1")]
    until = at("2027-02-09T00:00:00+08:00")
    estimated = replay(events, CONFIG, until=until)
    [ack] = of(estimated, "sla.met", "acknowledge")
    assert (ack.subject, ack.data.due_at, ack.data.provisional) == (
        "T-19", at("2026-12-30T11:00:00+08:00"), False)
    breaches = {(b.subject, b.data.metric): (b.data.breached_at, b.data.provisional)
                for b in of(estimated, "sla.breached")}
    assert breaches == {
        ("T-19", "resolve"): (at("2027-01-04T10:00:00+08:00"), True),
        ("T-20", "acknowledge"): (at("2027-02-08T09:30:00+08:00"), False),
        ("T-20", "resolve"): (at("2027-02-08T13:00:00+08:00"), False),
    }
    notice = {2027: {"closed": ["2027-01-01"], "workdays": []}}
    engine = SlaEngine(CONFIG, build_calendars(CONFIG.calendars, notice))
    official = replay(events, CONFIG, until=until, engine=engine)
    [breach] = [b for b in of(official, "sla.breached", "resolve") if b.subject == "T-19"]
    assert (breach.data.breached_at, breach.data.provisional) == (
        at("2027-01-04T10:00:00+08:00"), False)
