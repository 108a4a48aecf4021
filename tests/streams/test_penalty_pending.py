"""Penalty triggers kept in rows (:mod:`streams.penalty_pending`), on a dict table."""

from __future__ import annotations

from streams.fakes import DictStore
from streams.penalty_pending import ROW_CHARS, PendingTriggers
from streams.penalty_stage import state_partition
from tests.streams.test_penalty_stage import triggers


def many_triggers(count: int) -> list[str]:
    """``count`` distinct triggers (one ticket's attribution under other ids)."""
    first = triggers()[0]
    return [first.model_copy(update={"id": f"trigger-{n}"}).to_json() for n in range(count)]


def test_a_backlogs_batch_of_triggers_is_kept_in_rows_kafka_accepts() -> None:
    """A batch of a thousand trigger packs held megabytes of triggers, all in one row: a
    changelog record Kafka refused (bench_scale's worker stopped on it). Rows now stop at
    ROW_CHARS; a rebuild reads every trigger back, and applying them all deletes the rows."""
    raws = many_triggers(1_000)
    assert sum(len(raw) for raw in raws) > 2 * ROW_CHARS
    state = DictStore(state_partition)
    pending = PendingTriggers(state)
    for offset, raw in enumerate(raws):
        pending.add(0, offset, "logistics", raw)
    pending.keep(0)
    rows = {key: value for key, value in state.data.items() if key.startswith(b"triggers|")}
    assert len(rows) >= 3 and all(len(value) <= ROW_CHARS for value in rows.values())

    rebuilt = PendingTriggers(state)
    for key, value in rows.items():
        rebuilt.load(0, key, value)
    assert sorted(t[1] for t in rebuilt.heaps[0]) == sorted(f"trigger-{n}" for n in range(1_000))
    rebuilt.applied(0, list(rebuilt.pop_released(0, float("inf"))))
    assert not [key for key in state.data if key.startswith(b"triggers|")]
