"""The emitter queues each output on every route (and penalty triggers to the department
stage) with the same bytes, serialised once: from the JSON the stage kept, when given; a
department's triggers go as one pack per send, before any watermark that covers them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from models.topics import OUTBOUND_ROUTES
from sla.config import load_config
from sla.penalties import PenaltyEngine
from sla.replay import replay
from sla.testing import assigned, complaint
from streams.emit import PACK_BYTES, Emitter
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
    """(topic, key, value) of every record the outputs make: a record per route, and per
    department one pack of its triggers' texts, newline-separated, in order."""
    records, packs = [], {}
    for event, value in zip(OUTPUTS, texts, strict=True):
        for topic, kind in OUTBOUND_ROUTES[event.type]:
            key = event.data.department if kind == "department" else event.subject
            records.append((topic, key.encode(), value))
        if PenaltyEngine.is_trigger(event):
            for department in PenaltyEngine.departments_for(event):
                packs.setdefault(department, []).append(value)
    return records + [(TRIGGERS, d.encode(), b"\n".join(v)) for d, v in packs.items()]


async def test_every_route_and_trigger_gets_the_outputs_json() -> None:
    emitter, records, producer = _emitter()
    assert any(PenaltyEngine.is_trigger(event) for event in OUTPUTS)
    await emitter.publish(OUTPUTS, triggers=True)
    emitter.flush_triggers()  # the changelog writer calls it before it sends
    assert producer.sent == []  # queued until the changelog writer sends
    await records.send()
    texts = [event.to_json().encode() for event in OUTPUTS]
    assert sorted((t, k, v) for t, _, k, v, _ in producer.sent) == sorted(_expected(texts))
    departments = {d for event in OUTPUTS if PenaltyEngine.is_trigger(event)
                   for d in PenaltyEngine.departments_for(event)}
    assert sum(topic == TRIGGERS for topic, *_ in producer.sent) == len(departments)
    for topic, _, _, value, headers in producer.sent:
        if topic != TRIGGERS:
            event = OUTPUTS[texts.index(value)]
            assert headers == [("ce-id", event.id.encode()), ("ce-type", event.type.encode())]


async def test_given_texts_are_sent_as_they_are() -> None:
    """The stage's outbox JSON is what goes out (so it is not serialised again)."""
    emitter, records, producer = _emitter()
    texts = [f'{{"kept": {n}}}' for n in range(len(OUTPUTS))]
    await emitter.publish(OUTPUTS, triggers=True, texts=texts)
    emitter.flush_triggers()
    await records.send()
    assert sorted((t, k, v) for t, _, k, v, _ in producer.sent) == sorted(
        _expected([text.encode() for text in texts]))


async def test_a_watermark_goes_to_every_triggers_partition() -> None:
    emitter, records, producer = _emitter()
    await emitter.watermark(2, "2026-11-02T10:00:00+08:00")
    await records.send()
    assert producer.sent == [(TRIGGERS, p, b"", b"", [(WATERMARK, b"2|2026-11-02T10:00:00+08:00")])
                             for p in range(4)]


async def test_a_watermark_follows_the_triggers_queued_before_it() -> None:
    """Else the department stage could drain past a trigger the watermark covers."""
    emitter, records, producer = _emitter()
    await emitter.publish(OUTPUTS, triggers=True)
    await emitter.watermark(0, "2026-11-02T10:00:00+08:00")
    emitter.flush_triggers()  # nothing left: the watermark flushed them
    await records.send()
    per_partition: dict[int, list[bytes]] = {}
    for topic, partition, key, _, _ in producer.sent:
        if topic == TRIGGERS:
            per_partition.setdefault(partition, []).append(key)
    assert sorted(per_partition) == [0, 1, 2, 3]  # the watermark: on every partition
    for keys in per_partition.values():  # each partition's packs, then the watermark
        assert keys[-1] == b"" and all(keys[:-1])
    assert sum(len(keys) - 1 for keys in per_partition.values()) >= 1  # packs went first


async def test_a_department_with_many_triggers_gets_packs_of_bounded_size_in_order() -> None:
    """A stream-clock tick can breach thousands of one department's tickets at once: their
    triggers must not make one record larger than Kafka takes."""
    emitter, records, producer = _emitter()
    trigger = next(event for event in OUTPUTS if PenaltyEngine.is_trigger(event))
    assert len(PenaltyEngine.departments_for(trigger)) == 1
    texts = [trigger.to_json().replace(trigger.id, f"id-{n:05d}") for n in range(1000)]
    await emitter.publish([trigger] * 1000, triggers=True, texts=texts)
    emitter.flush_triggers()
    await records.send()

    packs = [value for topic, _, _, value, _ in producer.sent if topic == TRIGGERS]
    assert len(packs) > 1 and all(len(pack) <= PACK_BYTES for pack in packs)
    assert b"\n".join(packs) == "\n".join(texts).encode()
