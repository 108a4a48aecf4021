"""Decoded tickets kept between messages, so a ticket is decoded once, not on every load.

The ticket stage is the only writer of its partitions' ``tickets`` rows (a partition has
one owner at a time), so the :class:`~streams.ticket_store.StoredTicket` it last saved is
exactly what the row holds: the next message of that ticket can take the object instead
of decoding the row again (a JSON document, pending events validated by pydantic; on the
throughput bench's backlog a ticket is loaded about twice per inbound event).

What keeps it equal to the store:

- an object enters the cache when it is loaded and stays the one the stage mutates and
  saves; the store is written with its bytes on every save;
- when the engine or a save fails, the object may be mutated half way while the store
  kept the last good bytes: the stage evicts it (:meth:`TicketCache.evict`), and the next
  load decodes the row;
- a partition's rows change under the stage only when the partition changes hands (the
  table restored from the changelog): the stage drops the partition's entries on revoke
  and before every rebuild (:meth:`TicketCache.drop_partitions`).

Bounded: at most ``size`` tickets, least recently used evicted first (an open ticket
costs about 6 KiB of Python objects; 0 turns the cache off).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from streams.ticket_store import StoredTicket

__all__ = ["DEFAULT_TICKET_CACHE", "TicketCache"]

#: Tickets kept decoded per worker by default: about 60 MiB at 6 KiB each (an open ticket
#: with its outbox, measured on the throughput bench's backlog). An event usually comes
#: back to its ticket within seconds (its deadline check, the next tick or checkpoint).
DEFAULT_TICKET_CACHE = 10_000  # SLA_TICKET_CACHE (sla_police.settings)


class TicketCache:
    """Decoded tickets by id, least recently used first out, at most ``size``."""

    def __init__(self, size: int = DEFAULT_TICKET_CACHE) -> None:
        self.size = size
        self.entries: OrderedDict[str, StoredTicket] = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, ticket: object) -> bool:
        return ticket in self.entries

    def get(self, ticket: str) -> StoredTicket | None:
        """The cached ticket (now the most recently used), or None."""
        stored = self.entries.get(ticket)
        if stored is None:
            self.misses += 1
            return None
        self.hits += 1
        self.entries.move_to_end(ticket)
        return stored

    def put(self, ticket: str, stored: StoredTicket) -> None:
        """Keep ``stored`` as ``ticket``'s decoded row; evict the least recently used."""
        if self.size <= 0:
            return
        self.entries[ticket] = stored
        self.entries.move_to_end(ticket)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def evict(self, ticket: str) -> None:
        """Forget ``ticket`` (its object may differ from its row: a failure mid-way)."""
        self.entries.pop(ticket, None)

    def drop_partitions(self, partitions: Iterable[int]) -> None:
        """Forget every ticket of ``partitions`` (they changed hands, or are rebuilt)."""
        gone = set(partitions)
        if gone:
            for ticket in [t for t, s in self.entries.items() if s.partition in gone]:
                del self.entries[ticket]
