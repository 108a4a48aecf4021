"""The deadline index fires what is due, once, and forgets what moved or left."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.deadlines import DeadlineIndex

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_pops_only_what_is_due_in_that_partition() -> None:
    index = DeadlineIndex()
    index.set(0, "a", at(10))
    index.set(0, "b", at(20))
    index.set(1, "c", at(5))
    assert index.pop_due(0, at(15)) == ["a"]
    assert index.pop_due(0, at(15)) == []
    assert index.pop_due(1, at(15)) == ["c"]
    assert len(index) == 1


def test_rescheduled_ticket_fires_at_its_new_time_only() -> None:
    index = DeadlineIndex()
    index.set(0, "a", at(10))
    index.set(0, "a", at(30))
    assert index.pop_due(0, at(20)) == []
    assert index.next_due(0) == at(30).timestamp()
    assert index.pop_due(0, at(30)) == ["a"]


def test_cleared_and_revoked_tickets_never_fire() -> None:
    index = DeadlineIndex()
    index.set(0, "a", at(10))
    index.set(0, "a", None)
    index.set(2, "b", at(10))
    index.drop_partition(2)
    assert index.pop_due(0, at(99)) == [] and index.pop_due(2, at(99)) == []
    assert len(index) == 0


def test_due_partitions() -> None:
    index = DeadlineIndex()
    index.set(0, "a", at(10))
    index.set(3, "b", at(50))
    assert index.due_partitions(at(20), [0, 1, 2, 3]) == [0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 30),
                          st.one_of(st.none(), st.integers(0, 100))), max_size=60),
       st.integers(0, 100))
def test_matches_a_plain_dict_model(ops, now) -> None:
    index, model = DeadlineIndex(), {}
    for partition, ticket, when in ops:
        name = f"t{ticket}"
        index.set(partition, name, None if when is None else at(when))
        model.pop(name, None)
        if when is not None:
            model[name] = (partition, when)
    for partition in range(4):
        expected = sorted(t for t, (p, w) in model.items() if p == partition and w <= now)
        assert sorted(index.pop_due(partition, at(now))) == expected


def test_a_tick_costs_what_is_due_not_what_is_open() -> None:
    """Behavioural proxy for cost: popping touches only due heap entries."""
    index = DeadlineIndex()
    rng = random.Random(1)
    for n in range(50_000):
        index.set(0, f"t{n}", at(1000 + rng.random() * 1000))
    index.set(0, "soon", at(1))
    heap = index._heaps[0]
    before = len(heap)
    assert index.pop_due(0, at(2)) == ["soon"]
    assert before - len(heap) == 1


def test_a_bulk_load_is_the_same_index_as_one_set_per_ticket() -> None:
    """A rebuild loads a partition's wake-ups at once (one heapify); what fires, and when,
    is what one ``set_stamp`` per ticket gives, also after later reschedules."""
    rng = random.Random(7)
    entries = [(at(rng.uniform(0, 1000)).timestamp(), f"T-{n}") for n in range(500)]
    loaded, one_by_one = DeadlineIndex(), DeadlineIndex()
    loaded.load(2, list(entries))
    for stamp, ticket in entries:
        one_by_one.set_stamp(2, ticket, stamp)
    for index in (loaded, one_by_one):
        index.set(2, "T-3", at(2000))  # rescheduled after the rebuild
    assert len(loaded) == len(one_by_one) == 500
    for limit in (100, 500, 1000, 3000):
        assert loaded.pop_due(2, at(limit)) == one_by_one.pop_due(2, at(limit))
    assert len(loaded) == 0
