"""The Faust readers of the stream throughput bench: the empty agent, and the write floor.

Both are Faust apps made by :func:`streams.app.create_app` (the worker's settings, memory
store), run in a subprocess of their own (``--faust-child``) and counted in the agent (a
``/count`` page), so they pay exactly the consumer path the worker pays:

- **empty agent** (``passthrough``): forwards each message to one topic, a Faust send each.
  Issue 16, target 2 measures the worker against it.
- **write floor** (``floor``): what any SLA Police worker must do per message whatever its
  domain code: take the messages in batches as the worker does (``stream.take_events`` with
  the worker's batch settings), validate each against the event contract
  (:func:`models.parse_event`: bad input must be dead-lettered, not guessed at), and write
  the Kafka records an inbound event needs at the least: its ticket's row once (one
  changelog record; the issue's aim is at most 1.2), the outputs (real ones, serialised:
  a cycle of the outputs of the backlog's first events) and the internal messages
  (triggers, watermarks for the department stage) the worker wrote per event in this bench
  on the same backlog, of their measured mean sizes, handed over as record batches after
  each batch (:class:`streams.record_batches.RecordBatches`, the worker's own path), and
  read the internal messages back in a second agent, as the department stage does. No
  engine, no table, no state; timed until the internal messages are read too. Its rate
  over the empty agent's is the highest ratio a worker writing and reading those records
  through Faust and aiokafka could reach: the ceiling of target 2 on this stack, measured
  in the same run.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench._common import cpu_seconds, load_average, wait_until
from models.topics import COMPLAINTS, TICKET_EVENTS

__all__ = ["FLOOR", "FLOOR_TOPICS", "SINK", "Run", "faust_child", "faust_reader"]

SINK = "bench-passthrough"
POLL = 0.2  # seconds between polls of the reader's /count page


@dataclass(frozen=True)
class FloorWrites:
    """Records per inbound event and their sizes, as the worker wrote them on this bench's
    backlog (stream clock, 20,000 events, 2026-12-05): 2.28 outputs and 0.12 internal
    messages per event (the bench's "written per inbound event" line, trigger packs and
    watermarks; 0.46 before the packs); ticket rows of 2,545 bytes on average
    (``bench.bench_ticket_stage``'s fakes, 5,000 events), internal messages of the mean
    output's size (674 bytes; the outputs themselves are real ones, serialised). Changelog:
    one row per event, the least (each event changes its ticket)."""

    changelog: float = 1.0
    outputs: float = 2.28
    internal: float = 0.12
    row_bytes: int = 2_545
    internal_bytes: int = 674

    def describe(self) -> str:
        return (f"parse + {self.changelog:g} row of {self.row_bytes:,} B, {self.outputs:g} "
                f"real outputs and {self.internal:g} internal of {self.internal_bytes} B per event")


FLOOR = FloorWrites()
FLOOR_TOPICS = ("bench-floor-changelog", "bench-floor-outputs", "bench-floor-internal")


@dataclass(frozen=True)
class Run:
    """One reader's result: messages, seconds from first to last, CPU seconds it used."""

    label: str
    messages: int
    seconds: float
    cpu: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    @property
    def cpu_per_message(self) -> float:
        return self.cpu / self.messages

    def show(self) -> None:
        print(f"  {self.label:<40} {self.messages:>7,} msgs {self.seconds:7.2f} s "
              f"{self.rate:>9,.0f} msg/s  {self.cpu / self.messages * 1e6:6.0f} CPU us/msg  "
              f"[{load_average()}]{self.note}")


# -- in the subprocess ----------------------------------------------------------------------
def faust_child(bootstrap: str, data_dir: str, port: int, partitions: int, mode: str) -> None:
    """Run the ``mode`` (passthrough or floor) Faust app until stopped; count at /count."""
    import faust

    from streams.app import create_app
    from streams.config import StreamSettings

    settings = StreamSettings(kafka_bootstrap=bootstrap, data_dir=Path(data_dir),
                              web_port=port, table_store="memory://",
                              topic_partitions=partitions,
                              app_id=f"bench-faust-{mode}", log_level="WARNING")
    app = create_app(settings)
    source = app.topic(COMPLAINTS, TICKET_EVENTS, key_serializer="raw", value_serializer="raw")
    seen = {"count": 0, "first": 0.0, "last": 0.0, "internal sent": 0, "internal read": 0}
    add = _passthrough if mode == "passthrough" else _floor
    add(app, source, settings, partitions, seen)

    @app.page("/count")
    async def count_view(web: faust.web.Web, request: faust.web.Request) -> faust.web.Response:
        return web.json(seen)

    faust.Worker(app, loglevel="WARNING", quiet=True,
                 redirect_stdouts=False).execute_from_commandline()


def _passthrough(app, source, settings, partitions: int, seen: dict) -> None:
    sink = app.topic(SINK, partitions=partitions, key_serializer="raw", value_serializer="raw")

    @app.agent(source, concurrency=1)
    async def passthrough(stream) -> None:
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)
            seen["first"] = seen["first"] or time.time()
            seen["count"] += 1
            seen["last"] = time.time()


def _sample_outputs() -> itertools.cycle:
    """Outputs of the backlog's first events (replayed here, before anything is read), in
    a cycle: the floor serialises a real mix of outputs, as a worker must."""
    from bench.bench_replay import CONFIG
    from bench.bench_stream_throughput import make_backlog
    from sla.config import load_config
    from sla.replay import replay_lines

    return itertools.cycle(replay_lines(make_backlog(300), load_config(CONFIG)).outputs)


def _floor(app, source, settings, partitions: int, seen: dict) -> None:
    from models import parse_event
    from streams.record_batches import RecordBatches

    batches, outputs = RecordBatches.of(app), _sample_outputs()
    row, internal_value = b"r" * FLOOR.row_bytes, b"i" * FLOOR.internal_bytes
    owed = {FLOOR_TOPICS[1]: 0.0, FLOOR_TOPICS[2]: 0.0}
    per_event = {FLOOR_TOPICS[1]: FLOOR.outputs, FLOOR_TOPICS[2]: FLOOR.internal}

    @app.agent(source, concurrency=1)
    async def floor(stream) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            seen["first"] = seen["first"] or time.time()  # from the first batch taken
            for event in events:
                parse_event(event.value, accept="inbound")  # ticks are rejected: still read
                key = event.key or b""
                batches.add(FLOOR_TOPICS[0], key, row)
                for topic, share in per_event.items():
                    owed[topic] += share
                    while owed[topic] >= 1:
                        owed[topic] -= 1
                        if topic == FLOOR_TOPICS[1]:  # an output: serialised, as the contract asks
                            batches.add(topic, key, next(outputs).to_json().encode())
                        else:
                            batches.add(topic, key, internal_value)
                            seen["internal sent"] += 1
            await batches.send()
            seen["count"] += len(events)
            seen["last"] = time.time()

    internal = app.topic(FLOOR_TOPICS[2], key_serializer="raw", value_serializer="raw")

    @app.agent(internal, concurrency=1)
    async def department_reader(stream) -> None:
        """Read the internal messages back, as the worker's department stage does."""
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within):
            for event in events:
                parse_event(event.value, accept="any")
            seen["internal read"] += len(events)
            seen["last"] = max(seen["last"], time.time())


# -- in the bench -------------------------------------------------------------------------
def faust_reader(stack, bootstrap: str, scratch: Path, messages: int, partitions: int,
                 mode: str) -> Run:
    """Run the ``mode`` Faust app in a subprocess until it has read ``messages``."""
    from streams.testing import free_port

    port, data = free_port(), scratch / f"faust-{mode}"
    data.mkdir()
    log = (data / "child.log").open("wb")
    started = time.time()
    child = subprocess.Popen([sys.executable, "-m", "bench.bench_stream_throughput",
                              "--faust-child", bootstrap, str(data), str(port),
                              str(partitions), mode],
                             stdout=log, stderr=subprocess.STDOUT)
    stack.callback(_stop, child)
    at_first: list[tuple[float, int]] = []  # (CPU seconds, count) at the first poll

    def counted() -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/count", timeout=2) as r:
                seen = json.loads(r.read())
        except OSError:
            return None
        if seen["count"] and not at_first:  # start-up CPU is not counted
            at_first.append((cpu_seconds(child.pid), seen["count"]))
        done = seen["count"] >= messages and seen["internal read"] >= seen["internal sent"]
        return seen if done else None

    seen = wait_until(counted, timeout=messages / 100 + 120, poll=POLL,
                      what=f"faust {mode} done")
    cpu_first, count_first = at_first[0]
    cpu = cpu_seconds(child.pid) - cpu_first  # spent on the messages after the first poll
    _stop(child)
    if count_first >= seen["count"]:
        raise RuntimeError(f"faust {mode} read all {messages:,} messages before its first "
                           "poll: too few to time, use more --events")
    cpu *= seen["count"] / (seen["count"] - count_first)
    label = "empty Faust agent passthrough" if mode == "passthrough" else "write floor (Faust)"
    return Run(label, seen["count"], seen["last"] - seen["first"], cpu,
               f" (start-up {seen['first'] - started:.1f} s)")


def _stop(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
