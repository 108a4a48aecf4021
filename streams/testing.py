"""Helpers to drive a real worker from tests, benchmarks and demos.

- :class:`WorkerProcess`: a ``sla-police worker`` subprocess with its own data
  directory and web port; start, wait until ready, stop (SIGTERM) or kill (SIGKILL).
- :func:`publish_log`: publish JSONL lines in file order, with stream-clock ticks
  that never pass an unpublished event, then a final tick at ``until``.
- :func:`settle` waits until the worker group has committed all its input (exact end
  offsets, never "quiet for a while"); :func:`read_outputs` reads the outbound topics to
  their end; :func:`settled_outputs` does both.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.topics import (
    CALL_ROUTES,
    CALLS,
    DEAD_LETTERS,
    INBOUND_TOPICS,
    OUTBOUND_ROUTES,
    inbound_route,
)
from streams.clock import publish_tick, watermarks
from streams.offsets import committed_offsets
from streams.recovery import exact_end_offsets

__all__ = [
    "OUTBOUND_TOPICS",
    "WorkerProcess",
    "end_offsets",
    "free_port",
    "group_lag",
    "metric_query",
    "pipeline_inputs",
    "publish_lines",
    "publish_log",
    "read_outputs",
    "read_records",
    "settle",
    "settled_outputs",
    "wait_until_shared",
]

OUTBOUND_TOPICS = sorted({t for routes in OUTBOUND_ROUTES.values() for t, _ in routes}
                         | {t for routes in CALL_ROUTES.values() for t, _ in routes} - {CALLS}
                         | {DEAD_LETTERS})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def metric_query(names: Iterable[str]) -> str:
    """The query string of a worker's ``/metrics`` that asks only for the samples ``names``
    (``name[]=...`` each, as Prometheus' client libraries filter)."""
    return urllib.parse.urlencode([("name[]", name) for name in names])


@dataclass
class WorkerProcess:
    bootstrap: str
    data_dir: Path
    app_id: str = "sla-police-test"
    clock: str = "stream"
    store: str = "memory://"
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    #: the ``sla-police`` command run: a worker, or ``("ledger", "sink")``
    command: tuple[str, ...] = ("worker",)

    def start(self) -> WorkerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
        env.update({"SLA_KAFKA_BOOTSTRAP": self.bootstrap, "SLA_CLOCK": self.clock,
                    "SLA_TABLE_STORE": self.store, "SLA_DATA_DIR": str(self.data_dir),
                    "SLA_WEB_PORT": str(self.port), "SLA_APP_ID": self.app_id,
                    "SLA_LOG_LEVEL": "WARNING", **self.extra_env})
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "worker.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "sla_police", *self.command],
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health",
                                        timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            return None

    def events_in(self, answer_within: float = 2.0) -> float | None:
        """Inbound events the worker accepted so far (``sla_events_in_total``); None when
        its web server gave no answer within ``answer_within`` seconds (not started yet,
        or too busy: a worker working through a backlog on a loaded machine can take
        seconds to answer, which says nothing about what it processed)."""
        return self.metric_total("sla_events_in_total", answer_within)

    def metric_total(self, name: str, answer_within: float = 2.0) -> float | None:
        """The sum of the worker's samples of metric ``name`` over all labels; None when
        its web server gave no answer within ``answer_within`` seconds."""
        from prometheus_client.parser import text_string_to_metric_families

        deadline = time.monotonic() + answer_within
        while True:
            left = deadline - time.monotonic()
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{self.port}/metrics?{metric_query([name])}",
                        timeout=max(0.5, left)) as response:
                    text = response.read().decode()
                break
            except OSError:
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.2)
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples if sample.name == name)

    def wait_ready(self, timeout: float = 60.0, partitions: int | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"worker exited ({self.process.returncode}):\n{self.log()}")
            health = self.health()
            if health and health["ready"] and (
                    partitions is None or len(health["ticket_partitions"]) == partitions):
                return health
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        path = self.data_dir / "worker.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_until_shared(*workers: WorkerProcess, partitions: int = 4,
                      timeout: float = 90.0) -> None:
    """Until every worker is ready and they own ``partitions`` ticket partitions between
    them, evenly."""
    deadline = time.monotonic() + timeout
    even = [partitions // len(workers)] * len(workers)
    while time.monotonic() < deadline:
        healths = [worker.health() for worker in workers]
        if all(h and h["ready"] for h in healths) and sorted(
                len(h["ticket_partitions"]) for h in healths) == even:  # type: ignore[index]
            return
        time.sleep(0.3)
    raise TimeoutError(f"partitions not shared: {[w.health() for w in workers]}")


async def publish_log(bootstrap: str, lines: Sequence[bytes], until: datetime, *,
                      partitions: int, tick_every: int = 25,
                      on_line: Callable[[int], object] | None = None) -> None:
    """Publish ``lines`` in order (invalid ones too), ticking the stream clock."""
    from aiokafka import AIOKafkaProducer

    marks = watermarks(lines)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, acks="all")
    await producer.start()
    try:
        last_tick: datetime | None = None
        for n, line in enumerate(lines):
            topic, key = inbound_route(line)
            await producer.send(topic, value=line, key=key)
            mark = marks[n]
            if mark is not None and (n % tick_every == 0) and (last_tick is None
                                                                or mark > last_tick):
                await producer.flush()
                await publish_tick(producer, partitions, mark)
                last_tick = mark
            if on_line is not None:
                await _maybe_await(on_line(n))
        await producer.flush()
        await publish_tick(producer, partitions, until)
        await producer.flush()
    finally:
        await producer.stop()


async def publish_lines(bootstrap: str, lines: Sequence[bytes], *, linger_ms: int = 0) -> None:
    """Publish ``lines`` in order on their inbound topics, keyed as a producer keys them
    (:func:`models.topics.inbound_route`), without clock ticks (a wall-clock worker)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=linger_ms, acks="all")
    await producer.start()
    try:
        for line in lines:
            topic, key = inbound_route(line)
            await producer.send(topic, value=line, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value):
        await value


async def end_offsets(bootstrap: str, topics: Iterable[str] | None = None
                      ) -> dict[tuple[str, int], int]:
    """{(topic, partition): exact end offset} of ``topics`` (default: every topic).

    Exact on Tansu too, whose ListOffsets under-reports (:func:`exact_end_offsets`).
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        names = set(await consumer.topics()) if topics is None else set(topics)
        tps = [TopicPartition(t, p) for t in sorted(names)
               for p in sorted(consumer.partitions_for_topic(t) or ())]
        listed = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    exact = await exact_end_offsets(listed, bootstrap_servers=bootstrap)
    return {(tp.topic, tp.partition): end for tp, end in exact.items()}


async def group_lag(bootstrap: str, group: str, topics: Iterable[str]) -> int:
    """Messages of ``topics`` that consumer group ``group`` has not committed yet."""
    ends = await end_offsets(bootstrap, topics)
    committed = await committed_offsets(bootstrap, group, list(ends))
    return sum(max(0, end - committed[tp]) for tp, end in ends.items())


def pipeline_inputs(app_id: str) -> list[str]:
    """Every topic a worker group consumes: the inbound topics and its internal ones."""
    return [*INBOUND_TOPICS, f"{app_id}-clock", f"{app_id}-penalty-triggers", CALLS,
            f"{app_id}-calls-clock", f"{app_id}-calls-qa"]


def settle(bootstrap: str, app_id: str, *, timeout: float = 120.0, rounds: int = 2) -> None:
    """Wait until the worker group has committed every message of its input topics.

    Round 1 covers what was published; what processing it sent to the internal topics
    (penalty triggers, watermarks) is on the broker once its cause is committed (the
    producer is flushed before every commit), and round 2 waits for that too. Raises
    ``TimeoutError`` naming the partitions still behind when the group's committed offsets
    have not moved for ``timeout`` seconds: a stall. A group that is only slow (a loaded
    machine, a worker restoring its tables) keeps moving and is waited for; how fast it
    goes is for the benchmarks to say, not for a test.
    """
    inputs = pipeline_inputs(app_id)
    for _ in range(rounds):
        ends = asyncio.run(end_offsets(bootstrap, inputs))
        last: dict = {}
        moved_at = time.monotonic()
        while True:
            committed = asyncio.run(committed_offsets(bootstrap, app_id, list(ends)))
            behind = {tp: (committed[tp], end) for tp, end in ends.items()
                      if committed[tp] < end}
            if not behind:
                break
            if committed != last:
                last, moved_at = committed, time.monotonic()
            elif time.monotonic() - moved_at > timeout:
                raise TimeoutError(f"group {app_id} stalled for {timeout:.0f} s, still behind "
                                   f"(committed, end): {behind}")
            time.sleep(0.2)


def read_outputs(bootstrap: str, topics: Sequence[str] = OUTBOUND_TOPICS
                 ) -> dict[str, list[bytes]]:
    """Every message value of ``topics``, read from the start up to their end offsets now."""
    records = read_records(bootstrap, topics)
    return {topic: [r.value for r in found] for topic, found in records.items()}


def read_records(bootstrap: str, topics: Sequence[str] = OUTBOUND_TOPICS) -> dict[str, list]:
    """Like :func:`read_outputs`, as aiokafka ``ConsumerRecord`` objects (with their
    timestamps: when the worker published them)."""
    return asyncio.run(_read_to_end(bootstrap, list(topics)))


async def _read_to_end(bootstrap: str, topics: list[str]) -> dict[str, list]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    ends = await end_offsets(bootstrap, topics)
    found: dict[str, list] = {t: [] for t in topics}
    wanted = {TopicPartition(t, p): end for (t, p), end in ends.items() if end > 0}
    if not wanted:
        return found
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        while wanted:
            batches = await consumer.getmany(*wanted, timeout_ms=1000)
            for tp, records in batches.items():
                found[tp.topic].extend(r for r in records if r.offset < wanted[tp])
                if records and records[-1].offset >= wanted[tp] - 1:
                    del wanted[tp]
    finally:
        await consumer.stop()
    return found


def settled_outputs(bootstrap: str, app_id: str, *, timeout: float = 120.0
                    ) -> dict[str, list[bytes]]:
    """What the worker group published once it has processed all its input."""
    settle(bootstrap, app_id, timeout=timeout)
    return read_outputs(bootstrap)
