"""The emitter queues each output on every route (and penalty triggers to the department
stage) with the same bytes, serialised once: from the JSON the stage kept, when given."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from models.topics import OUTBOUND_ROUTES
from sla.config import load_config
from sla.penalties import PenaltyEngine
from sla.replay import replay
from sla.testing import assigned, complaint
from streams.emit import Emitter
from streams.record_batches import RecordBatches
from streams.topics import WATERMARK
from tests.streams.fake_kafka import FakeKafkaProducer

CONFIG = load_config(Path(__file__).parents[2] / "deploy" / "config" / "sla-police.yaml")
TRIGGERS = "test-penalty-triggers"
OUTPUTS = replay([complaint("T-1", "2026-11-02T09:01:00+08:00"),
                  assigned("T-1", "2026-11-02T09:01:30+08:00", "logistics", "emp-1")],
                 CONFIG).outputs


def _emitter() -> tuple[Emitter, RecordBatches, FakeKafkaProducer]:
    producer = FakeKafkaProducer()
    records = RecordBatches(lambda: producer)
    triggers = SimpleNamespace(get_topic_name=lambda: TRIGGERS)
    topics = SimpleNamespace(triggers=triggers, partitions=4)
    return Emitter(SimpleNamespace(), topics, records), records, producer  # type: ignore[arg-type]


def _expected(texts: list[bytes]) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of every record the outputs make, in order."""
    records = []
    for event, value in zip(OUTPUTS, texts, strict=True):
        for topic, kind in OUTBOUND_ROUTES[event.type]:
            key = event.data.department if kind == "department" else event.subject
            records.append((topic, key.encode(), value))
        if PenaltyEngine.is_trigger(event):
            records += [(TRIGGERS, d.encode(), value) for d in PenaltyEngine.departments_for(event)]
    return records


async def test_every_route_and_trigger_gets_the_outputs_json() -> None:
    emitter, records, producer = _emitter()
    assert any(PenaltyEngine.is_trigger(event) for event in OUTPUTS)
    await emitter.publish(OUTPUTS, triggers=True)
    assert producer.sent == []  # queued until the changelog writer sends
    await records.send()
    texts = [event.to_json().encode() for event in OUTPUTS]
    assert sorted((t, k, v) for t, _, k, v, _ in producer.sent) == sorted(_expected(texts))
    for topic, _, _, value, headers in producer.sent:
        event = OUTPUTS[texts.index(value)]
        ce_type = [] if topic == TRIGGERS else [("ce-type", event.type.encode())]
        assert headers == [("ce-id", event.id.encode()), *ce_type]


async def test_given_texts_are_sent_as_they_are() -> None:
    """The stage's outbox JSON is what goes out (so it is not serialised again)."""
    emitter, records, producer = _emitter()
    texts = [f'{{"kept": {n}}}' for n in range(len(OUTPUTS))]
    await emitter.publish(OUTPUTS, triggers=True, texts=texts)
    await records.send()
    assert sorted((t, k, v) for t, _, k, v, _ in producer.sent) == sorted(
        _expected([text.encode() for text in texts]))


async def test_a_watermark_goes_to_every_triggers_partition() -> None:
    emitter, records, producer = _emitter()
    await emitter.watermark(2, "2026-11-02T10:00:00+08:00")
    await records.send()
    assert producer.sent == [(TRIGGERS, p, b"", b"", [(WATERMARK, b"2|2026-11-02T10:00:00+08:00")])
                             for p in range(4)]
