"""Results depend on event time, never on arrival order or on how often the
clock is advanced: the properties that let the stream agree with replay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.config import load_config
from sla.engine import SlaEngine
from sla.replay import replay
from sla.testing import event

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))
ENGINE = SlaEngine(CONFIG)
START = datetime.fromisoformat("2026-09-28T08:00:00+08:00")

STEPS = ["ticket.acknowledged", "ticket.paused", "ticket.resumed", "ticket.resolved",
         "ticket.reopened", "ticket.closed", "ticket.transferred", "ticket.assigned",
         "attribution.disputed", "dispute.ruled", "csat.recorded", "ticket.cancelled"]


def _data(kind: str, i: int, dispute: str | None) -> dict | None:
    return {
        "ticket.paused": {"reason": "awaiting_customer" if i % 3 else "awaiting_third_party"},
        "ticket.transferred": {"to_department": ["billing", "stores", "logistics"][i % 3],
                               "reason": "moved"},
        "ticket.assigned": {"department": ["stores", "logistics"][i % 2], "assignee": f"e{i}"},
        "attribution.disputed": {"department": "logistics", "reason": "not ours"},
        "dispute.ruled": {"dispute_id": dispute or "none", "outcome": ["upheld", "rejected"][i % 2],
                          "to_department": "billing"},
        "csat.recorded": {"score": 1 + i % 5},
        "ticket.cancelled": {"reason": "withdrawn"},
    }.get(kind, {})


@st.composite
def ticket_story(draw: st.DrawFn, ticket: str = "T-P") -> list:
    t = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 10)))
    category = draw(st.sampled_from(["delivery.late", "billing.invoice", "other.general"]))
    priority = draw(st.sampled_from(["P1", "P3"]))
    events = [event("complaint.received", ticket, t, {
        "customer_ref": "c", "channel": "app", "category": category, "priority": priority},
        event_id=f"{ticket}-0")]
    dispute = None
    for i, kind in enumerate(draw(st.lists(st.sampled_from(STEPS), max_size=8)), 1):
        t += timedelta(minutes=draw(st.integers(1, 60 * 30)))
        events.append(event(kind, ticket, t, _data(kind, i, dispute), event_id=f"{ticket}-{i}"))
        dispute = f"{ticket}-{i}" if kind == "attribution.disputed" else dispute
    return events


def _outputs(events: list, until: datetime) -> str:
    return replay(events, CONFIG, until=until).jsonl()


@settings(max_examples=150, deadline=None)
@given(ticket_story(), st.randoms(use_true_random=False))
def test_arrival_order_does_not_change_results(events: list, rnd) -> None:
    until = max(e.time for e in events) + timedelta(days=5)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert _outputs(shuffled, until) == _outputs(events, until)


@settings(max_examples=150, deadline=None)
@given(ticket_story(), st.lists(st.integers(0, 20), max_size=6))
def test_advancing_in_small_steps_equals_advancing_once(events: list, extra_ticks) -> None:
    """The stream advances at every event and timer tick; replay once. Same outputs."""
    until = max(e.time for e in events) + timedelta(days=5)
    state = ENGINE.new_ticket("T-P")
    stepped = []
    ticks = sorted({e.time for e in events}
                   | {t for h in extra_ticks if (t := events[0].time + timedelta(hours=h * 7))
                      <= until})
    pending = sorted(events, key=lambda e: e.time)
    for tick in ticks:
        while pending and pending[0].time <= tick:
            ENGINE.receive(state, pending.pop(0))
        stepped.extend(ENGINE.advance(state, tick))
    stepped.extend(ENGINE.advance(state, until))
    once_state = ENGINE.new_ticket("T-P")
    for e in events:
        ENGINE.receive(once_state, e)
    once = ENGINE.advance(once_state, until)
    assert [e.to_json() for e in stepped] == [e.to_json() for e in once]


@settings(max_examples=50, deadline=None)
@given(st.lists(ticket_story(), min_size=2, max_size=4), st.randoms(use_true_random=False))
def test_interleaving_tickets_and_duplicates_changes_nothing(stories, rnd) -> None:
    renamed = [[e.model_copy(update={"subject": f"T-{n}", "id": f"{n}-{e.id}"}) for e in story]
               for n, story in enumerate(stories)]
    for story in renamed:  # dispute rulings must name the renamed dispute
        for i, e in enumerate(story):
            if e.type == "dispute.ruled":
                data = e.data.model_copy(update={"dispute_id": f"{e.subject[2:]}-"
                                                 + e.data.dispute_id})
                story[i] = e.model_copy(update={"data": data})
    flat = [e for story in renamed for e in story]
    until = max(e.time for e in flat) + timedelta(days=5)
    mixed = flat + rnd.sample(flat, k=min(3, len(flat)))
    rnd.shuffle(mixed)
    assert _outputs(mixed, until) == _outputs(flat, until)
