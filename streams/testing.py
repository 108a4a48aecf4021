"""Helpers to drive a real worker from tests, benchmarks and demos.

- :class:`WorkerProcess`: a ``sla-police worker`` subprocess with its own data
  directory and web port; start, wait until ready, stop (SIGTERM) or kill (SIGKILL).
- :func:`publish_log`: publish JSONL lines in file order, with stream-clock ticks
  that never pass an unpublished event, then a final tick at ``until``.
- :func:`collect`: read every outbound topic from the start until it is quiet.
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
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.topics import DEAD_LETTERS, OUTBOUND_ROUTES, inbound_route
from streams.clock import publish_tick, watermarks

__all__ = ["OUTBOUND_TOPICS", "WorkerProcess", "collect", "free_port", "publish_log"]

OUTBOUND_TOPICS = sorted({t for routes in OUTBOUND_ROUTES.values() for t, _ in routes}
                         | {DEAD_LETTERS})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def start(self) -> WorkerProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
        env.update({"SLA_KAFKA_BOOTSTRAP": self.bootstrap, "SLA_CLOCK": self.clock,
                    "SLA_TABLE_STORE": self.store, "SLA_DATA_DIR": str(self.data_dir),
                    "SLA_WEB_PORT": str(self.port), "SLA_APP_ID": self.app_id,
                    "SLA_LOG_LEVEL": "WARNING", **self.extra_env})
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "worker.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "sla_police", "worker"],
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health",
                                        timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            return None

    def events_in(self) -> float | None:
        """Inbound events the worker accepted so far (``sla_events_in_total``); None while
        its web server does not answer."""
        from prometheus_client.parser import text_string_to_metric_families

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics",
                                        timeout=2) as response:
                text = response.read().decode()
        except OSError:
            return None
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples if sample.name == "sla_events_in_total")

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


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value):
        await value


def collect(bootstrap: str, *, quiet: float = 4.0, timeout: float = 120.0,
            settle: Callable[[list[bytes]], bool] | None = None) -> dict[str, list[bytes]]:
    """Every message on the outbound topics, read from the beginning until no new
    message arrived for ``quiet`` seconds and ``settle(values)`` agrees, or until
    ``timeout`` (then what was found so far; the caller's checks show the gap)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=500)
    consumer.subscribe(OUTBOUND_TOPICS)
    found: dict[str, list[bytes]] = {t: [] for t in OUTBOUND_TOPICS}
    deadline, last_new = time.monotonic() + timeout, time.monotonic()
    try:
        while time.monotonic() < deadline:
            got = False
            for message in consumer:
                found[message.topic].append(message.value)
                got = True
            if got:
                last_new = time.monotonic()
            values = [v for vs in found.values() for v in vs]
            if time.monotonic() - last_new >= quiet and (settle is None or settle(values)):
                return found
        return found  # not settled: the caller's comparison says what is missing
    finally:
        consumer.close()
