"""How a ticket is stored in the stream's changelog-backed table.

A value is ``b"<partition>|<next wake-up>|<outbox causes>|<state json>"``
followed by one ``b"\n<output json>"`` per output kept in the **outbox**: the
outputs of the ticket's recent transitions, each tagged (in the causes) with the
(topic, offset) of the message that caused it and how many outputs it has. The
prefix lets a restarting worker rebuild its deadline index, and find transitions
whose outputs may not have reached Kafka, without decoding a million JSON
documents. Outputs are kept as the JSON lines they were sent as (JSON has no raw
newline), not nested in the state's JSON, where every quote would be escaped and
parsed again on each write and read: that was a tenth of the worker's CPU.

Why an outbox: the broker has no transactions, so a SIGKILL can leave the table
write durable while the outputs it caused were never flushed. The redelivered
input is then a duplicate the engine ignores, and its outputs would be lost.
After recovery, entries whose cause offset is not yet committed are re-emitted
(same ids, consumers dedupe); committed ones are pruned as the ticket moves on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sla.codec import decode_ticket, encode_ticket
from sla.ticket import TicketState

__all__ = ["Cause", "Prefix", "StoredTicket", "decode_prefix", "decode_stored", "encode_stored"]

#: (topic index, offset) of the message that caused a transition.
Cause = tuple[int, int]
MAX_OUTBOX = 16


@dataclass(slots=True)
class StoredTicket:
    partition: int
    state: TicketState
    outbox: list[tuple[Cause, list[str]]] = field(default_factory=list)

    def remember(self, cause: Cause, outputs: list[str], committed: dict[int, int]) -> None:
        """Record a transition's outputs; forget entries already committed."""
        self.outbox = [(c, o) for c, o in self.outbox if c[1] >= committed.get(c[0], -1)]
        if outputs:
            self.outbox.append((cause, outputs))
        del self.outbox[:-MAX_OUTBOX]


@dataclass(frozen=True, slots=True)
class Prefix:
    partition: int
    wakeup: float | None
    causes: tuple[Cause, ...]


def encode_stored(stored: StoredTicket) -> bytes:
    wakeup = stored.state.next_wakeup()
    causes = ",".join(f"{t}:{o}:{len(outs)}" for (t, o), outs in stored.outbox)
    body = json.dumps(encode_ticket(stored.state), separators=(",", ":"))
    outputs = "".join(f"\n{out}" for _, outs in stored.outbox for out in outs)
    stamp = "" if wakeup is None else repr(wakeup.timestamp())
    return f"{stored.partition}|{stamp}|{causes}|{body}{outputs}".encode()


def decode_prefix(value: bytes) -> Prefix:
    partition, stamp, causes, _ = value.split(b"|", 3)
    pairs = tuple((cause[0], cause[1]) for cause in _causes(causes))
    return Prefix(int(partition), float(stamp) if stamp else None, pairs)


def decode_stored(value: bytes) -> StoredTicket:
    partition, _stamp, causes, body = value.split(b"|", 3)
    lines = body.decode().split("\n")
    outbox, at = [], 1
    for topic, offset, count in _causes(causes):
        outbox.append(((topic, offset), lines[at:at + count]))
        at += count
    return StoredTicket(int(partition), decode_ticket(json.loads(lines[0])), outbox)


def _causes(field: bytes) -> list[list[int]]:
    """``t:o:n,...`` (topic index, offset, output count) as lists of integers."""
    return [[int(part) for part in cause.split(b":")] for cause in field.split(b",") if cause]

