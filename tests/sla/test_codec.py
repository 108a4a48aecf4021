"""Engine state survives a round trip through JSON (as in a changelog) mid-life."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings

from sla.codec import (
    decode_book,
    decode_records,
    decode_ticket,
    encode_book,
    encode_records,
    encode_ticket,
)
from sla.config import load_config
from sla.engine import SlaEngine
from sla.replay import replay
from tests.sla.test_order_properties import ticket_story

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))
ENGINE = SlaEngine(CONFIG)


@settings(max_examples=100, deadline=None)
@given(ticket_story())
def test_ticket_encoded_halfway_continues_identically(events: list) -> None:
    until = max(e.time for e in events) + timedelta(days=5)
    half = len(events) // 2
    straight = ENGINE.new_ticket("T-P")
    for e in events:
        ENGINE.receive(straight, e)
    # Stop just before the first event the split run has not received: at one
    # instant events are applied before deadlines, so stopping exactly at that
    # event's time would fire a deadline the straight run never fires.
    mid = events[half].time - timedelta(microseconds=1)
    expected = ENGINE.advance(straight, mid) + ENGINE.advance(straight, until)

    state = ENGINE.new_ticket("T-P")
    for e in events[:half]:
        ENGINE.receive(state, e)
    got = ENGINE.advance(state, mid)
    state = decode_ticket(json.loads(json.dumps(encode_ticket(state))))
    for e in events[half:]:
        ENGINE.receive(state, e)
    got += ENGINE.advance(state, until)
    assert [e.to_json() for e in got] == [e.to_json() for e in expected]
    assert encode_ticket(decode_ticket(encode_ticket(state))) == encode_ticket(state)


def test_penalty_book_round_trips() -> None:
    from sla.testing import acknowledged, complaint

    events = [complaint(f"T-{d}", f"2026-11-{d:02d}T09:00:00+08:00") for d in (2, 9, 16)]
    events += [acknowledged(f"T-{d}", f"2026-11-{d:02d}T09:05:00+08:00") for d in (2, 9, 16)]
    result = replay(events, CONFIG)
    for book in result.books.values():
        encoded = encode_book(book)
        assert encode_book(decode_book(json.loads(json.dumps(encoded)))) == encoded
        for records in book.by_ticket.values():
            as_json = json.loads(json.dumps(encode_records(records)))
            assert decode_records(as_json) == records
    assert any(encode_book(b)["history"] for b in result.books.values())
    assert any(b.by_ticket for b in result.books.values())


def test_a_ticket_stored_before_charges_were_settled_is_not_charged_a_second_time() -> None:
    """A table row written by the engine of before (no open charge, disputes as plain
    department names): that engine charged at attribution, so assigning the ticket now
    settles nothing, and a ruling on its open dispute is still on the record."""
    from datetime import datetime

    from sla.testing import assigned, complaint, disputed, ruled

    state = ENGINE.new_ticket("T-OLD")
    ENGINE.receive(state, complaint("T-OLD", "2026-11-16T09:00:00+08:00"))
    ENGINE.receive(state, disputed("T-OLD", "2026-11-16T09:10:00+08:00", "logistics",
                                   event_id="d-old"))
    ENGINE.advance(state, datetime.fromisoformat("2026-11-16T09:30:00+08:00"))
    row = encode_ticket(state)
    del row["charge"], row["charged"], row["revision"]
    row["disputes"] = {"d-old": "logistics"}
    old = decode_ticket(json.loads(json.dumps(row)))
    assert (old.charge, old.charged, old.disputes) == (None, ["logistics"],
                                                       {"d-old": ("logistics", None)})
    ENGINE.receive(old, assigned("T-OLD", "2026-11-16T09:40:00+08:00", "logistics", "emp-1"))
    ENGINE.receive(old, ruled("T-OLD", "2026-11-16T09:50:00+08:00", "d-old", "rejected"))
    out = ENGINE.advance(old, datetime.fromisoformat("2026-11-16T09:55:00+08:00"))
    snapshots = [e.data.revision for e in out if e.type == "sla.clocks_changed"]
    assert snapshots == [1, 2]  # an old row has no revision: its snapshots count from 1
    out = [e for e in out if e.type != "sla.clocks_changed"]
    assert [e.type for e in out] == ["sla.dispute_ruled"]
    assert out[0].data.filed_at is None


def test_ticket_fields_are_encode_tickets_keys_in_its_order() -> None:
    from sla.codec import ticket_fields
    from sla.testing import complaint

    state = ENGINE.new_ticket("T-F")
    ENGINE.receive(state, complaint("T-F", "2026-11-16T09:00:00+08:00"))
    assert list(ticket_fields(state)) == list(encode_ticket(state))
