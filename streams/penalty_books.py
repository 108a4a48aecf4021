"""Department books in the ``penalty-state`` table: a small head row, history in chunks.

A book's ``history`` (per repeat rule, every penalty inside the rule's window: 30 days
in the shipped config) grows with the department's breaches. Replaying three simulated
days of the default traffic gave the busiest department 474 entries, 34 KB of JSON: about
340 KB over 30 days, and Kafka's default 1 MB message limit at three times that traffic.
Kept inside the book's row, it was re-parsed and rewritten whole on every drain that
touched the department, and a large enough department would have stopped the worker (a
changelog record over the limit).

Here a book is stored as

- ``book|<dept>``: the book without its history, its partition, and per rule the
  sequence numbers ``[first, next)`` of the history entries;
- ``hist|<dept>|<rule>|<chunk>``: entries of sequence ``chunk * C`` to ``chunk * C + C - 1``
  still in the history (``{"start": <sequence>, "items": [[time, id], ...]}``), with
  ``C`` = :data:`HISTORY_CHUNK`.

The domain only appends history entries on the right and prunes on the left, so a save
rewrites the chunks that gained entries and deletes the chunks wholly pruned. Write order
keeps a crash harmless: chunk contents first (a reader of the old head ignores sequences
at or past its ``next``), then the head, then the deletions (rows below the head's
``first`` are never read).

Loaded books stay in memory while their partition is owned (the department stage is
their only writer), so a drain no longer decodes a whole history either;
:meth:`BookStore.forget` drops them when partitions are revoked or a drain fails.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import orjson

from sla.codec import decode_book, decode_history, encode_book, encode_history
from sla.penalties import PenaltyBook, PenaltyRecord
from streams.interfaces import KeyValueStore

__all__ = ["HISTORY_CHUNK", "BookStore"]

#: History entries per row: about 75 bytes each, so a row stays near 8 KB.
HISTORY_CHUNK = 100

Records = Callable[[str], MutableMapping[str, list[PenaltyRecord]]]


@dataclass
class _Stored:
    """What the table holds of one rule's history: sequences ``[first, next)``."""

    first: int = 0
    next: int = 0
    seq_of: dict[str, int] = field(default_factory=dict)  # penalty id -> sequence

    def chunks(self) -> range:
        if self.next <= self.first:
            return range(0)
        return range(self.first // HISTORY_CHUNK, (self.next - 1) // HISTORY_CHUNK + 1)


@dataclass
class _Cached:
    book: PenaltyBook
    partition: int
    stored: dict[str, _Stored]


class BookStore:
    """Loads and saves department books of the department stage (see module doc)."""

    def __init__(self, state: KeyValueStore, records: Records) -> None:
        self.state, self.records = state, records
        self.cached: dict[str, _Cached] = {}

    def load(self, department: str, partition: int) -> PenaltyBook:
        cached = self.cached.get(department)
        if cached is not None:
            return cached.book
        value = self.state.get(f"book|{department}".encode())
        book, stored = PenaltyBook(department, by_ticket=self.records(department)), {}
        if value is not None:
            data = orjson.loads(value)
            book = decode_book(data["book"], by_ticket=book.by_ticket)
            for rule, (first, next_) in data["history"].items():
                items = self._read(department, rule, first, next_)
                book.history[rule] = deque(items)
                stored[rule] = _Stored(first, next_, _sequences(items, first))
        self.cached[department] = _Cached(book, partition, stored)
        return book

    def save(self, book: PenaltyBook, partition: int) -> None:
        """Write what changed since the book was loaded or last saved."""
        cached = self.cached[book.department]
        heads: dict[str, list[int]] = {}
        stale: list[bytes] = []
        for rule, entries in book.history.items():
            old = cached.stored.get(rule, _Stored())
            new = _renumber(old, entries)
            self._write_chunks(book.department, rule, list(entries), old, new)
            stale += [self._key(book.department, rule, c) for c in old.chunks()
                      if c not in new.chunks()]
            cached.stored[rule], heads[rule] = new, [new.first, new.next]
        head = {"book": encode_book(replace(book, history={})), "partition": partition,
                "history": heads}
        self.state[f"book|{book.department}".encode()] = orjson.dumps(head)
        for key in stale:
            del self.state[key]

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        """Drop cached books (of ``partitions``, or all): the table is read again."""
        if partitions is None:
            self.cached.clear()
            return
        gone = set(partitions)
        for department in [d for d, c in self.cached.items() if c.partition in gone]:
            del self.cached[department]

    # -- rows --------------------------------------------------------------------------

    @staticmethod
    def _key(department: str, rule: str, chunk: int) -> bytes:
        return f"hist|{department}|{rule}|{chunk}".encode()

    def _read(self, department: str, rule: str, first: int,
              next_: int) -> list[tuple[datetime, str]]:
        items: list[tuple[datetime, str]] = []
        for chunk in _Stored(first, next_).chunks():
            row = orjson.loads(self.state.get(self._key(department, rule, chunk)) or b"null")
            if row is None:
                raise LookupError(f"history row {chunk} of {department}/{rule} is missing")
            start = row["start"]
            items += [item for k, item in enumerate(decode_history(row["items"]))
                      if first <= start + k < next_]
        return items

    def _write_chunks(self, department: str, rule: str, entries: list[tuple[datetime, str]],
                      old: _Stored, new: _Stored) -> None:
        """Rewrite every chunk holding an entry added since ``old`` was stored."""
        added_from = max(old.next, new.first)
        if new.next <= added_from:
            return
        for chunk in range(added_from // HISTORY_CHUNK, (new.next - 1) // HISTORY_CHUNK + 1):
            start = max(chunk * HISTORY_CHUNK, new.first)
            end = min((chunk + 1) * HISTORY_CHUNK, new.next)
            items = encode_history(entries[start - new.first:end - new.first])
            self.state[self._key(department, rule, chunk)] = orjson.dumps(
                {"start": start, "items": items})


def _sequences(items: Iterable[tuple[datetime, str]], first: int) -> dict[str, int]:
    seq_of: dict[str, int] = {}
    for k, (_, penalty_id) in enumerate(items):
        seq_of.setdefault(penalty_id, first + k)
    return seq_of


def _renumber(old: _Stored, entries: deque[tuple[datetime, str]]) -> _Stored:
    """Sequences of ``entries`` after the domain appended and pruned since ``old``.

    Entries still there from ``old`` keep their sequences; new ones follow ``old.next``.
    """
    if not entries:
        return _Stored(old.next, old.next)
    first = old.seq_of.get(entries[0][1])
    if first is None:  # every stored entry was pruned: the history is all new
        first = old.next
    return _Stored(first, first + len(entries), _sequences(entries, first))
