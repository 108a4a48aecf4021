"""Decoded tickets kept between messages (:mod:`streams.ticket_cache`), alone and in the
ticket stage: a hit reads no row, a failure or a change of hands forgets the object, and
the stage emits and stores the same bytes with the cache as without it."""

from __future__ import annotations

import pytest

from models.topics import COMPLAINTS, TICKET_EVENTS
from sla.engine import SlaEngine
from streams.ticket_cache import TicketCache
from streams.ticket_store import StoredTicket
from tests.streams.test_ticket_stage import (
    ACK,
    COMPLAINT,
    CONFIG,
    NOON,
    Rig,
    expected,
    inbound,
    started,
    tick,
)

NINE_TWO, NINE_TEN = "2025-03-03T09:02:00+08:00", "2025-03-03T09:10:00+08:00"



def ticket(name: str, partition: int = 0) -> StoredTicket:
    return StoredTicket(partition, SlaEngine(CONFIG).new_ticket(name))


def test_the_least_recently_used_ticket_goes_first() -> None:
    cache = TicketCache(2)
    for name in ("T-1", "T-2"):
        cache.put(name, ticket(name))
    assert cache.get("T-1") is not None  # T-2 is now the least recently used
    cache.put("T-3", ticket("T-3"))
    assert list(cache.entries) == ["T-1", "T-3"]
    assert (cache.hits, cache.misses) == (1, 0)
    assert cache.get("T-2") is None and cache.misses == 1


def test_evict_and_drop_partitions_forget_tickets() -> None:
    cache = TicketCache()
    for name, partition in (("T-1", 0), ("T-2", 1), ("T-3", 0)):
        cache.put(name, ticket(name, partition))
    cache.evict("T-2")
    cache.evict("T-9")  # not there: nothing happens
    assert list(cache.entries) == ["T-1", "T-3"]
    cache.put("T-2", ticket("T-2", 1))
    cache.drop_partitions({0})
    assert list(cache.entries) == ["T-2"]


def test_a_size_of_zero_keeps_nothing() -> None:
    cache = TicketCache(0)
    cache.put("T-1", ticket("T-1"))
    assert len(cache) == 0 and cache.get("T-1") is None


async def test_a_ticket_loaded_again_reads_no_row() -> None:
    rig = await started()
    read: list[bytes] = []
    get = rig.tickets.get
    rig.tickets.get = lambda key: read.append(key) or get(key)  # type: ignore[method-assign]
    await rig.feed(inbound(COMPLAINT, 0), inbound(ACK, 0),
                   tick(COMPLAINTS, 1, NINE_TEN), tick(TICKET_EVENTS, 1, NINE_TEN))
    assert read == [b"T-1"]  # the first load only: the ticket was new
    assert rig.sla_ids() == expected([COMPLAINT, ACK], NINE_TEN)


@pytest.mark.parametrize("size", [0, 1, 1000])
async def test_the_stage_emits_and_stores_the_same_bytes_whatever_the_cache(size: int) -> None:
    """Two tickets through their lives, with the cache off, holding one ticket, holding
    both: the outputs, the rows and the due records are the same."""
    other = [e.model_copy(update={"subject": "T-2", "id": e.id + "-2"})
             for e in (COMPLAINT, ACK)]
    messages = [inbound(COMPLAINT, 0), inbound(other[0], 1), inbound(ACK, 0),
                tick(COMPLAINTS, 2, NINE_TEN), inbound(other[1], 1),
                tick(TICKET_EVENTS, 2, NINE_TEN), tick(COMPLAINTS, 3, NOON),
                tick(TICKET_EVENTS, 3, NOON)]
    runs = []
    for cache_size in (0, size):
        rig = Rig(cache_size=cache_size)
        await rig.recovery.rebuild({0}, {})
        await rig.feed(*messages)
        runs.append(([e.to_json() for e in rig.emitter.published], rig.tickets.writes,
                     rig.tickets.column))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) > 4


async def test_an_inbound_event_the_engine_fails_on_is_forgotten_half_applied() -> None:
    """The engine fails on the acknowledgement after changing the ticket: the half-changed
    object is dropped, so the event delivered again is applied to the row as it was
    (the cached object would hold it as seen, and ignore it)."""
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, NINE_TWO),
                   tick(TICKET_EVENTS, 0, NINE_TWO))
    engine_advance = rig.stage.engine.advance

    def failing(state, now):  # changes the ticket, then fails
        engine_advance(state, now)
        raise ValueError("half way")

    rig.stage.engine.advance = failing  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="half way"):
        await rig.feed(inbound(ACK, 1))  # the pipeline dead-letters it
    assert "T-1" not in rig.stage.cache
    rig.stage.engine.advance = engine_advance  # type: ignore[method-assign]
    await rig.feed(inbound(ACK, 1), tick(COMPLAINTS, 2, NINE_TEN),
                   tick(TICKET_EVENTS, 2, NINE_TEN))
    assert rig.sla_ids() == expected([COMPLAINT, ACK], NINE_TEN)


async def test_a_deadline_the_engine_fails_on_forgets_the_ticket() -> None:
    rig = await started()
    rig.stage.engine.advance = lambda state, now: 1 / 0  # type: ignore[method-assign]
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, NOON), tick(TICKET_EVENTS, 0, NOON))
    assert rig.stage.failed == {"T-1"} and "T-1" not in rig.stage.cache


async def test_a_revoked_or_rebuilt_partition_forgets_its_tickets() -> None:
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0))
    assert "T-1" in rig.stage.cache
    rig.recovery.drop({0})
    assert len(rig.stage.cache) == 0
    await rig.recovery.rebuild({0}, {})
    await rig.feed(inbound(ACK, 0))
    assert "T-1" in rig.stage.cache
    await rig.recovery.rebuild({0}, {})  # the table may hold the changelog's rows now
    assert len(rig.stage.cache) == 0
