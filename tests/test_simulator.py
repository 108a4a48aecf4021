"""The workload simulator: deterministic, contract-clean, and statistically what was asked.

Rates are measured from the output only (parsed lines), as documented in
:mod:`sla_police.simulator.options`:

* cancel: tickets with ``ticket.cancelled`` / all tickets;
* pause, reopen, transfer, dispute: tickets with >= 1 such event / tickets not cancelled;
* late: among resolved tickets, those whose first acknowledgement or first resolution
  (measured from the complaint) is past the target: P1 15 min / 4 h on 24x7; P2 1 h / 8 h
  and P3-P4 2 h / 2 working days on office hours (Mon-Fri 09:00-12:00 + 13:30-18:00),
  measured here by an independent implementation. The verdict must not change when P2 is
  read as 24x7, when each department's own hours are used (as in the example config:
  network/stores 08:00-22:00 daily, triage 24x7), or when paused time is deducted;
* duplicate: lines repeating an id already written / distinct valid events;
* invalid: lines refused by ``parse_event`` / distinct valid events;
* out of order: distinct valid events written after an event with a later time /
  distinct valid events.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import cache

import pytest

from models import CloudEvent, Rejection, parse_event
from models.authority import AUTHORITY_INBOUND_TYPES
from sla_police.simulator import (
    CATEGORY_DEPARTMENT,
    DEPARTMENTS,
    Record,
    SimulationOptions,
    simulate,
    simulate_records,
)
from sla_police.simulator.perturb import INVALID_KINDS

NOW = datetime(2027, 1, 1, tzinfo=UTC)  # processing time: after every simulated event
ACK = {"P1": 900, "P2": 3600, "P3": 7200, "P4": 7200}
RESOLVE_HOURS = {"P1": 4, "P2": 8}
DAY_HOURS = {"office": 7.5, "extended": 14, "always": 24}  # open hours of one working day
OFFICE_SPANS = ((time(9), time(12)), (time(13, 30), time(18)))
EXTENDED_SPANS = ((time(8), time(22)),)
# November 2026 has no Chinese statutory holiday or make-up working day, so Mon-Fri is enough.
STATS = SimulationOptions(days=2, seed=7, calls_per_day=3000)

EXPECTED_MAPPING = {
    "delivery.late": "logistics", "delivery.damaged": "logistics", "delivery.lost": "logistics",
    "billing.overcharge": "billing", "billing.invoice": "billing", "refund.delayed": "billing",
    "network.outage": "network", "network.slow": "network",
    "store.service": "stores", "store.stock": "stores",
    "product.defect": "product", "product.return": "product",
    "app.login": "it", "account.locked": "it",
    "other.general": "triage",
}


@cache
def _records(options: SimulationOptions) -> tuple[Record, ...]:
    return tuple(simulate_records(options))


@cache
def _parsed(options: SimulationOptions) -> tuple[CloudEvent | Rejection, ...]:
    return tuple(parse_event(r.line, now=NOW) for r in _records(options))


@cache
def _stories(options: SimulationOptions) -> dict[str, list[CloudEvent]]:
    """Distinct valid events per ticket, in time order."""
    seen: set[str] = set()
    stories: dict[str, list[CloudEvent]] = defaultdict(list)
    for event in _parsed(options):
        if isinstance(event, CloudEvent) and event.id not in seen:
            seen.add(event.id)
            stories[event.subject].append(event)
    for events in stories.values():
        events.sort(key=lambda e: e.time)
    return dict(stories)


def _open_seconds(start: datetime, end: datetime, spans: tuple[tuple[time, time], ...],
                  weekdays: int) -> float:
    """Seconds of [start, end) inside daily ``spans`` on the first ``weekdays`` of a week."""
    tz, total, day = start.tzinfo, 0.0, start.date()
    while day <= end.astimezone(tz).date():
        if day.weekday() < weekdays:
            for open_, close in spans:
                lo = max(start, datetime.combine(day, open_, tz))
                hi = min(end, datetime.combine(day, close, tz))
                total += max(0.0, (hi - lo).total_seconds())
        day += timedelta(days=1)
    return total


CLOCKS: dict[str, Callable[[datetime, datetime], float]] = {
    "office": lambda a, b: _open_seconds(a, b, OFFICE_SPANS, 5),
    "extended": lambda a, b: _open_seconds(a, b, EXTENDED_SPANS, 7),
    "always": lambda a, b: (b - a).total_seconds(),
}
CONFIG_CALENDARS = {"logistics": "office", "billing": "office", "network": "extended",
                    "stores": "extended", "product": "office", "it": "office",
                    "triage": "always"}


def _first(events: list[CloudEvent], event_type: str) -> CloudEvent | None:
    return next((e for e in events if e.type == event_type), None)


def _has(events: list[CloudEvent], event_type: str) -> bool:
    return _first(events, event_type) is not None


# --- determinism --------------------------------------------------------------------------

SMALL = SimulationOptions(days=1, seed=42, calls_per_day=300)


def test_same_seed_gives_the_same_bytes() -> None:
    first = "\n".join(simulate(SMALL)).encode()
    second = "\n".join(simulate(SimulationOptions(days=1, seed=42, calls_per_day=300))).encode()
    assert first == second
    assert len(first) > 10_000


def test_a_different_seed_gives_a_different_feed() -> None:
    other = SimulationOptions(days=1, seed=43, calls_per_day=300)
    assert list(simulate(SMALL)) != list(simulate(other))


def test_write_simulation_writes_the_lines_and_tallies_them(tmp_path) -> None:
    from sla_police.simulator import write_simulation

    path = tmp_path / "feed.jsonl"
    summary = write_simulation(SMALL, path)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines() == list(simulate(SMALL))
    assert summary.lines == len(text.splitlines())
    assert summary.bytes == len(text.encode("utf-8"))
    assert summary.tickets == summary.per_type["complaint.received"] > 200
    assert summary.events + summary.duplicates + summary.invalid == summary.lines


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="late_rate"):
        SimulationOptions(late_rate=1.5)
    with pytest.raises(ValueError, match="timezone"):
        SimulationOptions(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="days"):
        SimulationOptions(days=0)
    with pytest.raises(ValueError, match="holiday"):
        SimulationOptions(holidays="XX")


# --- contract -----------------------------------------------------------------------------


def test_valid_lines_parse_and_invalid_lines_are_refused_in_varied_ways() -> None:
    reasons = Counter()
    for record, parsed in zip(_records(STATS), _parsed(STATS), strict=True):
        if record.kind == "invalid":
            assert isinstance(parsed, Rejection), record.line
            reasons[parsed.reason.split(":")[0].split(" ")[0]] += 1
        else:
            assert isinstance(parsed, CloudEvent), (record.line, parsed)
            assert parsed.to_json() == record.line, "valid lines are canonical JSON"
            assert parsed.type == record.type
            assert parsed.time.utcoffset() == timedelta(hours=8)
    assert len(reasons) >= 6, reasons


@pytest.mark.parametrize("kind", sorted(INVALID_KINDS))
@pytest.mark.parametrize("event_type", ["complaint.received", "ticket.transferred"])
def test_each_kind_of_invalid_line_is_refused(kind: str, event_type: str) -> None:
    record = next(r for r in _records(SMALL) if r.type == event_type and r.kind == "event")
    event = json.loads(record.line)
    broken = INVALID_KINDS[kind](event, record.line, random.Random(1))
    assert isinstance(parse_event(broken, now=NOW), Rejection), broken


def test_every_category_maps_to_one_of_the_listed_departments() -> None:
    assert CATEGORY_DEPARTMENT == EXPECTED_MAPPING
    assert set(DEPARTMENTS) == set(EXPECTED_MAPPING.values())
    seen_categories = set()
    for events in _stories(STATS).values():
        complaint = events[0]
        assert complaint.type == "complaint.received"
        seen_categories.add(complaint.data.category)
        for event in events[1:]:
            for name in ("department", "to_department"):
                value = getattr(event.data, name, None)
                assert value is None or value in DEPARTMENTS, event
    assert seen_categories == set(EXPECTED_MAPPING)


def test_mostly_assigned_to_the_department_the_category_maps_to() -> None:
    assigned = [(events[0].data.category, e.data.department)
                for events in _stories(STATS).values()
                if (e := _first(events, "ticket.assigned")) is not None]
    matching = sum(EXPECTED_MAPPING[category] == dept for category, dept in assigned)
    assert 0.75 < len(assigned) / len(_stories(STATS)) < 0.95
    assert 0.90 < matching / len(assigned) < 0.99


# --- ticket stories -----------------------------------------------------------------------

_BEFORE = {  # (earlier, later): when both occur, the first of `earlier` precedes `later`
    ("complaint.received", "ticket.assigned"), ("ticket.assigned", "ticket.acknowledged"),
    ("ticket.acknowledged", "ticket.paused"), ("ticket.paused", "ticket.resumed"),
    ("ticket.resumed", "ticket.resolved"), ("ticket.acknowledged", "ticket.transferred"),
    ("ticket.transferred", "ticket.resolved"), ("attribution.disputed", "dispute.ruled"),
    ("ticket.resolved", "ticket.reopened"), ("ticket.resolved", "ticket.closed"),
    ("ticket.closed", "csat.recorded"), ("complaint.received", "ticket.cancelled"),
}


def test_events_of_a_ticket_are_strictly_time_ordered_without_perturbation() -> None:
    clean = SimulationOptions(days=1, seed=3, calls_per_day=800, out_of_order_rate=0,
                              duplicate_rate=0, invalid_rate=0)
    last: dict[str, datetime] = {}
    for line in simulate(clean):
        event = parse_event(line, now=NOW)
        assert isinstance(event, CloudEvent)
        assert event.subject not in last or event.time > last[event.subject], event
        last[event.subject] = event.time


def test_stories_follow_the_lifecycle() -> None:
    """The ticket's own lifecycle; concessions, decisions and audit verdicts
    (tests/test_simulator_authority.py) may come at any point after the complaint."""
    for ticket, events in _stories(STATS).items():
        assert len(set(e.time for e in events)) == len(events), "times strictly increase"
        types = [e.type for e in events if e.type not in AUTHORITY_INBOUND_TYPES]
        assert types[0] == "complaint.received", (ticket, types)
        first = {t: types.index(t) for t in set(types)}
        for earlier, later in _BEFORE:
            if earlier in first and later in first:
                assert first[earlier] < first[later], (ticket, types)
        if "ticket.cancelled" in types:
            assert "ticket.resolved" not in types and "ticket.closed" not in types
        else:
            assert types[-1] in ("ticket.closed", "csat.recorded", "dispute.ruled"), types
            assert types.count("ticket.resolved") == 1 + types.count("ticket.reopened")


def test_dispute_rulings_name_the_disputed_event() -> None:
    outcomes = Counter()
    for events in _stories(STATS).values():
        disputed, ruled = _first(events, "attribution.disputed"), _first(events, "dispute.ruled")
        assert (disputed is None) == (ruled is None)
        if ruled is not None:
            assert ruled.data.dispute_id == disputed.id
            outcomes[ruled.data.outcome] += 1
            if ruled.data.outcome == "upheld":
                assert ruled.data.to_department != disputed.data.department
    assert 0.25 < outcomes["upheld"] / sum(outcomes.values()) < 0.55


def test_repeat_complaints_point_back_to_an_earlier_ticket_of_the_same_customer() -> None:
    complaints = {t: events[0] for t, events in _stories(STATS).items()}
    repeats = [c for c in complaints.values() if c.data.repeat_of]
    assert 0.05 < len(repeats) / len(complaints) < 0.11
    for complaint in repeats:
        earlier = complaints[complaint.data.repeat_of]
        assert earlier.time < complaint.time
        assert earlier.data.customer_ref == complaint.data.customer_ref


# --- traffic shape ------------------------------------------------------------------------


def test_volume_has_morning_and_afternoon_peaks() -> None:
    hours = Counter(events[0].time.hour for events in _stories(STATS).values())
    histogram = [hours[h] for h in range(24)]
    maxima = [h for h in range(1, 23) if histogram[h] > histogram[h - 1]
              and histogram[h] >= histogram[h + 1]]
    assert any(9 <= h <= 11 for h in maxima), histogram
    assert any(14 <= h <= 16 for h in maxima), histogram
    assert max(histogram[0:6]) * 5 < min(histogram[10], histogram[15]), histogram
    assert histogram[12] < histogram[10] and histogram[13] < histogram[15], histogram


def test_daily_volume_and_mix() -> None:
    complaints = [events[0] for events in _stories(STATS).values()]
    per_day = Counter(c.time.date() for c in complaints)
    assert all(0.83 * 3000 <= n <= 1.17 * 3000 for n in per_day.values()), per_day
    priorities = Counter(c.data.priority for c in complaints)
    for priority, share in {"P1": 0.02, "P2": 0.15, "P3": 0.53, "P4": 0.30}.items():
        assert priorities[priority] / len(complaints) == pytest.approx(share, abs=0.02)
    channels = Counter(c.data.channel for c in complaints).most_common()
    assert channels[0][0] == "phone"
    categories = Counter(c.data.category for c in complaints).most_common()
    assert categories[0][0] == "delivery.late"


def test_weekends_are_quieter() -> None:
    weekend = SimulationOptions(days=1, seed=7, calls_per_day=3000,
                                start=STATS.start + timedelta(days=5))  # a Saturday
    tickets = sum(r.type == "complaint.received" for r in simulate_records(weekend))
    assert 0.83 * 3000 <= tickets <= 0.93 * 3000


# --- rates --------------------------------------------------------------------------------


def _share(tickets: list[list[CloudEvent]], event_type: str) -> float:
    return sum(_has(events, event_type) for events in tickets) / len(tickets)


def test_ticket_rates_are_met() -> None:
    stories = list(_stories(STATS).values())
    not_cancelled = [events for events in stories if not _has(events, "ticket.cancelled")]
    assert _share(stories, "ticket.cancelled") == pytest.approx(STATS.cancel_rate, abs=0.008)
    for event_type, rate, tolerance in (
        ("ticket.paused", STATS.pause_rate, 0.025),
        ("ticket.reopened", STATS.reopen_rate, 0.012),
        ("ticket.transferred", STATS.transfer_rate, 0.015),
        ("attribution.disputed", STATS.dispute_rate, 0.008),
    ):
        assert _share(not_cancelled, event_type) == pytest.approx(rate, abs=tolerance), event_type


def _late(events: list[CloudEvent], calendar: str, deduct_pauses: bool) -> bool:
    """First ack or first resolution past its target on ``calendar``, from the complaint."""
    complaint, priority, clock = events[0], events[0].data.priority, CLOCKS[calendar]
    ack, resolved = _first(events, "ticket.acknowledged"), _first(events, "ticket.resolved")
    paused = 0.0
    if deduct_pauses and (pause := _first(events, "ticket.paused")):
        paused = clock(pause.time, _first(events, "ticket.resumed").time)
    resolve_target = 3600 * RESOLVE_HOURS.get(priority, 2 * DAY_HOURS[calendar])
    return (clock(complaint.time, ack.time) > ACK[priority]
            or clock(complaint.time, resolved.time) - paused > resolve_target)


def _initial_department(events: list[CloudEvent]) -> str:
    assigned = _first(events, "ticket.assigned")
    return assigned.data.department if assigned else EXPECTED_MAPPING[events[0].data.category]


def test_late_rate_is_met_and_unambiguous() -> None:
    resolved = [events for events in _stories(STATS).values()
                if _has(events, "ticket.resolved")]

    def verdicts(calendar_of: Callable[[list[CloudEvent]], str], deduct: bool) -> list[bool]:
        return [_late(events, "always" if events[0].data.priority == "P1"
                      else calendar_of(events), deduct) for events in resolved]

    strict = verdicts(lambda events: "office", deduct=False)
    assert sum(strict) / len(strict) == pytest.approx(STATS.late_rate, abs=0.02)
    assert verdicts(lambda events: "office", deduct=True) == strict
    p2_always = verdicts(lambda e: "always" if e[0].data.priority == "P2" else "office", False)
    assert p2_always == strict
    config = verdicts(lambda events: CONFIG_CALENDARS[_initial_department(events)], False)
    assert config == strict


def test_arrival_perturbation_rates_are_met() -> None:
    seen: set[str] = set()
    duplicates = invalid = out_of_order = 0
    latest: datetime | None = None
    for parsed in _parsed(STATS):
        if isinstance(parsed, Rejection):
            invalid += 1
            continue
        if parsed.id in seen:
            duplicates += 1
            continue
        seen.add(parsed.id)
        if latest is not None and parsed.time < latest:
            out_of_order += 1
            assert latest - parsed.time <= timedelta(minutes=4), "delays are a few minutes"
        latest = parsed.time if latest is None else max(latest, parsed.time)
    events = len(seen)
    assert duplicates / events == pytest.approx(STATS.duplicate_rate, abs=0.0015)
    assert invalid / events == pytest.approx(STATS.invalid_rate, abs=0.001)
    # a delayed event overtaken by nothing (quiet night) is invisible, hence the lower bound
    assert 0.85 * STATS.out_of_order_rate < out_of_order / events < 1.1 * STATS.out_of_order_rate


def test_an_acknowledgement_can_arrive_before_its_complaint() -> None:
    complained: set[str] = set()
    early = 0
    for parsed in _parsed(STATS):
        if isinstance(parsed, CloudEvent):
            if parsed.type == "complaint.received":
                complained.add(parsed.subject)
            elif parsed.subject not in complained:
                early += 1
    assert early > 0


def test_rates_of_zero_give_a_clean_feed() -> None:
    clean = SimulationOptions(days=1, seed=5, calls_per_day=400, late_rate=0, pause_rate=0,
                              reopen_rate=0, transfer_rate=0, dispute_rate=0, cancel_rate=0,
                              out_of_order_rate=0, duplicate_rate=0, invalid_rate=0)
    records = list(simulate_records(clean))
    assert {r.kind for r in records} == {"event"}
    types = {r.type for r in records}
    assert not types & {"ticket.paused", "ticket.reopened", "ticket.transferred",
                        "attribution.disputed", "ticket.cancelled"}
    times = [parse_event(r.line, now=NOW).time for r in records]
    assert times == sorted(times)
