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
