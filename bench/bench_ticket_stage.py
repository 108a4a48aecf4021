"""The ticket stage's own cost per message, on in-memory fakes: no broker, no Faust.

Feeds :meth:`streams.ticket_stage.TicketStage.process` the stream throughput bench's
backlog (the first N valid, distinct events of a simulated day, seed 7) in the order and
partitions a Kafka producer gives them (aiokafka's default partitioner over 4 partitions),
with the same stream-clock ticks (every 1,000 events, both inbound topics of every
partition, then one at the latest event). Stores are :mod:`streams.fakes`' dicts; the
committed offsets move once per batch of ``--batch`` messages (what the worker commits),
so outboxes are pruned as in the worker.

Prints CPU µs per message (``time.process_time``, best of ``--repeat`` passes, each on a
fresh stage), ticket rows written per event counting one record per key and batch (the
changelog writer's rule), and a sha256 of the outputs published (ids and JSON) and of the
final rows, so a change can show that it emits the same bytes. ``--profile`` adds one
cProfile pass and prints where the time goes (cumulative, share of the profiled total).

Then the department stage (:class:`streams.penalty_stage.PenaltyStage`, on fakes too) reads
what the ticket stage sent it, in order: a trigger per department it concerns (keyed and
partitioned as the worker's producer does) and the watermarks, in batches as the pipeline
settles them; it prints CPU µs per message and per inbound event, and penalty-state records
per event (one per key and batch).

``--gc worker`` (the default) collects garbage as a worker does (``gc.freeze()`` once the
messages are built, then :data:`sla_police.worker.WORKER_GC_THRESHOLDS`); ``--gc default``
keeps Python's thresholds, as this bench did before 2026-12-05 (perf-fire). With those, the
cyclic collector's walks grow with what the process holds (every output the fakes record),
so the cost per message grew with ``--events`` (bench/RESULTS.md, perf-fire).

    .venv/bin/python -m bench.bench_ticket_stage [--events N] [--repeat N] [--profile]
        [--cache N] [--batch N] [--gc worker|default]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import hashlib
import pstats
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from aiokafka.partitioner import DefaultPartitioner

from bench._common import PARTITIONS, load_average
from bench.bench_stream_throughput import TICK_EVERY, make_backlog
from models import CloudEvent, parse_event
from models.topics import INBOUND_TOPICS, inbound_route
from sla.config import load_config
from sla.engine import SlaEngine
from sla.penalties import PenaltyEngine
from sla_police.worker import WORKER_GC_THRESHOLDS
from streams.clock import watermarks
from streams.fakes import ColumnDictStore, DictStore, FakeEvent, RecordingEmitter, SettableCommitted
from streams.penalty_stage import PenaltyStage, state_partition
from streams.ticket_cache import DEFAULT_TICKET_CACHE
from streams.ticket_stage import TicketRecovery, TicketStage, mark_partition, ticket_partition
from streams.ticket_store import due_record_of_value
from streams.topics import TICK, WATERMARK

__all__ = ["main", "messages_of"]

CONFIG_PATH = Path(__file__).parents[1] / "deploy" / "config" / "sla-police.yaml"
CLOCK_TOPIC, TRIGGERS_TOPIC = "bench-clock", "bench-penalty-triggers"
_CHOOSE, _EVERY = DefaultPartitioner(), list(range(PARTITIONS))
#: (label, substring of a profiled function's "file:line(name)"), for the per-part table.
PARTS = [
    ("parse inbound (models.parse_event)", "(parse_event)"),
    ("load a ticket (_load)", "ticket_stage.py:%(_load)"),
    ("  decode_stored", "(decode_stored)"),
    ("engine.receive", "engine.py:%(receive)"),
    ("advance (_advance, all of it)", "(_advance)"),
    ("  engine.advance", "engine.py:%(advance)"),
    ("  notifications_for", "(notifications_for)"),
    ("  outputs to_json (outbox)", "_envelope.py:%(to_json)"),
    ("  save a ticket (_save)", "(_save)"),
    ("    encode_stored", "(encode_stored)"),
    ("    due_record", "(due_record)"),
    ("  emitter.publish (fake)", "fakes.py:%(publish)"),
    ("  clock_pairs", "(clock_pairs)"),
    ("  _committed", "(_committed)"),
    ("metrics (prometheus)", "streams/metrics.py"),
]


def messages_of(lines: list[bytes], partitions: int = PARTITIONS) -> list[FakeEvent]:
    """The messages the ticket stage reads, in the order one partition's consumer sees them
    (each partition's messages in offset order; partitions interleaved as published)."""
    choose, every = DefaultPartitioner(), list(range(partitions))
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    out: list[FakeEvent] = []

    def add(topic: str, partition: int, key: bytes | None, value: bytes, headers: dict) -> None:
        offset = offsets[(topic, partition)]
        offsets[(topic, partition)] = offset + 1
        out.append(FakeEvent(topic, partition, offset, key, value, headers))

    def tick(when) -> None:
        for topic in INBOUND_TOPICS:
            for partition in every:
                add(topic, partition, None, b"", {TICK: when.isoformat().encode()})

    marks, last = watermarks(lines), None
    for n, line in enumerate(lines):
        topic, key = inbound_route(line)
        add(topic, choose(key, every, every), key, line, {})
        if marks[n] is not None and n % TICK_EVERY == 0 and (last is None or marks[n] > last):
            tick(marks[n])
            last = marks[n]
    tick(max(parse_event(line, accept="inbound").time for line in lines))  # type: ignore
    return out


class TriggerLog(RecordingEmitter):
    """A recording emitter that also keeps what the department stage would read, in order:
    the triggers topic's messages (per department, a pack of its triggers of a batch, as
    :class:`streams.emit.Emitter` sends them; watermarks to every partition), partitioned
    as the worker's producer would."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[int, bytes, bytes, dict[str, bytes]]] = []
        self.packs: dict[bytes, list[bytes]] = {}

    async def publish(self, events: Iterable[CloudEvent], *, triggers: bool = False,
                      texts: list[str] | None = None) -> None:
        """As the worker's emitter: ``texts`` (each event's JSON, the stage's outbox) is
        used, not checked (the fake's check serialises every output again)."""
        events = list(events)
        await super().publish(events, triggers=triggers)
        for index, event in enumerate(events) if triggers else ():
            if PenaltyEngine.is_trigger(event):
                value = (event.to_json() if texts is None else texts[index]).encode()
                for department in PenaltyEngine.departments_for(event):
                    self.packs.setdefault(department.encode(), []).append(value)

    def flush_triggers(self) -> None:
        """The packs, as the changelog writer's send (after each batch) adds them."""
        packs, self.packs = self.packs, {}
        for key, values in packs.items():
            self.sent.append((_CHOOSE(key, _EVERY, _EVERY), key, b"\n".join(values), {}))

    async def watermark(self, source_partition: int, when: str) -> None:
        await super().watermark(source_partition, when)
        self.flush_triggers()
        for partition in _EVERY:
            self.sent.append((partition, b"", b"", {WATERMARK: f"{source_partition}|{when}"
                                                    .encode()}))

    def messages(self) -> list[FakeEvent]:
        offsets: dict[int, int] = defaultdict(int)
        out = []
        for partition, key, value, headers in self.sent:
            out.append(FakeEvent(TRIGGERS_TOPIC, partition, offsets[partition], key or None,
                                 value, headers))
            offsets[partition] += 1
        return out


class PenaltyPass:
    """One fresh department stage on fakes, fed the ticket stage's triggers and watermarks in
    batches, as :meth:`streams.pipeline.Pipeline.process_batch` does."""

    def __init__(self, batch: int) -> None:
        self.commits = SettableCommitted()
        self.state = DictStore(state_partition)
        self.stage = PenaltyStage(load_config(CONFIG_PATH), RecordingEmitter(),
                                  sources=PARTITIONS, topic_name=TRIGGERS_TOPIC,
                                  state=self.state, commits=self.commits)
        self.batch = batch
        self.records = 0  # penalty-state records a changelog writer would send

    async def run(self, messages: list[FakeEvent]) -> None:
        await self.stage.rebuild(set(_EVERY), {})
        for start in range(0, len(messages), self.batch):
            chunk = messages[start:start + self.batch]
            written = len(self.state.writes)
            for event in chunk:
                self.stage.receive(event)
            for partition, (last, released) in self.stage.take_touched().items():
                await self.stage.settle(partition, last.message.offset, released)
            self.records += len({key for key, _ in self.state.writes[written:]})
            for event in chunk:
                self.commits.offsets[(event.topic, event.partition)] = event.offset + 1


class Pass:
    """One fresh ticket stage on fakes, fed every message once."""

    def __init__(self, batch: int, cache: int = DEFAULT_TICKET_CACHE) -> None:
        self.emitter, self.commits = TriggerLog(), SettableCommitted()
        self.tickets = ColumnDictStore(ticket_partition, due_record_of_value)
        self.stage = TicketStage(SlaEngine(load_config(CONFIG_PATH)), self.emitter, "stream",
                                 clock_topic=CLOCK_TOPIC, tickets=self.tickets,
                                 marks=DictStore(mark_partition), commits=self.commits,
                                 cache_size=cache)
        self.batch = batch
        self.records = 0  # ticket rows a changelog writer would send (one per key and batch)

    async def run(self, messages: list[FakeEvent]) -> None:
        await TicketRecovery(self.stage).rebuild(set(range(PARTITIONS)), {})
        for start in range(0, len(messages), self.batch):
            chunk = messages[start:start + self.batch]
            written = len(self.tickets.writes)
            for event in chunk:
                await self.stage.process(event)
            self.emitter.flush_triggers()
            self.records += len({key for key, _ in self.tickets.writes[written:]})
            for event in chunk:  # committed once the batch is done, as the worker does
                self.commits.offsets[(event.topic, event.partition)] = event.offset + 1

    def digests(self) -> tuple[str, str]:
        outputs = hashlib.sha256()
        for event in self.emitter.published:
            outputs.update(event.to_json_bytes() + b"\n")
        rows = hashlib.sha256()
        for key in sorted(self.tickets.data):
            rows.update(key + b"\0" + self.tickets.data[key] + b"\0" + self.tickets.column[key])
        return outputs.hexdigest()[:16], rows.hexdigest()[:16]


def timed(messages: list[FakeEvent], batch: int, cache: int) -> tuple[float, Pass]:
    one = Pass(batch, cache)
    started = time.process_time()
    asyncio.run(one.run(messages))
    return time.process_time() - started, one


def timed_penalties(messages: list[FakeEvent], batch: int) -> tuple[float, PenaltyPass]:
    one = PenaltyPass(batch)
    started = time.process_time()
    asyncio.run(one.run(messages))
    return time.process_time() - started, one


def profiled(messages: list[FakeEvent], batch: int, cache: int) -> None:
    profile = cProfile.Profile()
    one = Pass(batch, cache)
    profile.enable()
    asyncio.run(one.run(messages))
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    whole = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in stats.items())
    print(f"  cProfile pass: {whole:.2f} s profiled; cumulative share per part:")
    for label, pattern in PARTS:
        total = sum(ct for (f, line, name), (_cc, _nc, _tt, ct, _c) in stats.items()
                    if _matches(pattern, f, line, name))
        print(f"    {label:<40} {total / whole:6.1%}  {total / len(messages) * 1e6:6.0f} us/msg "
              "(profiled)")


def _matches(pattern: str, file: str, _line: int, name: str) -> bool:
    """``file-part:%(name)``, ``(name)`` or a path part; recursion is not double counted
    by cProfile's cumulative time of the outermost call only if names are distinct."""
    if pattern.startswith("("):
        return f"({name})" == pattern
    if ":%(" in pattern:
        where, what = pattern.split(":%")
        return file.endswith(where) and f"({name})" == what
    return pattern in file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000, help="messages per commit")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best is shown)")
    parser.add_argument("--profile", action="store_true", help="add a cProfile pass")
    parser.add_argument("--cache", type=int, default=DEFAULT_TICKET_CACHE,
                        help=f"decoded tickets kept (SLA_TICKET_CACHE, {DEFAULT_TICKET_CACHE})")
    parser.add_argument("--gc", choices=("worker", "default"), default="worker",
                        help="the worker's garbage collection settings, or Python's")
    args = parser.parse_args()
    lines = make_backlog(args.events)
    messages = messages_of(lines)
    if args.gc == "worker":  # as sla_police.worker.run_worker: start-up objects frozen
        gc.collect()
        gc.freeze()
        gc.set_threshold(*WORKER_GC_THRESHOLDS)
    print(f"ticket stage on fakes: {len(lines):,} events, {len(messages):,} messages "
          f"(ticks included), batch {args.batch}, gc {args.gc} {gc.get_threshold()}  "
          f"[{load_average()}]")
    best, one = min((timed(messages, args.batch, args.cache) for _ in range(args.repeat)),
                    key=lambda found: found[0])
    cache = one.stage.cache
    print(f"  CPU per message: {best / len(messages) * 1e6:.0f} us (best of {args.repeat}: "
          f"{best:.2f} s)  [{load_average()}]; ticket cache {args.cache:,}: {cache.hits:,} "
          f"hits, {cache.misses:,} misses")
    print(f"  outputs published per event: {len(one.emitter.published) / len(lines):.2f}; "
          f"ticket rows per event, one per key and batch: {one.records / len(lines):.2f}")
    outputs, rows = one.digests()
    print(f"  sha256 of outputs {outputs}, of rows and due records {rows}")
    penalty_messages = one.emitter.messages()
    spent, penalties = min((timed_penalties(penalty_messages, args.batch)
                            for _ in range(args.repeat)), key=lambda found: found[0])
    print(f"department stage on fakes: {len(penalty_messages):,} messages (triggers and "
          f"watermarks, {len(penalty_messages) / len(lines):.2f} per event): "
          f"{spent / len(penalty_messages) * 1e6:.0f} us CPU per message, "
          f"{spent / len(lines) * 1e6:.0f} us per inbound event; penalty-state records per "
          f"event {penalties.records / len(lines):.2f}; outputs per event "
          f"{len(penalties.stage.emitter.published) / len(lines):.2f}")  # type: ignore[attr-defined]

    if args.profile:
        profiled(messages, args.batch, args.cache)


if __name__ == "__main__":
    main()
