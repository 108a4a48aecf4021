"""The ticket stage on fakes (:mod:`streams.fakes`): messages in, outputs and table rows out.

No broker and no Faust app: the stage gets a recording emitter, dict-backed tables and
committed offsets the test sets, and is fed messages through ``process`` as the agent
feeds it. What it emits is compared with :func:`sla.replay.replay` of the same events,
the oracle the integration tier uses too. Partition 0 only; the pipeline rebuilds a
partition (``TicketRecovery.rebuild``) before its first message, and so do these tests.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from models import CloudEvent
from models.topics import COMPLAINTS, TICKET_EVENTS, inbound_route
from sla.config import load_config
from sla.engine import SlaEngine
from sla.replay import replay
from sla.testing import acknowledged, assigned, complaint, disputed, ruled
from streams.fakes import ColumnDictStore, DictStore, FakeEvent, RecordingEmitter, SettableCommitted
from streams.ticket_stage import TicketRecovery, TicketStage, mark_partition, ticket_partition
from streams.ticket_store import decode_stored, due_record_of_value
from streams.topics import TICK, WAKE, Checkpoint

CONFIG = load_config(Path(__file__).parents[2] / "deploy" / "config" / "sla-police.yaml")
CLOCK_TOPIC = "sla-police-test-clock"
#: A Monday: T-1's first response is due at 11:00 (warning at 10:36).
COMPLAINT = complaint("T-1", "2025-03-03T09:00:00+08:00")
ACK = acknowledged("T-1", "2025-03-03T09:05:00+08:00")
ASSIGNED = assigned("T-1", "2025-03-03T09:05:00+08:00", "logistics")
NOON = "2025-03-03T12:00:00+08:00"


class Rig:
    """A ticket stage on fakes, with the recovery the pipeline pairs it with."""

    def __init__(self, clock: str = "stream", tickets: ColumnDictStore | None = None,
                 marks: DictStore | None = None, cache_size: int = 1000) -> None:
        self.emitter, self.commits = RecordingEmitter(), SettableCommitted()
        self.tickets = tickets if tickets is not None else ColumnDictStore(
            ticket_partition, due_record_of_value)
        self.marks = marks if marks is not None else DictStore(mark_partition)
        self.stage = TicketStage(SlaEngine(CONFIG), self.emitter, clock,
                                 clock_topic=CLOCK_TOPIC, tickets=self.tickets,
                                 marks=self.marks, commits=self.commits,
                                 cache_size=cache_size)

        self.recovery = TicketRecovery(self.stage)

    async def feed(self, *events: FakeEvent) -> None:
        for event in events:
            await self.stage.process(event)

    def sla_ids(self) -> list[str]:
        return sla_ids(self.emitter.published)


def sla_ids(events: list[CloudEvent]) -> list[str]:
    """Ids of the ticket stage's own outcomes (replay also holds the penalties)."""
    return [e.id for e in events if e.type.startswith("sla.")]


def expected(events: list[CloudEvent], until: str) -> list[str]:
    return sla_ids(replay(events, CONFIG, until=datetime.fromisoformat(until)).outputs)


def inbound(event: CloudEvent, offset: int) -> FakeEvent:
    raw = event.to_json().encode()
    topic, key = inbound_route(raw)
    return FakeEvent(topic, 0, offset, key, raw)


def tick(topic: str, offset: int, when: str) -> FakeEvent:
    return FakeEvent(topic, 0, offset, headers={TICK: when.encode()})


async def started(clock: str = "stream", committed: dict | None = None, **stores) -> Rig:
    rig = Rig(clock, **stores)
    await rig.recovery.rebuild({0}, committed or {})
    return rig


async def test_a_complaint_then_an_acknowledgement_are_attributed_and_met() -> None:
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), inbound(ACK, 0),
                   tick(COMPLAINTS, 1, "2025-03-03T09:10:00+08:00"),
                   tick(TICKET_EVENTS, 1, "2025-03-03T09:10:00+08:00"))
    assert [e.type for e in rig.emitter.published if e.type.startswith("sla.")] == [
        "sla.attributed", "sla.clocks_changed", "sla.met", "sla.clocks_changed"]
    assert rig.sla_ids() == expected([COMPLAINT, ACK], "2025-03-03T09:10:00+08:00")
    assert [e.type for e in rig.emitter.triggers] == ["sla.attributed"]
    assert rig.emitter.watermarks == [(0, "2025-03-03T09:10:00+08:00")]


@pytest.mark.parametrize("late", [ACK, ASSIGNED], ids=["acknowledged", "assigned"])
async def test_a_tick_waits_until_every_earlier_offset_is_processed(late: CloudEvent) -> None:
    """ticket-events@0 is delivered after the ticks at offset 1 (as after a seek back).
    Applied at once, the ticks would breach T-1 at 11:00 before its acknowledgement."""
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, NOON),
                   tick(TICKET_EVENTS, 1, NOON))
    assert rig.stage.now(0) is None
    assert rig.emitter.published == [] and rig.emitter.watermarks == []

    await rig.feed(inbound(late, 0))
    assert rig.sla_ids() == expected([COMPLAINT, late], NOON)
    assert ("sla.breached" in [e.type for e in rig.emitter.published]) is (late is ASSIGNED)
    assert rig.emitter.watermarks == [(0, NOON)]


async def test_settled_charges_and_disputes_leave_the_stage_as_replay_has_them() -> None:
    """Logistics assigns T-1 to one of its own (its per-complaint charge settles, a penalty
    trigger), disputes it, and the ruling gives it to stores: the records and the
    notifications of both are published, and the stage's outcomes equal replay's."""
    story = [COMPLAINT,
             assigned("T-1", "2025-03-03T09:05:00+08:00", "logistics", "emp-logistics-017"),
             disputed("T-1", "2025-03-03T09:20:00+08:00", "logistics", event_id="d-1"),
             ruled("T-1", "2025-03-03T10:00:00+08:00", "d-1", "upheld", to="stores")]
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), *[inbound(e, n) for n, e in enumerate(story[1:])],
                   tick(COMPLAINTS, 1, NOON), tick(TICKET_EVENTS, 3, NOON))
    assert sorted(rig.sla_ids()) == sorted(expected(story, NOON))  # replay sorts by time
    published = [e.type for e in rig.emitter.published]
    assert {"sla.charge_settled", "sla.dispute_filed", "sla.dispute_ruled"} <= set(published)
    assert [e.type for e in rig.emitter.triggers].count("sla.charge_settled") == 1
    told = sorted(e.data.department for e in rig.emitter.published
                  if e.type == "notification.requested" and e.data.ref_type == "sla.dispute_ruled")
    assert told == ["logistics", "stores"]


async def test_a_wall_clock_checkpoint_waits_for_the_end_offsets_it_lists() -> None:
    rig = await started("wall")
    ends = {COMPLAINTS: 1, TICKET_EVENTS: 1}  # the log held one message of each then
    wake = FakeEvent(CLOCK_TOPIC, 0, 0, headers={WAKE: Checkpoint(NOON, ends).encode()})
    await rig.feed(inbound(COMPLAINT, 0), wake)
    assert rig.stage.now(0) is None
    assert rig.emitter.published == []

    await rig.feed(inbound(ASSIGNED, 0))
    assert rig.stage.now(0) == datetime.fromisoformat(NOON)
    assert rig.sla_ids() == expected([COMPLAINT, ASSIGNED], NOON)
    assert "sla.breached" in [e.type for e in rig.emitter.published]


async def test_a_redelivered_event_or_tick_changes_nothing() -> None:
    rig = await started()
    first = [inbound(COMPLAINT, 0), inbound(ACK, 0), tick(COMPLAINTS, 1, NOON),
             tick(TICKET_EVENTS, 1, NOON)]
    await rig.feed(*first)
    published, writes = list(rig.emitter.published), list(rig.tickets.writes)
    marks, watermarks = list(rig.marks.writes), list(rig.emitter.watermarks)

    await rig.feed(*first)
    assert rig.emitter.published == published
    assert rig.tickets.writes == writes and rig.marks.writes == marks
    assert rig.emitter.watermarks == watermarks


async def two_transitions() -> tuple[Rig, list[CloudEvent]]:
    """T-1 attributed (caused by ticket-events@0, a tick), then met (ticket-events@2):
    returns the rig and what the second transition published."""
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, "2025-03-03T09:02:00+08:00"),
                   tick(TICKET_EVENTS, 0, "2025-03-03T09:02:00+08:00"))
    before = len(rig.emitter.published)
    await rig.feed(inbound(ACK, 1), tick(COMPLAINTS, 2, "2025-03-03T09:10:00+08:00"),
                   tick(TICKET_EVENTS, 2, "2025-03-03T09:10:00+08:00"))
    return rig, rig.emitter.published[before:]


async def test_a_rebuild_re_emits_the_outputs_whose_cause_is_not_committed() -> None:
    """A worker that takes the partition over (same tables, fresh memory) re-sends the
    outputs of ticket-events@2 (not committed) and not those of ticket-events@0."""
    old, second = await two_transitions()
    assert [e.type for e in second if e.type.startswith("sla.")] == [
        "sla.met", "sla.clocks_changed"]
    new = Rig(tickets=old.tickets, marks=old.marks)
    committed = {(COMPLAINTS, 0): 3, (TICKET_EVENTS, 0): 1}
    resent = await new.recovery.rebuild({0}, committed)
    assert [e.id for e in new.emitter.republished] == [e.id for e in second]
    assert resent == len(second)
    # the clock as it stood at the committed offsets: ticket-events' 09:10 tick is read again
    assert new.stage.now(0) == datetime.fromisoformat("2025-03-03T09:02:00+08:00")
    assert "T-1" in new.stage.index

    newer = Rig(tickets=old.tickets, marks=old.marks)
    assert await newer.recovery.rebuild({0}, {**committed, (TICKET_EVENTS, 0): 3}) == 0
    assert newer.emitter.republished == []
    assert newer.stage.now(0) == datetime.fromisoformat("2025-03-03T09:10:00+08:00")


async def test_an_outbox_forgets_outputs_once_their_cause_is_committed() -> None:
    rig = await started()
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, "2025-03-03T09:02:00+08:00"),
                   tick(TICKET_EVENTS, 0, "2025-03-03T09:02:00+08:00"))
    rig.commits.offsets[(TICKET_EVENTS, 0)] = 1  # ticket-events@0 committed
    await rig.feed(inbound(ACK, 1), tick(COMPLAINTS, 2, "2025-03-03T09:10:00+08:00"),
                   tick(TICKET_EVENTS, 2, "2025-03-03T09:10:00+08:00"))
    outbox = decode_stored(rig.tickets.get(b"T-1")).outbox  # type: ignore[arg-type]
    assert [cause for cause, _ in outbox] == [(1, 2)]


async def test_a_message_whose_key_is_not_its_subject_is_dead_lettered() -> None:
    rig = await started()
    raw = COMPLAINT.to_json().encode()
    await rig.feed(FakeEvent(COMPLAINTS, 0, 0, b"T-9", raw))
    [letter] = rig.emitter.published
    assert letter.type == "event.rejected" and "the ticket id must be the key" in str(letter)
    assert rig.tickets.data == {}


async def test_a_ticket_whose_deadline_fails_is_dead_lettered_and_the_others_still_fire() -> None:
    """Two tickets are due at the same tick; the engine fails on the first. Its failure is
    a dead letter naming that ticket, the other one breaches as replay says, and the failed
    ticket is not retried by the safety-net sweep until an event of its own comes."""
    other = complaint("T-2", "2025-03-03T09:00:00+08:00")
    rig = await started()
    engine_advance = rig.stage.engine.advance

    def advance(state, now):  # the engine's public method, failing for one ticket
        if state.ticket_id == "T-1":
            raise ValueError("year 13434 is out of range")
        return engine_advance(state, now)

    rig.stage.engine.advance = advance  # type: ignore[method-assign]
    await rig.feed(inbound(COMPLAINT, 0), inbound(other, 1),
                   tick(COMPLAINTS, 2, NOON), tick(TICKET_EVENTS, 0, NOON))
    [letter] = [e for e in rig.emitter.published if e.type == "event.rejected"]
    assert letter.subject == "T-1" and letter.data.key == "T-1"
    assert "firing the ticket's deadlines: ValueError: year 13434" in letter.data.reason
    assert (letter.data.topic, letter.data.partition) == (CLOCK_TOPIC, 0)
    assert sla_ids(rig.emitter.published) == expected([other], NOON)
    assert rig.stage.failed == {"T-1"}


async def test_a_rebuild_from_the_due_column_restores_the_index_and_the_open_clocks() -> None:
    """A restarted worker reads the due column only: same deadlines, same open clocks as
    the worker that wrote the rows, and not one row decoded when nothing is to re-send."""
    old = await started()
    second = complaint("T-2", "2025-03-03T09:01:00+08:00")
    await old.feed(inbound(COMPLAINT, 0), inbound(second, 1),
                   tick(COMPLAINTS, 2, "2025-03-03T09:02:00+08:00"),
                   tick(TICKET_EVENTS, 0, "2025-03-03T09:02:00+08:00"))
    new = Rig(tickets=old.tickets, marks=old.marks)
    read: list[bytes] = []
    get = new.tickets.get
    new.tickets.get = lambda key: read.append(key) or get(key)  # type: ignore[method-assign]
    assert await new.recovery.rebuild({0}, {(COMPLAINTS, 0): 3, (TICKET_EVENTS, 0): 1}) == 0
    assert read == []
    assert new.recovery.tickets_seen == 2
    assert new.stage.index.next_due(0) == old.stage.index.next_due(0)
    assert "T-1" in new.stage.index and "T-2" in new.stage.index
    assert new.stage.open_clocks.totals == old.stage.open_clocks.totals
    assert sum(new.stage.open_clocks.totals.values()) >= 2


async def test_the_deadline_index_gauge_follows_each_message() -> None:
    """``sla_deadline_index_size`` is set once per message that saved tickets (not per
    save): after an event, and after a tick has fired what was due."""
    from streams import metrics

    rig = await started()
    metrics.DEADLINE_INDEX_SIZE.set(-1)
    await rig.feed(inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, NOON))
    assert metrics.DEADLINE_INDEX_SIZE._value.get() == len(rig.stage.index) == 1
    await rig.feed(tick(TICKET_EVENTS, 0, NOON))  # T-1's response clock breaches at 11:00
    assert "sla.breached" in [e.type for e in rig.emitter.published]
    assert metrics.DEADLINE_INDEX_SIZE._value.get() == len(rig.stage.index)
    metrics.DEADLINE_INDEX_SIZE.set(-1)
    await rig.feed(tick(COMPLAINTS, 2, "2025-03-06T12:00:00+08:00"),
                   tick(TICKET_EVENTS, 1, "2025-03-06T12:00:00+08:00"))
    assert metrics.DEADLINE_INDEX_SIZE._value.get() == len(rig.stage.index) >= 0


async def test_after_an_unclean_stop_the_clock_restarts_where_the_commit_left_it() -> None:
    """A worker stopped during a broker outage with nothing committed. Its restart kept
    the newest clock marks (12:00, from its local store) but got T-1's row back from
    before the acknowledgement (a changelog record the broker appended although its
    acknowledgement never came). Restarted at 12:00, the clock would breach T-1 at 11:00
    before the acknowledgement is read again; restarted where the commit left it (no
    tick yet), the acknowledgement read again still meets the SLA, as replay says."""
    old = await started()
    first = [inbound(COMPLAINT, 0), tick(COMPLAINTS, 1, "2025-03-03T09:02:00+08:00"),
             tick(TICKET_EVENTS, 0, "2025-03-03T09:02:00+08:00")]
    await old.feed(*first)
    before_ack = old.tickets.get(b"T-1")
    assert before_ack is not None
    rest = [inbound(ACK, 1), tick(COMPLAINTS, 2, NOON), tick(TICKET_EVENTS, 2, NOON)]
    await old.feed(*rest)
    assert "sla.met" in [e.type for e in old.emitter.published]

    old.tickets.put(b"T-1", before_ack, due_record_of_value(before_ack))  # the recovery
    new = await started(tickets=old.tickets, marks=old.marks)  # nothing committed
    await new.feed(FakeEvent(CLOCK_TOPIC, 0, 0, headers={WAKE: b""}))  # the rebuild's nudge
    assert new.stage.now(0) is None and new.emitter.published == []
    await new.feed(*first, *rest)  # read again from the committed offsets
    again = {*new.sla_ids(), *sla_ids(new.emitter.republished)}
    assert again == set(expected([COMPLAINT, ACK], NOON))
    assert "sla.breached" not in [e.type for e in new.emitter.published]
