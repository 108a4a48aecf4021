"""Open clocks are counted per partition from what the ticket stage saves, and exported."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge

from models import CloudEvent, parse_event
from sla.config import load_config
from sla.engine import SlaEngine
from sla.testing import acknowledged, complaint, resolved
from sla.ticket import TicketState
from streams.open_clocks import OpenClockCounts, clock_pairs, stored_clock_pairs
from streams.ticket_store import StoredTicket, encode_stored
from tests.integration.stream_oracle import small_log

CONFIG = load_config(Path(__file__).parents[2] / "deploy" / "config" / "sla-police.yaml")
LOGISTICS_ACK, LOGISTICS_RESOLVE = ("logistics", "acknowledge"), ("logistics", "resolve")


def counts_with_gauge() -> tuple[OpenClockCounts, CollectorRegistry]:
    registry = CollectorRegistry()
    gauge = Gauge("sla_open_clocks", "test", ("department", "metric"), registry=registry)
    return OpenClockCounts(gauge), registry


def exported(registry: CollectorRegistry, department: str, metric: str) -> float | None:
    return registry.get_sample_value("sla_open_clocks",
                                     {"department": department, "metric": metric})


def test_a_saved_ticket_moves_the_gauge_by_its_clocks_before_and_after() -> None:
    counts, registry = counts_with_gauge()
    counts.update(0, [], [LOGISTICS_ACK, LOGISTICS_RESOLVE])
    counts.update(1, [], [LOGISTICS_ACK, LOGISTICS_RESOLVE])
    assert exported(registry, *LOGISTICS_ACK) == 2
    counts.update(0, [LOGISTICS_ACK, LOGISTICS_RESOLVE], [LOGISTICS_RESOLVE])  # acknowledged
    assert (exported(registry, *LOGISTICS_ACK), exported(registry, *LOGISTICS_RESOLVE)) == (1, 2)
    counts.update(1, [LOGISTICS_ACK, LOGISTICS_RESOLVE], [])  # resolved
    counts.update(0, [LOGISTICS_RESOLVE], [])
    assert exported(registry, *LOGISTICS_ACK) == 0  # still exposed: "none open", not a gap
    assert exported(registry, *LOGISTICS_RESOLVE) == 0


def test_a_transfer_moves_clocks_between_departments() -> None:
    counts, registry = counts_with_gauge()
    counts.update(2, [], [LOGISTICS_ACK, LOGISTICS_RESOLVE])
    counts.update(2, [LOGISTICS_ACK, LOGISTICS_RESOLVE],
                  [("billing", "acknowledge"), ("billing", "resolve")])
    assert exported(registry, *LOGISTICS_RESOLVE) == 0
    assert exported(registry, "billing", "resolve") == 1
    assert counts.count("billing", "acknowledge") == 1


def test_a_revoked_partition_takes_only_its_own_clocks_away() -> None:
    counts, registry = counts_with_gauge()
    counts.update(0, [], [LOGISTICS_ACK])
    counts.update(1, [], [LOGISTICS_ACK, LOGISTICS_RESOLVE])
    counts.drop(1)
    assert (exported(registry, *LOGISTICS_ACK), exported(registry, *LOGISTICS_RESOLVE)) == (1, 0)
    counts.drop(1)  # twice, or a partition never held: nothing happens
    counts.drop(7)
    assert counts.count(*LOGISTICS_ACK) == 1


def test_rebuild_recounts_a_partition_from_its_tickets_whatever_was_counted() -> None:
    counts, registry = counts_with_gauge()
    counts.update(3, [], [LOGISTICS_ACK] * 5)  # stale counts of an earlier assignment
    counts.update(0, [], [LOGISTICS_ACK])
    tickets = [[LOGISTICS_ACK, LOGISTICS_RESOLVE], [], [LOGISTICS_RESOLVE]]
    counts.rebuild(3, tickets)
    counts.rebuild(3, tickets)  # a second rebuild counts nothing twice
    assert (exported(registry, *LOGISTICS_ACK), exported(registry, *LOGISTICS_RESOLVE)) == (2, 2)


def test_the_default_gauge_is_the_registered_sla_open_clocks() -> None:
    from streams import metrics

    counts = OpenClockCounts()
    before = counts.count("triage", "resolve")
    counts.update(11, [], [("triage", "resolve")])
    assert metrics.REGISTRY.get_sample_value(
        "sla_open_clocks", {"department": "triage", "metric": "resolve"}) == before + 1
    counts.drop(11)


def _stored(events: list[CloudEvent], hours: float = 0.0) -> StoredTicket:
    engine = SlaEngine(CONFIG)
    stored = StoredTicket(1, engine.new_ticket(events[0].subject))
    for event in events:
        engine.receive(stored.state, event)
    outputs = engine.advance(stored.state, events[-1].time + timedelta(hours=hours))
    stored.remember((0, 5), [e.to_json() for e in outputs], committed={})
    return stored


def test_stored_clock_pairs_read_a_table_value_with_and_without_clocks() -> None:
    at = "2026-11-20T10:00:00+08:00"
    open_ticket = _stored([complaint("T-1", at)], hours=30)  # breached: still open
    assert sorted(stored_clock_pairs(encode_stored(open_ticket))) == \
        [LOGISTICS_ACK, LOGISTICS_RESOLVE]
    assert open_ticket.outbox  # its outputs (JSON lines after the state) are not clocks
    done = _stored([complaint("T-2", at), acknowledged("T-2", "2026-11-20T10:05:00+08:00"),
                    resolved("T-2", "2026-11-20T10:30:00+08:00")])
    assert done.state.clocks == []
    assert stored_clock_pairs(encode_stored(done)) == []


def test_counting_every_save_of_a_simulated_day_equals_counting_the_final_tickets() -> None:
    """Drive the real engine event by event, as the ticket stage does (receive, advance,
    save), and report each save; the counts must equal the clocks of the final states."""
    engine, counts = SlaEngine(CONFIG), counts_with_gauge()[0]
    tickets: dict[str, TicketState] = {}
    lines = small_log()
    events = [e for line in lines[: len(lines) // 2]  # up to midday: many clocks still open
              if isinstance(e := parse_event(line), CloudEvent)]
    for event in events:
        state = tickets.setdefault(event.subject, engine.new_ticket(event.subject))
        if not engine.receive(state, event):
            continue
        before = clock_pairs(state)
        engine.advance(state, event.time)
        counts.update(len(event.subject) % 4, before, clock_pairs(state))
    final = Counter(pair for state in tickets.values() for pair in clock_pairs(state))
    assert sum(final.values()) > 10
    assert {pair: counts.count(*pair) for pair in counts.totals} == \
        {pair: final[pair] for pair in counts.totals}
    assert set(final) <= set(counts.totals)
