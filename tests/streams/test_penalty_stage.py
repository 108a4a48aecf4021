"""The department stage on fakes (:mod:`streams.fakes`): triggers and watermarks in,
penalties out, in the order replay applies them.

No broker and no Faust app: the stage gets a recording emitter, a dict-backed
``penalty-state`` table and committed offsets the test sets, and is fed messages of the
triggers topic through ``process``. Penalties are compared with :func:`sla.replay.replay`
of the complaints that caused the triggers. Triggers partition 0, four ticket partitions.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from models import CloudEvent
from sla.config import load_config
from sla.penalties import PenaltyBook, PenaltyEngine
from sla.replay import replay
from sla.testing import assigned, complaint
from streams.fakes import DictStore, FakeEvent, RecordingEmitter, SettableCommitted
from streams.penalty_stage import PenaltyStage, state_partition
from streams.topics import WATERMARK

CONFIG = load_config(Path(__file__).parents[2] / "deploy" / "config" / "sla-police.yaml")
TRIGGERS = "sla-police-test-penalty-triggers"
SOURCES = 4
TUESDAY = "2026-11-03T00:00:00+08:00"
#: Three logistics complaints on Monday morning, each assigned to an employee 30 s later.
COMPLAINTS = [event for n in (1, 2, 3) for event in (
    complaint(f"T-{n}", f"2026-11-02T09:0{n}:00+08:00"),
    assigned(f"T-{n}", f"2026-11-02T09:0{n}:30+08:00", "logistics", f"emp-logistics-00{n}"))]


class Rig:
    def __init__(self, state: DictStore | None = None) -> None:
        self.emitter, self.commits = RecordingEmitter(), SettableCommitted()
        self.state = state if state is not None else DictStore(state_partition)
        self.stage = PenaltyStage(CONFIG, self.emitter, sources=SOURCES, topic_name=TRIGGERS,
                                  state=self.state, commits=self.commits)
        self.offset = 0

    async def feed(self, *events: FakeEvent) -> None:
        for event in events:
            await self.stage.process(event)

    def next_offset(self) -> int:
        self.offset += 1
        return self.offset - 1

    def trigger(self, event: CloudEvent) -> FakeEvent:
        return FakeEvent(TRIGGERS, 0, self.next_offset(), event.data.department.encode(),
                         event.to_json().encode())

    def pack(self, events: list[CloudEvent]) -> FakeEvent:
        """One department's triggers of a batch in one message, as the emitter packs them."""
        return FakeEvent(TRIGGERS, 0, self.next_offset(), events[0].data.department.encode(),
                         b"\n".join(event.to_json().encode() for event in events))

    def watermark(self, source: int, when: str = TUESDAY) -> FakeEvent:
        return FakeEvent(TRIGGERS, 0, self.next_offset(),
                         headers={WATERMARK: f"{source}|{when}".encode()})

    def watermarks(self, when: str = TUESDAY) -> list[FakeEvent]:
        return [self.watermark(source, when) for source in range(SOURCES)]

    def penalties(self) -> list[str]:
        return penalties(self.emitter.published)


def penalties(events: list[CloudEvent]) -> list[str]:
    return [e.to_json() for e in events if e.type.startswith("penalty.")]


def triggers() -> list[CloudEvent]:
    """The triggers of the three complaints, in time order: each ticket's
    ``sla.attributed``, then its ``sla.charge_settled`` (the per-complaint fine)."""
    return [e for e in replay(COMPLAINTS, CONFIG).outputs if PenaltyEngine.is_trigger(e)]


#: What replay fines for them: the order matters (repeat multipliers).
EXPECTED = penalties(replay(COMPLAINTS, CONFIG).outputs)


async def test_triggers_wait_for_every_source_then_drain_in_time_order() -> None:
    rig = Rig()
    await rig.feed(*[rig.trigger(t) for t in reversed(triggers())])
    await rig.feed(*rig.watermarks()[:-1])
    assert rig.emitter.published == []  # partition 3 has promised nothing yet

    await rig.feed(rig.watermark(SOURCES - 1))
    assert len(EXPECTED) == 3 and rig.penalties() == EXPECTED
    assert not [key for key in rig.state.data if key.startswith(b"triggers|")]


async def test_a_pack_of_triggers_is_fined_as_its_triggers_one_by_one() -> None:
    """The emitter sends a department's triggers of a batch as one message."""
    rig = Rig()
    pack = list(reversed(triggers()))
    await rig.feed(rig.pack(pack), rig.pack(pack), *rig.watermarks())  # once more: redelivered
    assert rig.penalties() == EXPECTED


async def test_a_trigger_behind_the_watermarks_waits_for_the_next_one() -> None:
    rig = Rig()
    first, rest = triggers()[:2], triggers()[2:]  # T-1's, then the others'
    await rig.feed(*[rig.trigger(t) for t in first], *rig.watermarks())
    await rig.feed(*[rig.trigger(t) for t in rest])
    assert len(rig.penalties()) == 1

    await rig.feed(rig.watermark(0))
    assert rig.penalties() == EXPECTED


async def test_a_redelivered_pending_trigger_is_fined_once() -> None:
    rig = Rig()
    await rig.feed(*[rig.trigger(t) for t in triggers() + triggers()], *rig.watermarks())
    assert rig.penalties() == EXPECTED


class FailingBookWrites(DictStore):
    """A table whose next ``failures`` book writes fail (a store or producer error)."""

    def __init__(self, failures: int) -> None:
        super().__init__(state_partition)
        self.failures = failures

    def __setitem__(self, key: bytes, value: bytes) -> None:
        if key.startswith(b"book|") and self.failures:
            self.failures -= 1
            raise OSError("disk full")
        super().__setitem__(key, value)


async def test_a_failed_drain_puts_its_triggers_back() -> None:
    rig = Rig(FailingBookWrites(failures=1))
    await rig.feed(*[rig.trigger(t) for t in triggers()], *rig.watermarks()[:-1])
    with pytest.raises(OSError):
        await rig.feed(rig.watermark(SOURCES - 1))
    assert rig.emitter.published == []
    assert len(rig.stage.pending[0]) == len(triggers()) == 6
    assert len([key for key in rig.state.data if key.startswith(b"triggers|")]) == 6

    await rig.feed(rig.watermark(0))
    assert rig.penalties() == EXPECTED


class FailsOn(PenaltyEngine):
    """A penalty engine with a bug that shows on one ticket's settled charge."""

    def __init__(self, ticket: str) -> None:
        super().__init__(CONFIG)
        self.ticket = ticket

    def apply(self, book: PenaltyBook, event: CloudEvent) -> list[CloudEvent]:
        if event.subject == self.ticket and event.type == "sla.charge_settled":
            raise ZeroDivisionError("a bug")
        return super().apply(book, event)


async def test_a_trigger_that_cannot_be_applied_is_skipped_and_the_rest_are_fined() -> None:
    """The engine fails on T-2's settled charge, the second of three fines in a drain. The
    drain fails
    (the pipeline dead-letters its message); T-1's penalty, already computed, is not lost:
    the next watermark fines T-1 and T-3, and T-2 is skipped."""
    rig = Rig()
    rig.stage.engine = FailsOn("T-2")
    await rig.feed(*[rig.trigger(t) for t in triggers()], *rig.watermarks()[:-1])
    with pytest.raises(ZeroDivisionError):
        await rig.feed(rig.watermark(SOURCES - 1))
    assert rig.emitter.published == []

    await rig.feed(rig.watermark(0))
    fined = {e.subject for e in rig.emitter.published if e.type == "penalty.assessed"}
    assert fined == {"T-1", "T-3"}
    assert rig.stage.pending[0] == []


async def drained_once() -> tuple[Rig, int]:
    """Two tickets fined by a drain; T-3's settled charge still pending (it comes after
    the watermarks).
    Returns the rig and the offset of the watermark that caused the drain."""
    rig = Rig()
    *early, late = triggers()
    await rig.feed(*[rig.trigger(t) for t in early], *rig.watermarks(late.time.isoformat()))
    await rig.feed(rig.trigger(late))
    assert len(rig.penalties()) == 2
    return rig, len(early) + SOURCES - 1


async def test_a_rebuild_re_emits_the_outbox_rows_whose_cause_is_not_committed() -> None:
    """A worker taking the partition over (same table, fresh memory) re-sends the drain's
    outputs while its watermark is not committed, reloads the pending trigger, and the
    marks as they stood at the committed offset: the last watermark is read again."""
    old, cause = await drained_once()
    new = Rig(old.state)
    assert await new.stage.rebuild({0}, {0: cause}) == len(old.emitter.published)
    assert [e.id for e in new.emitter.republished] == [e.id for e in old.emitter.published]
    assert [item[2] for item in new.stage.pending[0]] == ["logistics"]
    assert sorted(new.stage.marks[0]) == list(range(SOURCES - 1))  # not the last source's
    assert new.stage.low_watermark(0) is None

    newer = Rig(old.state)
    assert await newer.stage.rebuild({0}, {0: cause + 1}) == 0
    assert newer.emitter.republished == []
    assert newer.stage.low_watermark(0) == old.stage.low_watermark(0)


async def test_an_outbox_row_is_deleted_once_its_cause_is_committed() -> None:
    rig, cause = await drained_once()
    assert f"out|0|{cause}|0".encode() in rig.state.data
    rig.commits.offsets[(TRIGGERS, 0)] = cause + 1
    await rig.feed(rig.watermark(0))
    assert f"out|0|{cause}|0".encode() not in rig.state.data


async def test_a_watermark_delivered_before_an_earlier_trigger_waits_for_it() -> None:
    """After a rebalance the framework delivered the partition's last watermarks before a
    trigger written ahead of them (a re-read of skipped input brings it later). Drained at
    once, that trigger would wait for a watermark that never comes (the stream clock's
    last tick has passed): it must be in the drain the watermarks release."""
    rig = Rig()
    rig.stage.frontier.start((TRIGGERS, 0), 0)  # as the pipeline does on assignment
    events = [rig.trigger(t) for t in triggers()] + rig.watermarks()
    skipped, delivered = events[:1], events[1:]
    await rig.feed(*delivered)
    assert rig.emitter.published == []  # the watermarks wait for offset 0
    await rig.feed(*skipped)  # the re-read
    assert rig.penalties() == EXPECTED
    assert rig.stage.frontier.held() == {}


async def test_a_batch_is_settled_once_per_partition_in_replay_order() -> None:
    """The pipeline receives a batch message by message and settles once at its end: the
    late trigger is applied in time order, the book is written once, and the batch's
    triggers, all applied, leave no row and no record of one."""
    rig = Rig()
    first, rest = triggers()[:2], triggers()[2:]
    batch = [*[rig.trigger(t) for t in first], *rig.watermarks(),
             *[rig.trigger(t) for t in rest], rig.watermark(0)]
    await feed_batch(rig, batch)
    assert rig.penalties() == EXPECTED
    assert rig.stage.take_touched() == {}
    keys = [key for key, _ in rig.state.writes]
    assert [k for k in keys if k.startswith(b"book|")] == [b"book|logistics"]
    assert [k for k in keys if k.startswith(b"triggers|")] == [b"triggers|0|0|0"] * 2
    assert rig.state.data.get(b"triggers|0|0|0") is None


async def feed_batch(rig: Rig, batch: list[FakeEvent]) -> None:
    for event in batch:
        rig.stage.receive(event)
    for partition, (last, released) in rig.stage.take_touched().items():
        await rig.stage.settle(partition, last.message.offset, released)


async def test_a_row_stays_until_its_last_trigger_is_applied_and_reloads_once() -> None:
    """One row for a batch of six triggers; the first drain applies four; a rebuild then
    buffers all six again, and the two applied ones are not fined twice."""
    rig = Rig()
    *early, late = triggers()
    await feed_batch(rig, [rig.trigger(t) for t in [*early, late]])
    assert [k for k in rig.state.data if k.startswith(b"triggers|")] == [b"triggers|0|0|0"]
    before_late = (late.time - timedelta(seconds=1)).isoformat()
    await feed_batch(rig, rig.watermarks(before_late))  # releases all but the late one
    assert len(rig.penalties()) == 2
    assert rig.state.data.get(b"triggers|0|0|0") is not None

    new = Rig(rig.state)
    await new.stage.rebuild({0}, {0: rig.offset})
    assert len(new.stage.pending[0]) == 6
    new.offset = rig.offset
    await feed_batch(new, rig.watermarks("2026-11-04T00:00:00+08:00"))
    assert rig.penalties() + new.penalties() == EXPECTED
    assert not [k for k in new.state.data if k.startswith(b"triggers|")]


async def test_pending_rows_of_the_earlier_layout_are_reloaded() -> None:
    state = DictStore(state_partition)
    for trigger in triggers():
        department = trigger.data.department
        state[f"pending|0|{department}|{trigger.id}".encode()] = trigger.to_json().encode()
    rig = Rig(state)
    await rig.stage.rebuild({0}, {0: 0})
    await rig.feed(*rig.watermarks())
    assert rig.penalties() == EXPECTED
    assert not [k for k in state.data if k.startswith((b"pending|", b"triggers|"))]
