"""A stored ticket (table value) keeps its state and its outbox of sent outputs exactly."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given, settings

from sla.codec import encode_ticket
from sla.config import load_config
from sla.engine import SlaEngine
from sla.notifications import notifications_for
from sla.testing import complaint
from streams.ticket_store import (
    StoredTicket,
    _state_json,
    decode_due,
    decode_prefix,
    decode_stored,
    due_record,
    due_record_of_value,
    dumps,
    encode_saved,
    encode_stored,
)
from tests.sla.test_order_properties import ticket_story

ENGINE = SlaEngine(load_config(Path(__file__).parents[1] / "sla" / "stories.yaml"))


def ticket_with_outbox() -> StoredTicket:
    """T-7 complained about on Friday 17:00 with a subject full of awkward characters,
    advanced past its warnings so the outbox holds real outputs of two causes."""
    stored = StoredTicket(3, ENGINE.new_ticket("T-7"))
    event = complaint("T-7", "2026-11-27T17:00:00+08:00",
                      summary='line one\nline two | "quoted" 投诉 \\ end')
    ENGINE.receive(stored.state, event)
    first = ENGINE.advance(stored.state, event.time)
    stored.remember((0, 41), [e.to_json() for e in first], committed={})
    later = ENGINE.advance(stored.state, event.time + timedelta(days=10))
    later += [n for e in later for n in notifications_for(e)]
    stored.remember((2, 7), [e.to_json() for e in later], committed={})
    return stored


def test_state_and_outbox_survive_the_round_trip() -> None:
    stored = ticket_with_outbox()
    assert sum(len(outs) for _, outs in stored.outbox) >= 2  # the story produced outputs
    again = decode_stored(encode_stored(stored))
    assert again.partition == 3
    assert again.outbox == stored.outbox
    assert encode_ticket(again.state) == encode_ticket(stored.state)
    assert encode_stored(again) == encode_stored(stored)


def test_prefix_tells_partition_wakeup_and_causes_without_the_json() -> None:
    stored = ticket_with_outbox()
    prefix = decode_prefix(encode_stored(stored))
    wakeup = stored.state.next_wakeup()
    assert prefix.partition == 3
    assert prefix.causes == ((0, 41), (2, 7))
    assert prefix.wakeup == (None if wakeup is None else wakeup.timestamp())


def test_an_empty_outbox_stores_the_state_and_its_pending_events_alone() -> None:
    stored = StoredTicket(0, ENGINE.new_ticket("T-8"))
    event = complaint("T-8", datetime.fromisoformat("2026-11-27T17:00:00+08:00"))
    ENGINE.receive(stored.state, event)
    value = encode_stored(stored)
    state, line = value.split(b"|", 3)[3].split(b"\n")
    assert b'"pending":1' in state and line == event.to_json().encode()
    again = decode_stored(value)
    assert again.outbox == [] and again.state.pending == [event]


def test_rows_of_the_earlier_layout_decode_to_the_same_ticket() -> None:
    """Before pending events became lines, the state's JSON held them as a list of JSON
    strings, and text beyond ASCII was escaped (``json.dumps``): such rows, still in
    changelogs, decode to the same ticket and outbox."""
    stored = ticket_with_outbox()
    ENGINE.receive(stored.state, complaint("T-7", "2026-12-30T09:00:00+08:00",
                                           summary="再次投诉"))
    assert stored.state.pending
    data = encode_ticket(stored.state)
    head, _ = encode_stored(stored).split(b"|{", 1)
    outputs = "".join(f"\n{out}" for _, outs in stored.outbox for out in outs)
    earlier = head + b"|" + json.dumps(data, separators=(",", ":")).encode() + outputs.encode()
    assert b"\\u" in earlier  # escaped, as json.dumps wrote it
    again = decode_stored(earlier)
    assert encode_ticket(again.state) == data and again.outbox == stored.outbox
    assert encode_stored(again) == encode_stored(stored)
    assert due_record_of_value(earlier) == due_record_of_value(encode_stored(stored))



def _open_ticket() -> StoredTicket:
    """T-8 complained about, attributed, not yet due: open clocks and a wake-up."""
    stored = StoredTicket(1, ENGINE.new_ticket("T-8"))
    event = complaint("T-8", "2026-11-27T09:00:00+08:00")
    ENGINE.receive(stored.state, event)
    outputs = ENGINE.advance(stored.state, event.time)
    stored.remember((1, 12), [e.to_json() for e in outputs], committed={})
    return stored


def test_the_due_record_tells_wakeup_latest_causes_and_open_clocks() -> None:
    stored = _open_ticket()
    pairs = [(c.department, c.metric) for c in stored.state.clocks]
    assert pairs  # the story has open clocks
    due = decode_due(due_record(stored, pairs))
    assert due.wakeup == stored.state.next_wakeup().timestamp()  # type: ignore[union-attr]
    assert due.latest_causes == (-1, 12, -1, -1)
    assert due.pairs == tuple(pairs)
    assert decode_due(due_record(ticket_with_outbox(), [])).latest_causes == (41, -1, 7, -1)


def test_a_row_from_the_changelog_derives_the_same_due_record() -> None:
    """The column a restart reads must not depend on how the row reached the store."""
    for stored in (_open_ticket(), ticket_with_outbox()):
        pairs = [(c.department, c.metric) for c in stored.state.clocks]
        assert due_record_of_value(encode_stored(stored)) == due_record(stored, pairs)


def test_a_ticket_with_nothing_to_wait_for_has_no_wakeup_in_its_record() -> None:
    stored = StoredTicket(0, ENGINE.new_ticket("T-9"))
    due = decode_due(due_record(stored, []))
    assert (due.wakeup, due.latest_causes, due.pairs) == (None, (-1, -1, -1, -1), ())
    assert due_record_of_value(encode_stored(stored)) == due_record(stored, [])


def test_what_orjson_refuses_is_written_by_json() -> None:
    for data in ({"big": 2**70}, {1: "int key"}, {"lone": "\ud800"}):
        assert json.loads(dumps(data)) == json.loads(json.dumps(data))
    written = dumps({"region": "华北", "x": [0.8, None]})
    assert written == '{"region":"华北","x":[0.8,null]}'.encode()


@settings(max_examples=60, deadline=None)
@given(ticket_story())
def test_the_state_is_written_as_encode_ticket_gives_it(events: list) -> None:
    """A row's state is orjson's of the fields as they are (datetimes, clocks, sets):
    the same bytes as the JSON of :func:`encode_ticket`, at every step of a story."""
    state = ENGINE.new_ticket("T-P")
    for step, event in enumerate(events):
        ENGINE.receive(state, event)
        if step % 2:
            ENGINE.advance(state, event.time)
        data = encode_ticket(state)
        data["pending"] = len(state.pending)
        assert _state_json(state, len(state.pending)) == dumps(data)
        assert json.loads(dumps(data)) == {**json.loads(json.dumps(encode_ticket(state))),
                                           "pending": len(state.pending)}


def test_a_state_orjson_refuses_is_written_by_json_as_before() -> None:
    stored = ticket_with_outbox()
    stored.state.stints["huge"] = 2**70  # beyond 64 bits: orjson refuses the whole state
    data = encode_ticket(stored.state)
    data["pending"] = len(stored.state.pending)
    assert _state_json(stored.state, len(stored.state.pending)) == dumps(data)
    assert decode_stored(encode_stored(stored)).state.stints["huge"] == 2**70


def test_a_save_writes_the_row_and_due_record_of_the_single_functions() -> None:
    for stored in (_open_ticket(), ticket_with_outbox(), StoredTicket(0, ENGINE.new_ticket("T-9"))):
        pairs = [(c.department, c.metric) for c in stored.state.clocks]
        wakeup = stored.state.next_wakeup()
        row, record, stamp = encode_saved(stored, pairs)
        assert (row, record) == (encode_stored(stored), due_record(stored, pairs))
        assert stamp == (None if wakeup is None else wakeup.timestamp())
