"""How a ticket is stored in the stream's changelog-backed table.

A value is ``b"<partition>|<next wake-up>|<outbox causes>|<state json>"``
followed by one ``b"\n<event json>"`` per pending event of the state (its
``"pending"`` holds their number), then one ``b"\n<output json>"`` per output
kept in the **outbox**: the outputs of the ticket's recent transitions, each
tagged (in the causes) with the (topic, offset) of the message that caused it
and how many outputs it has. The prefix lets a restarting worker rebuild its
deadline index, and find transitions whose outputs may not have reached Kafka,
without decoding a million JSON documents. Events and outputs are kept as the
JSON lines they were sent as (JSON has no raw newline), not nested in the
state's JSON, where every quote would be escaped and parsed again on each write
and read: that was a tenth of the worker's CPU. Rows written before pending
events became lines hold them as a list of strings in ``"pending"``; they decode
as they did. The state's JSON is orjson's, UTF-8 (:func:`dumps`); older rows
escaped text beyond ASCII (``\\u534e``): both read back the same. orjson writes it
from the state's fields as they are (datetimes, clock dataclasses: the text
:func:`sla.codec.encode_ticket`'s values would give, byte for byte), so a save
builds no dict per clock and calls no ``isoformat`` per time.

Why an outbox: the broker has no transactions, so a SIGKILL can leave the table
write durable while the outputs it caused were never flushed. The redelivered
input is then a duplicate the engine ignores, and its outputs would be lost.
After recovery, entries whose cause offset is not yet committed are re-emitted
(same ids, consumers dedupe); committed ones are pruned as the ticket moves on.

**The due column.** Beside each row the store keeps a small record of what a
restart needs (:func:`due_record`, read back with :func:`decode_due`): the next
wake-up, the highest outbox cause offset per input topic and the open clocks'
``(department, metric)`` pairs. A rebuild reads these 40-odd bytes instead of
the row (about 3 KB, and a JSON decode for every ticket with an open clock): at
a million open tickets that is the difference between about a minute and a
second or two. The record is written with the row, in the same local write, and
never to the changelog; a store filled from the changelog derives it from the
row (:func:`due_record_of_value`), which gives the same bytes.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from models import CloudEvent
from sla.codec import decode_ticket, encode_ticket, ticket_fields
from sla.ticket import TicketState

__all__ = [
    "Cause",
    "Due",
    "Prefix",
    "StoredTicket",
    "DUE_HEAD_SIZE",
    "decode_due",
    "decode_due_pairs",
    "decode_prefix",
    "decode_stored",
    "due_record",
    "due_record_of_value",
    "encode_saved",
    "encode_stored",
    "unpack_due_head",
]

#: (topic index, offset) of the message that caused a transition.
Cause = tuple[int, int]
MAX_OUTBOX = 16


@dataclass(slots=True)
class StoredTicket:
    partition: int
    state: TicketState
    outbox: list[tuple[Cause, list[str]]] = field(default_factory=list)
    #: the JSON of pending events by id, kept from one save to the next (an event can wait
    #: for the clock through several saves of its ticket; its text stays the same)
    texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def event_json(self, event: CloudEvent) -> str:
        """``event.to_json()``, kept for the next save."""
        text = self.texts.get(event.id)
        if text is None:
            text = self.texts[event.id] = event.to_json()
        return text

    def remember(self, cause: Cause, outputs: list[str], committed: dict[int, int]) -> None:
        """Record a transition's outputs; forget entries already committed."""
        if self.outbox:
            self.outbox = [(c, o) for c, o in self.outbox if c[1] >= committed.get(c[0], -1)]
        if outputs:
            self.outbox.append((cause, outputs))
        del self.outbox[:-MAX_OUTBOX]


@dataclass(frozen=True, slots=True)
class Prefix:
    partition: int
    wakeup: float | None
    causes: tuple[Cause, ...]


class _Ask:
    """A wake-up not given: ask the state (``next_wakeup`` is worth computing once)."""


_ASK = _Ask()


def encode_stored(stored: StoredTicket, wakeup: datetime | None | _Ask = _ASK) -> bytes:
    """The row of ``stored``; ``wakeup``, if given, is its state's ``next_wakeup()``."""
    if isinstance(wakeup, _Ask):
        wakeup = stored.state.next_wakeup()
    return _row(stored, None if wakeup is None else wakeup.timestamp())


def encode_saved(stored: StoredTicket,
                 pairs: Iterable[tuple[str, str]]) -> tuple[bytes, bytes, float | None]:
    """What a save writes and indexes: the row (:func:`encode_stored`), the due record
    (:func:`due_record`, ``pairs`` the open clocks) and the wake-up in epoch seconds
    (None: none), its state's ``next_wakeup()`` computed and converted once for all
    three."""
    wakeup = stored.state.next_wakeup()
    stamp = None if wakeup is None else wakeup.timestamp()
    record = _pack(_NO_WAKEUP if stamp is None else stamp,
                   [entry[0] for entry in stored.outbox], pairs)
    return _row(stored, stamp), record, stamp


def _row(stored: StoredTicket, stamp: float | None) -> bytes:
    """:func:`encode_stored` with the wake-up in epoch seconds (None: none)."""
    state = stored.state
    lines = [stored.event_json(e) for e in state.pending]
    pending = len(lines)
    if len(stored.texts) > pending:  # events applied since: forget their text
        stored.texts = {e.id: stored.texts[e.id] for e in state.pending}
    causes = []
    for (topic, offset), outs in stored.outbox:
        causes.append(f"{topic}:{offset}:{len(outs)}")
        lines += outs
    head = f"{stored.partition}|{'' if stamp is None else repr(stamp)}|{','.join(causes)}|"
    row = head.encode() + _state_json(state, pending)
    return row + ("\n" + "\n".join(lines)).encode() if lines else row


def _state_json(state: TicketState, pending: int) -> bytes:
    """:func:`dumps` of ``encode_ticket(state)`` with ``"pending"``, the number of pending
    events: orjson writes the fields as they are (:func:`sla.codec.ticket_fields`; its
    datetimes are ``isoformat()``'s text, RFC 3339 offsets being whole minutes), else,
    where it refuses anything, the values converted first, as before (same bytes)."""
    data = ticket_fields(state)
    data["pending"] = pending
    try:
        data["seen"] = sorted(state.seen)  # here, not through a call of the default
        return orjson.dumps(data, default=_sorted_set)
    except TypeError:
        data = encode_ticket(state, _no_text)
        data["pending"] = pending
        return dumps(data)


_SETS = (set, frozenset)


def _sorted_set(value: Any) -> list[Any]:
    """orjson's ``default``: a set (a clock's pausable reasons) as sorted."""
    if isinstance(value, _SETS):
        return sorted(value)
    raise TypeError(type(value).__name__)


def _no_text(_event: CloudEvent) -> str:
    return ""




def dumps(data: Any) -> bytes:
    """Compact JSON of a state, as ``json.dumps(data, separators=(",", ":"),
    ensure_ascii=False)`` would write it, about twice as fast: orjson's, or json's (text
    beyond ASCII escaped) where orjson refuses (keys that are not strings, integers beyond
    64 bits, lone surrogates).

    Floats are written as the shortest text that reads back equal, as json does; only
    below 1e-4 or from 1e16 up is the notation different (``1e-5`` for ``1e-05``), and
    the only floats of a state are warning fractions of a target."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


def loads(text: bytes | str) -> Any:
    """JSON of a stored state: orjson, or json for what orjson refuses (``NaN``)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def decode_prefix(value: bytes) -> Prefix:
    partition, stamp, causes, _ = value.split(b"|", 3)
    pairs = tuple((cause[0], cause[1]) for cause in _causes(causes))
    return Prefix(int(partition), float(stamp) if stamp else None, pairs)


def decode_stored(value: bytes) -> StoredTicket:
    partition, _stamp, causes, body = value.split(b"|", 3)
    lines = body.decode().split("\n")
    data = loads(lines[0])
    at = 1
    if isinstance(data["pending"], int):  # pending events are the lines after the state
        at += data["pending"]
        data["pending"] = lines[1:at]
    outbox = []
    for topic, offset, count in _causes(causes):
        outbox.append(((topic, offset), lines[at:at + count]))
        at += count
    return StoredTicket(int(partition), decode_ticket(data), outbox)


def _causes(field: bytes) -> list[list[int]]:
    """``t:o:n,...`` (topic index, offset, output count) as lists of integers."""
    return [[int(part) for part in cause.split(b":")] for cause in field.split(b",") if cause]



# -- the due column -----------------------------------------------------------------------

#: wake-up (epoch seconds, NaN for none), then the highest cause offset of topic index
#: 0, 1, 2 and of any other index (-1: no cause), then the clock pairs.
_DUE_HEAD = struct.Struct("<d4q")
_NO_WAKEUP = float("nan")
_PAIR, _FIELD = b"\n", b"\t"


@dataclass(frozen=True, slots=True)
class Due:
    """A decoded due record: what a rebuild reads of one ticket."""

    wakeup: float | None
    #: highest cause offset per topic index 0, 1, 2 and "any other index" (-1: none)
    latest_causes: tuple[int, int, int, int]
    pairs: tuple[tuple[str, str], ...]


def due_record(stored: StoredTicket, pairs: Iterable[tuple[str, str]],
               wakeup: datetime | None | _Ask = _ASK) -> bytes:
    """The due-column record of ``stored`` whose open clocks are ``pairs`` (``wakeup``, if
    given, is its state's ``next_wakeup()``)."""
    if isinstance(wakeup, _Ask):
        wakeup = stored.state.next_wakeup()
    stamp = _NO_WAKEUP if wakeup is None else wakeup.timestamp()
    return _pack(stamp, [entry[0] for entry in stored.outbox], pairs)


def due_record_of_value(value: bytes) -> bytes:
    """The due-column record of a stored row (a store filled from the changelog): the
    same bytes :func:`due_record` gave when the row was written."""
    prefix = decode_prefix(value)
    pairs: list[tuple[str, str]] = []
    if b'"clocks":[]' not in value.split(b"\n", 1)[0]:
        pairs = [(c.department, c.metric) for c in decode_stored(value).state.clocks]
    stamp = _NO_WAKEUP if prefix.wakeup is None else prefix.wakeup
    return _pack(stamp, prefix.causes, pairs)


def _pack(stamp: float, causes: Iterable[Cause], pairs: Iterable[tuple[str, str]]) -> bytes:
    latest = [-1, -1, -1, -1]
    for topic, offset in causes:  # no max() call: this runs on every save
        slot = topic if 0 <= topic <= 2 else 3
        if offset > latest[slot]:
            latest[slot] = offset
    head = _DUE_HEAD.pack(stamp, *latest)
    text = "\n".join([f"{d}\t{m}" for d, m in pairs])  # one encode, not one per pair
    return head + text.encode() if text else head


def decode_due(record: bytes) -> Due:
    """Read a due-column record back (tests and the sweep; a rebuild unpacks in bulk)."""
    stamp, *latest = _DUE_HEAD.unpack_from(record)
    return Due(None if stamp != stamp else stamp, tuple(latest),  # NaN: no wake-up
               decode_due_pairs(record[_DUE_HEAD.size:]))


def decode_due_pairs(text: bytes) -> tuple[tuple[str, str], ...]:
    """The clock pairs part of a due record (``record[DUE_HEAD_SIZE:]``)."""
    if not text:
        return ()
    return tuple(tuple(pair.decode().split("\t", 1)) for pair in text.split(_PAIR))  # type: ignore[misc]


#: Bytes before a due record's clock pairs.
DUE_HEAD_SIZE = _DUE_HEAD.size
#: ``unpack_from`` of a due record's head: (wake-up or NaN, 4 latest cause offsets).
unpack_due_head = _DUE_HEAD.unpack_from
