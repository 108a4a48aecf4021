"""Clock marks a restart can trust: where a stage's clock stood at the committed offset.

A stage's clock (the ticket and calls stages' stream-clock ticks, the QA and penalty
stages' watermarks) moves as the stage processes its input. A restart re-reads the input
from the committed offset, so it must start the clock where it stood *at that offset*:
the ticks before it are not read again, and the ones after it are.

**Why not the latest mark.** The stages' rows are always at least as new as the commit
(every record written before a commit is acknowledged first), but after an unclean stop
they can be older than the latest mark: a worker that stops with records undelivered
(a broker outage) or is killed keeps its local RocksDB rows, and Faust's recovery then
applies the changelog records it finds after the last acknowledged one. Records the
broker appended although their acknowledgement never came overwrite newer local rows,
while a mark whose own record was lost stays at its newest local value. Restored that
way, a ticket lacking an acknowledgement had its deadline fired at a clock its event had
already passed: an ``sla.met`` lost to a breach (``tests/integration/test_stream_outage.py``
after a broker outage; the evidence is in ``streams/NOTES.md``).

**What is kept.** Each mark's row holds the marks it reached, each with the offset of the
input message that applied it, from the newest one a known commit covers on (one entry,
once the commit catches up). :meth:`ClockMarks.restore` takes the newest entry applied
before the committed offset the restart reads from: the clock at that offset exactly.
Entries never exceed :data:`KEPT_ENTRIES`; beyond it the oldest uncovered ones go, and a
restore may then start the clock earlier than it stood, which is safe (rows are already
past it; the ticks after the commit move it on), never later.

The row is ``<offset> <when>`` entries joined with ``;``; an older version's row (a bare
``<when>``) is taken as covered, as it always was.
"""

from __future__ import annotations

from collections.abc import Iterable

from streams.interfaces import CommittedOffsets, KeyValueStore

__all__ = ["KEPT_ENTRIES", "ClockMarks", "decode_marks", "encode_marks", "mark_before"]

#: Entries a mark's row keeps at most (marks reached since the last commit known).
KEPT_ENTRIES = 64

Entry = tuple[int, str]  # (offset of the message that applied the mark, the mark's time)


def encode_marks(entries: list[Entry]) -> bytes:
    """A mark's row: its entries, oldest first."""
    return ";".join(f"{offset} {when}" for offset, when in entries).encode()


def decode_marks(value: bytes) -> list[Entry]:
    """A mark's row as entries; a bare time (an older version's row) is covered (-1)."""
    entries: list[Entry] = []
    for part in value.decode().split(";"):
        offset, space, when = part.partition(" ")
        entries.append((int(offset), when) if space else (-1, offset))
    return entries


def mark_before(entries: list[Entry], committed: int) -> Entry | None:
    """The newest entry applied by a message before offset ``committed`` (None: no mark)."""
    index = _last_before(entries, committed)
    return None if index < 0 else entries[index]


class ClockMarks:
    """The marks of one stage's table: :meth:`advance` writes a mark's row when the mark
    moves, :meth:`restore` reads it back after a (re)assignment."""

    def __init__(self, store: KeyValueStore, commits: CommittedOffsets) -> None:
        self.store, self.commits = store, commits
        self.entries: dict[bytes, list[Entry]] = {}

    def advance(self, key: bytes, when: str, topic: str, partition: int, offset: int) -> None:
        """Mark ``key`` reached ``when`` while the stage processed ``offset`` of
        ``topic``/``partition`` (its input); write its row (inside that message's
        processing: the row goes to the message's partition)."""
        entries = self.entries.setdefault(key, [])
        entries.append((offset, when))
        committed = self.commits.committed(topic, partition)
        if committed is not None:
            covered = _last_before(entries, committed)
            if covered > 0:
                del entries[:covered]
        if len(entries) > KEPT_ENTRIES:  # keep the oldest (covered, or earlier) and the newest
            del entries[1:len(entries) - KEPT_ENTRIES + 1]
        self.store[key] = encode_marks(entries)

    def restore(self, key: bytes, value: bytes, committed: int) -> str | None:
        """The time ``key``'s row says the mark had reached when the input before offset
        ``committed`` had been processed (None: none yet); later entries are forgotten,
        the messages that applied them are read again."""
        entry = mark_before(decode_marks(value), committed)
        self.entries[key] = [] if entry is None else [entry]
        return None if entry is None else entry[1]

    def forget(self, keys: Iterable[bytes]) -> None:
        """Drop what is kept of ``keys`` (their partition was revoked)."""
        for key in list(keys):  # may be a view of the keys kept
            self.entries.pop(key, None)

    def forget_prefixed(self, prefix: bytes) -> None:
        """Drop what is kept of every key starting with ``prefix`` (a revoked partition's
        marks, where their keys name it: ``mark|<partition>|``)."""
        self.forget(key for key in self.entries if key.startswith(prefix))


def _last_before(entries: list[Entry], committed: int) -> int:
    """Index of the newest entry applied before ``committed`` (-1: none)."""
    for index in range(len(entries) - 1, -1, -1):
        if entries[index][0] < committed:
            return index
    return -1
