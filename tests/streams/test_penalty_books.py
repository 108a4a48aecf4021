"""Department books keep their repeat history in chunk rows: small writes, exact reloads."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime, timedelta

from sla.codec import encode_book
from sla.penalties import PenaltyBook
from streams.penalty_books import HISTORY_CHUNK, BookStore

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class FakeState:
    """The ``penalty-state`` table as a dict; remembers the keys each step wrote."""

    def __init__(self) -> None:
        self.rows: dict[bytes, bytes] = {}
        self.written: list[bytes] = []

    def get(self, key: bytes) -> bytes | None:
        return self.rows.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.rows[key] = value
        self.written.append(key)

    def __delitem__(self, key: bytes) -> None:
        del self.rows[key]
        self.written.append(key)


def store(state: FakeState) -> BookStore:
    return BookStore(state, lambda department: {})  # type: ignore[arg-type]


def fine(book: PenaltyBook, n: int) -> None:
    """The domain's two moves on a history: append a penalty on the right..."""
    book.history.setdefault("late-resolution", deque()).append(
        (START + timedelta(minutes=n), f"pen-{n:05d}"))


def prune(book: PenaltyBook, count: int) -> None:
    """...and prune the oldest on the left, as the repeat window moves on."""
    for _ in range(count):
        book.history["late-resolution"].popleft()


def saved(count: int) -> tuple[FakeState, BookStore, PenaltyBook]:
    """Logistics' book with ``count`` repeat-rule penalties, saved once."""
    state = FakeState()
    books = store(state)
    book = books.load("logistics", 2)
    for n in range(count):
        fine(book, n)
    books.save(book, 2)
    return state, books, book


def reloaded(state: FakeState) -> PenaltyBook:
    return store(state).load("logistics", 2)


def history_rows(state: FakeState) -> list[bytes]:
    return sorted(k for k in state.rows if k.startswith(b"hist|"))


def test_a_busy_department_reloads_exactly_from_its_chunks() -> None:
    """Logistics collects 1,234 repeat-rule penalties: the book reloads identically
    from a fresh store (another worker), and no row holds more than one chunk."""
    state, books, book = saved(1234)
    again = reloaded(state)
    assert again.history == book.history
    assert encode_book(again) == encode_book(book)
    rows = history_rows(state)
    assert len(rows) == -(-1234 // HISTORY_CHUNK)
    assert all(len(json.loads(state.rows[k])["items"]) <= HISTORY_CHUNK for k in rows)
    head = json.loads(state.rows[b"book|logistics"])
    assert head["book"]["history"] == {} and head["partition"] == 2


def test_one_more_penalty_rewrites_one_chunk_and_the_head() -> None:
    state, books, book = saved(1000)
    state.written.clear()
    fine(book, 1000)
    books.save(book, 2)
    assert state.written == [b"hist|logistics|late-resolution|10", b"book|logistics"]
    assert reloaded(state).history == book.history


def test_pruned_chunks_are_deleted_after_the_head_and_the_rest_reloads() -> None:
    state, books, book = saved(450)
    prune(book, 230)  # chunks 0 and 1 wholly pruned, chunk 2 partly
    for n in range(450, 460):
        fine(book, n)
    state.written.clear()
    books.save(book, 2)
    assert state.written == [b"hist|logistics|late-resolution|4", b"book|logistics",
                             b"hist|logistics|late-resolution|0",
                             b"hist|logistics|late-resolution|1"]
    assert history_rows(state) == [b"hist|logistics|late-resolution|%d" % c for c in (2, 3, 4)]
    assert reloaded(state).history == book.history


def test_a_history_pruned_empty_then_refilled_keeps_numbering() -> None:
    state, books, book = saved(150)
    prune(book, 150)
    for n in range(150, 155):
        fine(book, n)  # all old entries gone: the five new ones follow them
    books.save(book, 2)
    assert history_rows(state) == [b"hist|logistics|late-resolution|1"]
    assert reloaded(state).history == book.history


def test_a_crash_before_the_head_write_leaves_the_old_book() -> None:
    """Killed after the chunk rows and before the head: the old head ignores the
    entries beyond its end, so the pending triggers are re-applied to the old book."""
    state, books, book = saved(120)
    before = reloaded(state).history
    head = state.rows[b"book|logistics"]
    fine(book, 120)
    books.save(book, 2)
    state.rows[b"book|logistics"] = head  # the head write never happened
    assert reloaded(state).history == before


def test_forget_drops_only_the_revoked_partitions_books() -> None:
    state = FakeState()
    books = store(state)
    logistics, billing = books.load("logistics", 2), books.load("billing", 3)
    books.forget([2])
    assert books.load("billing", 3) is billing
    assert books.load("logistics", 2) is not logistics


def test_rows_written_by_the_earlier_json_writer_reload_the_same() -> None:
    """Rows were ``json.dumps`` (spaces, text beyond ASCII escaped) before orjson wrote
    them: a worker of today reads a store of yesterday's."""
    state, _, book = saved(HISTORY_CHUNK + 5)
    book.department = "物流"
    earlier = FakeState()
    for key, value in state.rows.items():
        earlier.rows[key.replace(b"logistics", "物流".encode())] = json.dumps(
            json.loads(value.replace(b"logistics", "物流".encode()))).encode()
    assert b"\\u7269" in earlier.rows["book|物流".encode()]

    assert encode_book(store(earlier).load("物流", 2)) == encode_book(book)
