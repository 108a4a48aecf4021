"""Caller blocks and the QA queue in the ledger: the IVR's lookup answers right after a
block and right after its expiry, recording is idempotent and order-proof, the schema
matches its migration."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from ledger import Ledger
from ledger.calls import active_blocks, block_of
from ledger.tables import QaItem
from models.calls import QaReviewed
from sla.calls_replay import replay_calls
from tests.sla.test_calls_stories import SPEC, T0, _permanent, call


def _replayed(until):
    burst = [call(i, T0 + timedelta(minutes=i), caller="c-9") for i in range(3)]
    return replay_calls([*burst, *_permanent()], SPEC, until=until).outputs


def test_the_ivr_lookup_right_after_a_block_and_right_after_its_expiry(ledger: Ledger) -> None:
    blocked_at = T0 + timedelta(minutes=2)
    until = blocked_at + timedelta(days=1)
    assert block_of(ledger.engine, "c-9", blocked_at) is None
    ledger.record_calls(_replayed(blocked_at))
    found = block_of(ledger.engine, "c-9", blocked_at)
    assert found is not None and (found["until"], found["by"]) == (until, "rule:burst")
    # the expiry is not recorded yet: the lookup compares until with now
    assert block_of(ledger.engine, "c-9", until - timedelta(seconds=1)) is not None
    assert block_of(ledger.engine, "c-9", until) is None
    ledger.record_calls(_replayed(until + timedelta(days=1)))
    assert block_of(ledger.engine, "c-9", blocked_at) is None  # the row is gone
    permanent = block_of(ledger.engine, "c-1", T0 + timedelta(days=400))
    assert permanent is not None and permanent["until"] is None
    # the expiry recorded, only the permanent block is listed
    assert [r.caller for r in active_blocks(ledger.engine, T0 + timedelta(hours=3))] == ["c-1"]


def test_recording_in_any_order_and_twice_gives_the_same_blocks(ledger: Ledger,
                                                              backend) -> None:
    outputs = _replayed(T0 + timedelta(days=5))
    assert ledger.record_calls(outputs) == len(
        [e for e in outputs if e.type in ("caller.blocked", "caller.unblocked")])
    assert ledger.record_calls(outputs) == 0
    other = backend.fresh_ledger()
    shuffled = outputs[:]
    random.Random(3).shuffle(shuffled)
    for event in shuffled:  # one at a time: an unblock may come before its block
        other.record_calls([event])
    now = T0 + timedelta(days=5)
    assert [dict(r._mapping) for r in active_blocks(other.engine, now)] == [
        dict(r._mapping) for r in active_blocks(ledger.engine, now)]
    assert block_of(other.engine, "c-9", now) is None


def test_a_qa_verdict_joins_its_item_whichever_comes_first(ledger: Ledger) -> None:
    item = next(e for e in replay_calls(
        [call(i, T0 + timedelta(hours=i), "resolved", caller=f"c-{i}") for i in range(3)],
        SPEC, until=T0 + timedelta(days=7)).outputs if e.type == "qa.item_opened")
    verdict = QaReviewed(id="qa-v1", source="api", time=T0 + timedelta(days=8),
                         subject=item.subject, data={"qa_id": item.data.qa_id,
                                                     "inspector": "qa-1",
                                                     "verdict": "non_compliant"})
    ledger.record_calls([verdict])
    ledger.record_calls([item])
    with ledger.engine.connect() as conn:
        row = conn.execute(select(QaItem)).one()
    assert (row.agent, row.selected_by, row.verdict) == ("a-1", "sample", "non_compliant")


# -- call records and block requests (0010) ---------------------------------------------


def test_a_call_is_recorded_once_with_what_the_report_needs(ledger: Ledger) -> None:
    from ledger.tables import CallRecord

    first = call(1, T0, "resolved", ended_by="customer", warned=False)
    again = first.model_copy(update={"id": "redelivered"})  # same call id, new event id
    assert ledger.record_calls([first]) == 1
    assert ledger.record_calls([first, again]) == 0
    with ledger.engine.connect() as conn:
        row = conn.execute(select(CallRecord)).one()
    assert (row.call_id, row.caller, row.agent, row.team, row.ended_at, row.started_at,
            row.duration_seconds, row.ended_by, row.disposition, row.warned, row.csat,
            row.ticket_id) == ("call-c-1-1", "c-1", "a-1", "east", T0,
                               T0 - timedelta(minutes=4), 240, "customer", "resolved",
                               False, None, None)


def _four_eyes(decider: str = "lead-2"):
    from tests.sla.test_calls_stories import decide, request

    burst = [call(i, T0 + timedelta(minutes=i), "abusive") for i in range(1)]
    asked = request(1, T0 + timedelta(minutes=5), ["call-c-1-0"])
    decided = decide(1, T0 + timedelta(minutes=9), asked.id, by=decider)
    outputs = replay_calls([*burst, asked, decided], SPEC, until=T0 + HOUR).outputs
    return burst, asked, decided, outputs


HOUR = timedelta(hours=1)


def test_a_request_and_its_approval_in_any_order(ledger: Ledger, backend) -> None:
    from ledger.call_records import find_request

    burst, asked, decided, outputs = _four_eyes()
    events = [*burst, asked, decided, *outputs]
    ledger.record_calls(events)
    for event in reversed(events):
        ledger.record_calls([event])  # again, one at a time, backwards: nothing changes
    other = backend.fresh_ledger()
    for event in reversed(events):
        other.record_calls([event])
    for engine in (ledger.engine, other.engine):
        found = find_request(engine, asked.id)
        assert found is not None
        assert (found.caller, found.period, found.evidence, found.requested_by, found.status,
                found.decided_by) == ("c-1", "week", ("call-c-1-0",), "lead-1", "approved",
                                      "lead-2")


def test_a_refused_self_approval_leaves_the_request_pending_in_any_order(
        ledger: Ledger, backend) -> None:
    from ledger.call_records import find_request

    burst, asked, decided, outputs = _four_eyes(decider="lead-1")
    assert [e.data.why for e in outputs if e.type == "block.refused"] == ["self_approval"]
    ledger.record_calls([*burst, asked, decided, *outputs])
    other = backend.fresh_ledger()
    for event in [*outputs, decided, asked]:  # the refusal first
        other.record_calls([event])
    third = backend.fresh_ledger()
    for event in [asked, decided, *outputs]:  # the decision first, then its refusal
        third.record_calls([event])
    for engine in (ledger.engine, other.engine, third.engine):
        found = find_request(engine, asked.id)
        assert found is not None and (found.status, found.decided_by) == ("pending", None)


def test_a_refused_request_stays_refused(ledger: Ledger) -> None:
    from ledger.call_records import find_request
    from tests.sla.test_calls_stories import request

    asked = request(2, T0, ["call-never-made"])
    outputs = replay_calls([asked], SPEC, until=T0 + HOUR).outputs
    ledger.record_calls([*outputs, asked])
    found = find_request(ledger.engine, asked.id)
    assert found is not None and found.status == "refused"
    assert "call-never-made" in (found.refusal or "")
    assert find_request(ledger.engine, "no-such-request") is None


def test_the_leads_list_pages_and_filters(ledger: Ledger) -> None:
    from ledger.calls import BlockFilter

    events = []
    for n in range(5):
        events += [call(n * 10 + i, T0 + timedelta(minutes=n * 10 + i), caller=f"c-{n}")
                   for i in range(3)]
    ledger.record_calls(replay_calls(events, SPEC, until=T0 + HOUR).outputs)
    now = T0 + HOUR
    everything = [r.caller for r in active_blocks(ledger.engine, now)]
    assert everything == ["c-4", "c-3", "c-2", "c-1", "c-0"]
    first = active_blocks(ledger.engine, now, limit=2)
    rest = active_blocks(ledger.engine, now, limit=10,
                         after=(first[-1].blocked_at, first[-1].caller))
    assert [r.caller for r in [*first, *rest]] == everything
    assert [r.caller for r in active_blocks(ledger.engine, now,
                                            where=BlockFilter(caller="c-2"))] == ["c-2"]
    assert active_blocks(ledger.engine, now, where=BlockFilter(by="people")) == []
    assert len(active_blocks(ledger.engine, now, where=BlockFilter(by="rule", period="day"))) == 5
    assert active_blocks(ledger.engine, T0 + timedelta(days=2)) == []
