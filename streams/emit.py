"""Send outbound events to their topics, keyed as README documents.

Routes come from :data:`models.topics.OUTBOUND_ROUTES` (warnings and breaches go
both to the per-ticket outcome stream and the per-department alert stream).
Penalty triggers also go to the internal triggers topic, once per department
whose book they concern. Every output send carries the event id as a header, so
consumers can dedupe without parsing.

**Trigger packs.** A department's triggers of one batch of messages travel in one
record (key: the department; value: their JSON texts joined by newlines, which JSON
text never holds raw), not one record each: every record the department stage reads
pays Faust's consumer path (about as much as an inbound message's), and triggers were
about 0.4 records per inbound event. A pack is added to the records when the changelog
writer sends (:meth:`flush_triggers`, registered with it) or before a watermark, so a
watermark still follows every trigger it covers; a full pack (:data:`PACK_BYTES`) is
added at once and the next one starts. A record of one trigger, as written before packs,
is a pack of one.

Records are not handed to the producer one by one: they join the changelog writer's
:class:`~streams.record_batches.RecordBatches` (no I/O, no Faust ``Topic.send``
bookkeeping) and go out with the batch's changelog records, one record batch per
partition, when the pipeline sends after each batch of messages, before it acks them.
Delivery is covered: before every offset commit Faust flushes the producer they were
handed to, so an input is committed only once everything it caused is on the broker;
what a crash loses in between, the stages' outboxes re-emit.

Each output is serialised once: the stages pass the JSON they keep in their outboxes
(``texts``), and its bytes serve every route and trigger record.
"""

from __future__ import annotations

from collections.abc import Iterable

import faust

from models import CloudEvent
from models.topics import OUTBOUND_ROUTES
from sla.penalties import PenaltyEngine
from streams import metrics
from streams.record_batches import RecordBatches
from streams.topics import Topics

__all__ = ["PACK_BYTES", "Emitter"]

#: A pack is at most this large (unless one trigger is larger): far below the 1 MB a Kafka
#: record may have by default (broker ``message.max.bytes``, producer ``max_request_size``),
#: even when one stream-clock tick breaches thousands of a department's tickets.
PACK_BYTES = 256 * 1024


class Emitter:
    """Publishes what the stages produce; counts it in the metrics."""

    def __init__(self, app: faust.App, topics: Topics, records: RecordBatches) -> None:
        self.app, self.topics = app, topics
        self.triggers_name = topics.triggers.get_topic_name()
        self._send = records.add  # (topic, key, value, headers, partition=None)
        #: department -> [bytes, trigger texts...]: triggers not added to the records yet
        self._packs: dict[str, list] = {}

    async def publish(self, events: Iterable[CloudEvent], *, triggers: bool = False,
                      texts: list[str] | None = None) -> None:
        """Send ``events`` on their routes (and, with ``triggers``, penalty triggers to the
        department stage). ``texts``: each event's ``to_json()`` when the caller already
        has it (a stage's outbox keeps the same JSON): an event is serialised once, its
        bytes shared by every route and trigger record."""
        for index, event in enumerate(events):
            value = (event.to_json() if texts is None else texts[index]).encode()
            self._send_routes(event, value)
            metrics.observe_outcome(event)
            if triggers and PenaltyEngine.is_trigger(event):
                self._trigger(event, value)

    def _send_routes(self, event: CloudEvent, value: bytes) -> None:
        headers = [("ce-id", event.id.encode()), ("ce-type", event.type.encode())]
        for topic, key_kind in OUTBOUND_ROUTES[event.type]:
            key = event.data.department if key_kind == "department" else event.subject
            self._send(topic, key.encode(), value, headers)

    async def republish(self, outputs: list[str]) -> None:
        """Send again outputs kept in an outbox (as JSON): same ids, so consumers dedupe.

        Triggers are re-sent too: the department stage ignores what it already applied.
        """
        from models import parse_event

        events = [parse_event(raw, accept="any") for raw in outputs]
        for event in events:
            value = event.to_json().encode()
            self._send_routes(event, value)
            if PenaltyEngine.is_trigger(event):
                self._trigger(event, value)

    def _trigger(self, event: CloudEvent, value: bytes) -> None:
        packs = self._packs
        for department in PenaltyEngine.departments_for(event):
            pack = packs.get(department)
            if pack is None:
                packs[department] = [len(value), value]
            elif pack[0] + 1 + len(value) > PACK_BYTES:  # full: it goes first, a new one starts
                self._send_pack(department, pack)
                packs[department] = [len(value), value]
            else:
                pack[0] += len(value) + 1
                pack.append(value)

    def flush_triggers(self) -> None:
        """Add a record per department of the triggers queued since the last flush."""
        packs, self._packs = self._packs, {}
        for department, pack in packs.items():
            self._send_pack(department, pack)

    def _send_pack(self, department: str, pack: list) -> None:
        """``pack``: its size in bytes, then the triggers' JSON texts."""
        self._send(self.triggers_name, department.encode(), b"\n".join(pack[1:]))

    async def watermark(self, source_partition: int, when: str) -> None:
        """Tell every department partition that ``source_partition`` is done up to ``when``
        (after the triggers queued so far: the watermark covers them)."""
        from streams.topics import WATERMARK

        self.flush_triggers()
        header = [(WATERMARK, f"{source_partition}|{when}".encode())]
        for partition in range(self.topics.partitions):
            self._send(self.triggers_name, b"", b"", header, partition)
