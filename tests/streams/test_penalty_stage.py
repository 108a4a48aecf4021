"""The department stage survives a trigger it cannot apply without losing the others.

A unit test with fakes: the stage's table is Faust's memory store (no broker), the
emitter a list. The integration tier runs the real thing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import streams.table_writes
from sla.config import load_config
from sla.penalties import PenaltyEngine
from sla.replay import replay
from sla.testing import complaint
from streams.app import create_app
from streams.config import StreamSettings
from streams.emit import Emitter
from streams.penalty_stage import PenaltyStage
from streams.table_writes import ChangelogWriter
from streams.topics import define_topics

CONFIG = load_config(Path(__file__).parents[2] / "deploy" / "config" / "sla-police.yaml")


@pytest.fixture
def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PenaltyStage:
    settings = StreamSettings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path,
                              table_store="memory://", topic_partitions=4)
    app = create_app(settings, web_enabled=False)  # never started: no broker needed
    topics = define_topics(app, settings)
    stage = PenaltyStage(app, CONFIG, topics, Emitter(app, topics), ChangelogWriter(app))
    monkeypatch.setattr(streams.table_writes, "_event_partition", lambda: 0)
    monkeypatch.setattr(stage, "_committed", lambda partition: -1)
    sent: list = []

    async def publish(events) -> None:
        sent.extend(events)

    monkeypatch.setattr(stage.emitter, "publish", publish)
    stage.sent = sent  # type: ignore[attr-defined]
    return stage


def attributions() -> list:
    """Three logistics complaints on Monday morning: their ``sla.attributed`` triggers."""
    events = [complaint(f"T-{n}", f"2026-11-02T09:0{n}:00+08:00") for n in (1, 2, 3)]
    outputs = replay(events, CONFIG).outputs
    return [e for e in outputs if PenaltyEngine.is_trigger(e)]


def test_a_trigger_that_cannot_be_applied_is_skipped_and_the_rest_are_fined(
        stage: PenaltyStage, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug makes the penalty engine fail on T-2's trigger, the second of three in a
    drain. The drain fails (the pipeline dead-letters its message); T-1's penalty, already
    computed, is not lost: the next watermark fines T-1 and T-3, and T-2 is skipped."""
    triggers = attributions()
    department = triggers[0].data.department
    for trigger in triggers:
        stage._buffer(0, department, trigger.to_json())
    apply = stage.engine.apply

    def buggy(book, event):
        if event.subject == "T-2":
            raise ZeroDivisionError("a bug")
        return apply(book, event)

    monkeypatch.setattr(stage.engine, "apply", buggy)
    for source in range(4):
        stage._mark(0, source, "2026-11-03T00:00:00+08:00")
    with pytest.raises(ZeroDivisionError):
        asyncio.run(stage._drain(0, offset=10))
    assert stage.sent == []
    assert [item[1] for item in sorted(stage.pending[0])] == [triggers[0].id, triggers[2].id]

    asyncio.run(stage._drain(0, offset=11))
    fined = {e.subject for e in stage.sent if e.type == "penalty.assessed"}
    assert fined == {"T-1", "T-3"}
    assert stage.pending[0] == []
