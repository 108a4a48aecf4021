"""The calls stage and the QA stage on fakes: fed the calls log with stream-clock ticks,
they publish exactly what replay computes; a caller survives the table's encoding; a
restart re-sends what was not committed; without a policy every event is a dead letter."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Iterable

import pytest

from models import CloudEvent, parse_event
from models.topics import CALLS
from sla.calls import CallsEngine
from streams import calls_qa_stage
from streams.calls_emit import is_forward
from streams.calls_qa_stage import QaStage, qa_partition
from streams.calls_stage import NO_POLICY, CallsRecovery, CallsStage, calls_mark_partition
from streams.calls_store import (
    StoredCaller,
    caller_partition,
    decode_caller,
    encode_caller,
)
from streams.clock import watermarks
from streams.fakes import DictStore, FakeEvent, SettableCommitted
from streams.topics import TICK, WATERMARK
from tests.integration.calls_log import calls_log, calls_spec, expected_calls

PARTITIONS = 4
CLOCK, QA = "app-calls-clock", "app-calls-qa"


class Wiring:
    """Both stages on fakes; forwards and watermarks reach the QA stage in order."""

    def __init__(self, spec=None, callers: DictStore | None = None) -> None:
        self.published: list[CloudEvent] = []
        self.qa_offsets = [0] * PARTITIONS
        self.queue: list[FakeEvent] = []
        self.commits = SettableCommitted()
        self.callers = callers or DictStore(caller_partition)
        self.stage = CallsStage(spec, self, "stream", clock_topic=CLOCK, callers=self.callers,
                                marks=DictStore(calls_mark_partition), commits=self.commits)
        self.qa = QaStage(spec, self, sources=PARTITIONS, topic_name=QA,
                          state=DictStore(qa_partition), commits=self.commits)
        self.offsets = [0] * PARTITIONS

    async def publish(self, events: Iterable[CloudEvent]) -> None:
        for event in events:
            if is_forward(event):
                self._to_qa(zlib.crc32(event.data.agent.encode()) % PARTITIONS,
                            event.data.agent.encode(), event.to_json().encode(), {})
            else:
                self.published.append(event)

    async def republish(self, outputs: list[str]) -> None:
        await self.publish(parse_event(raw, accept="any") for raw in outputs)

    async def watermark(self, source_partition: int, when: str) -> None:
        for partition in range(PARTITIONS):
            self._to_qa(partition, b"", b"", {WATERMARK: f"{source_partition}|{when}".encode()})

    def _to_qa(self, partition: int, key: bytes, value: bytes, headers: dict) -> None:
        self.queue.append(FakeEvent(QA, partition, self.qa_offsets[partition], key, value,
                                    headers))
        self.qa_offsets[partition] += 1

    async def send(self, partition: int, key: bytes | None, value: bytes,
                   headers: dict | None = None) -> None:
        offset = self.offsets[partition]
        self.offsets[partition] += 1
        await self.stage.process(FakeEvent(CALLS, partition, offset, key, value, headers or {}))
        while self.queue:
            await self.qa.process(self.queue.pop(0))

    async def play(self, lines: list[bytes], until) -> None:
        marks = watermarks(lines)
        for n, line in enumerate(lines):
            event = parse_event(line, accept="any")
            key = event.subject.encode() if isinstance(event, CloudEvent) else b"bad"
            await self.send(zlib.crc32(key) % PARTITIONS, key, line)
            if marks[n] is not None and n % 25 == 0:
                await self.tick(marks[n])
        await self.tick(until)

    async def tick(self, when) -> None:
        for partition in range(PARTITIONS):
            await self.send(partition, None, b"", {TICK: when.isoformat().encode()})


def _normal(event: CloudEvent) -> str:
    if event.type == "event.rejected":
        return event.id
    return event.to_json()


def test_the_stages_publish_what_replay_computes() -> None:
    lines = calls_log()
    expected, until = expected_calls(lines)
    wiring = Wiring(calls_spec())
    asyncio.run(wiring.play(lines, until))
    got = {e.id: _normal(e) for e in wiring.published}
    assert len(got) == len(wiring.published)  # nothing twice
    assert got == {e.id: _normal(e) for e in expected.outputs}


def test_a_caller_survives_the_table_encoding() -> None:
    lines = calls_log()
    expected, until = expected_calls(lines)
    engine = CallsEngine(calls_spec())
    for caller, state in expected.callers.items():
        stored = StoredCaller(2, state, [((0, 5), ['{"x": 1}'])])
        again = decode_caller(encode_caller(stored))
        assert again.partition == 2 and again.outbox == stored.outbox
        assert encode_caller(again) == encode_caller(stored), caller
        later = until + engine.spec.blocks.review_every * 2
        assert engine.advance(again.state, later) == engine.advance(state, later)


def test_a_restart_resends_what_was_not_committed_and_nothing_else() -> None:
    lines = calls_log()
    expected, until = expected_calls(lines)
    wiring = Wiring(calls_spec())
    asyncio.run(wiring.play(lines, until))
    restarted = Wiring(calls_spec(), callers=wiring.callers)
    restarted.commits.offsets = {(CALLS, p): wiring.offsets[p] - 30 for p in range(PARTITIONS)}
    committed = {(t, p): o for (t, p), o in restarted.commits.offsets.items()}
    asyncio.run(CallsRecovery(restarted.stage).rebuild(set(range(PARTITIONS)), committed))
    assert restarted.published, "the last transitions are re-sent"
    ids = {e.id for e in expected.outputs}
    assert {e.id for e in restarted.published} <= ids
    assert len(restarted.stage.index) == sum(
        1 for s in expected.callers.values() if s.block is not None)


def test_without_a_calls_policy_every_event_is_a_dead_letter() -> None:
    wiring = Wiring(None)
    line = calls_log()[0]
    asyncio.run(wiring.send(0, parse_event(line, accept="any").subject.encode(), line))
    assert [e.type for e in wiring.published] == ["event.rejected"]
    assert wiring.published[0].data.reason == NO_POLICY


def test_a_drain_of_many_qa_items_is_kept_in_rows_and_re_sent_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A week's end draws QA items for every agent at once: kept in one row, a large
    center's would pass Kafka's 1 MB record limit. With rows of two items here, the outputs
    still equal replay's, and a restart with nothing committed re-sends every item once."""
    monkeypatch.setattr(calls_qa_stage, "OUTBOX_CHUNK", 2)
    lines = calls_log()
    expected, until = expected_calls(lines)
    wiring = Wiring(calls_spec())
    asyncio.run(wiring.play(lines, until))
    assert {e.id: _normal(e) for e in wiring.published} == {
        e.id: _normal(e) for e in expected.outputs}
    rows = {k: json.loads(v) for k, v in wiring.qa.state.data.items() if k.startswith(b"out|")}
    assert any(key.endswith(b"|1") for key in rows)  # a drain split over rows
    assert all(len(items) <= 2 for items in rows.values())

    restarted = Wiring(calls_spec())
    restarted.qa.state = wiring.qa.state
    resent = asyncio.run(restarted.qa.rebuild(set(range(PARTITIONS)), {}))
    items = [raw for row in rows.values() for raw in row]
    assert resent == len(items) == len({parse_event(raw, accept="any").id for raw in items})
    assert sorted(e.id for e in restarted.published) == sorted(
        parse_event(raw, accept="any").id for raw in items)
