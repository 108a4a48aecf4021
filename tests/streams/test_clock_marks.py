"""Clock marks as of the committed offset (:mod:`streams.clock_marks`), on fakes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streams.clock_marks import KEPT_ENTRIES, ClockMarks, decode_marks, encode_marks, mark_before
from streams.fakes import DictStore, SettableCommitted

KEY, TOPIC = b"complaints|0", "complaints"


def marks() -> tuple[ClockMarks, DictStore, SettableCommitted]:
    store, commits = DictStore(lambda _key, _value: 0), SettableCommitted()
    return ClockMarks(store, commits), store, commits


def at(hour: int) -> str:
    return f"2025-03-03T{hour:02d}:00:00+08:00"


def test_a_row_lists_each_mark_with_the_offset_that_applied_it() -> None:
    clock, store, _ = marks()
    clock.advance(KEY, at(9), TOPIC, 0, 4)
    clock.advance(KEY, at(10), TOPIC, 0, 9)
    assert decode_marks(store.data[KEY]) == [(4, at(9)), (9, at(10))]
    assert store.data[KEY] == encode_marks([(4, at(9)), (9, at(10))])


def test_an_older_versions_row_is_a_mark_a_commit_covered() -> None:
    assert decode_marks(at(9).encode()) == [(-1, at(9))]
    clock, _, _ = marks()
    assert clock.restore(KEY, at(9).encode(), 0) == at(9)


def test_a_known_commit_keeps_only_the_newest_mark_it_covers() -> None:
    clock, store, commits = marks()
    for offset, hour in ((1, 8), (3, 9), (5, 10)):
        clock.advance(KEY, at(hour), TOPIC, 0, offset)
    commits.offsets[(TOPIC, 0)] = 4  # offsets 0-3 committed
    clock.advance(KEY, at(11), TOPIC, 0, 7)
    assert decode_marks(store.data[KEY]) == [(3, at(9)), (5, at(10)), (7, at(11))]


def test_a_restore_takes_the_mark_at_the_committed_offset_and_forgets_later_ones() -> None:
    clock, store, _ = marks()
    for offset, hour in ((1, 8), (3, 9), (5, 10)):
        clock.advance(KEY, at(hour), TOPIC, 0, offset)
    row = store.data[KEY]
    assert clock.restore(KEY, row, 4) == at(9)  # offset 5 is read again
    assert clock.restore(KEY, row, 6) == at(10)
    assert clock.restore(KEY, row, 1) is None  # nothing before offset 1 moved the clock
    clock.restore(KEY, row, 4)
    clock.advance(KEY, at(10), TOPIC, 0, 5)  # the re-read applies it again
    assert decode_marks(store.data[KEY]) == [(3, at(9)), (5, at(10))]


def test_a_row_keeps_at_most_the_kept_entries_and_never_restores_a_later_mark() -> None:
    clock, store, _ = marks()
    for offset in range(KEPT_ENTRIES + 10):
        clock.advance(KEY, f"{offset:06d}", TOPIC, 0, offset)
    entries = decode_marks(store.data[KEY])
    assert len(entries) == KEPT_ENTRIES and entries[0] == (0, "000000")
    assert clock.restore(KEY, store.data[KEY], 5) == "000000"  # earlier than 000004: safe


def test_forgetting_a_revoked_partitions_keys_drops_what_is_kept() -> None:
    clock, _, _ = marks()
    clock.advance(KEY, at(9), TOPIC, 0, 1)
    clock.forget(k for k in clock.entries if k.endswith(b"|0"))
    assert clock.entries == {}


@given(st.lists(st.tuples(st.integers(1, 3), st.booleans()), max_size=60),
       st.integers(0, 200))
def test_a_restore_is_the_clock_at_the_commit_or_earlier_never_later(
        steps: list[tuple[int, bool]], restart_at: int) -> None:
    """Marks move at increasing offsets; a commit becomes known now and then; a restart
    reads the row at any committed offset the commits known so far allow, or later."""
    clock, store, commits = marks()
    offset, applied = 0, []
    for gap, commit in steps:
        offset += gap
        applied.append((offset, f"{offset:06d}"))
        if commit:
            commits.offsets[(TOPIC, 0)] = offset - 1
        clock.advance(KEY, f"{offset:06d}", TOPIC, 0, offset)
    if not applied:
        return
    committed = max(restart_at, commits.offsets.get((TOPIC, 0), 0))
    truth = mark_before(applied, committed)
    restored = clock.restore(KEY, store.data[KEY], committed)
    if len(applied) <= KEPT_ENTRIES:
        assert restored == (None if truth is None else truth[1])
    else:
        assert restored is None or truth is not None and restored <= truth[1]
