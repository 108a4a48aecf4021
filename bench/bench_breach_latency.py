"""Breach latency: how late a wall-clock worker publishes ``sla.breached`` after the due time.

A real worker (``SLA_CLOCK=wall``, memory store) on a fresh embedded broker. This process
publishes N P1 complaints (P1: 24x7 calendar, acknowledge within 15 min) whose event times
are chosen so that their acknowledge due times (time + 15 min) spread evenly over ``--spread``
seconds of wall clock, starting ``--lead`` seconds after publishing ends. The complaints are
15 min old when read, so their two warnings (50 % and 80 %) are due at once and published
during ingest; the breaches come later, by the worker's own timer.

It reads ``sla-outcomes`` meanwhile and, for every ``sla.breached``, takes the Kafka message
timestamp (CreateTime: set by the worker's producer) and this consumer's receive time, each
minus ``data.due_at``. It prints p50, p99 and max of both, split by whether the breach fell due
before or after the worker had ingested every complaint. It also reads the worker's wake-up
topic to show the timer side of the delay: from due to the first wake-up the worker sent on
that partition after it (the rest is the wake-up queueing in the worker, and the firing).
Last, the worker's own histogram ``sla_breach_emit_delay_seconds``.

    .venv/bin/python -m bench.bench_breach_latency [--tickets N] [--spread S] [--lead S]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench._common import (
    PARTITIONS,
    Histogram,
    bench_session,
    complaint_line,
    load_average,
    machine_summary,
    publish_fast,
    scrape,
    total,
)
from models.topics import COMPLAINTS, OUTCOMES

__all__ = ["main"]

ACKNOWLEDGE = timedelta(minutes=15)  # P1 in deploy/config/sla-police.yaml
APP_ID = "bench-breach"
CLOCK_TOPIC = f"{APP_ID}-clock"  # the worker's wake-up topic (streams.topics.internal_names)


def plan(tickets: int, first_due: datetime, spread: float) -> list[tuple[str, bytes, bytes]]:
    """``(topic, key, value)`` of N P1 complaints, due evenly over ``spread`` seconds."""
    step = spread / max(tickets - 1, 1)
    out = []
    for n in range(tickets):
        ticket = f"T-BREACH-{n:06d}"
        when = first_due + timedelta(seconds=n * step) - ACKNOWLEDGE
        out.append((COMPLAINTS, ticket.encode(), complaint_line(ticket, when, priority="P1",
                                                                category="network.outage")))
    return out


@dataclass
class Seen:
    """What the bench read: breaches ``(partition, due, Kafka timestamp, received)`` by id,
    and the Kafka timestamps of the worker's wake-ups on its clock topic, by partition."""

    breaches: dict[str, tuple[int, float, float, float]] = field(default_factory=dict)
    wakes: dict[int, list[float]] = field(default_factory=dict)
    duplicates: int = 0  # breach messages whose id was already read

    def take(self, message, received: float) -> None:
        """Record one message read from ``sla-outcomes`` or the clock topic."""
        if message.topic != OUTCOMES:
            self.wakes.setdefault(message.partition, []).append(message.timestamp / 1000)
        elif b'"sla.breached"' in message.value:
            event = json.loads(message.value)
            due = datetime.fromisoformat(event["data"]["due_at"]).timestamp()
            self.duplicates += event["id"] in self.breaches
            self.breaches.setdefault(event["id"], (message.partition, due,
                                                   message.timestamp / 1000, received))


async def read_outputs(bootstrap: str, clock_topic: str, tickets: int, until: float) -> Seen:
    """Read ``sla-outcomes`` and the clock topic until N breaches are in or ``until``."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=50)
    await consumer.start()
    consumer.assign([TopicPartition(t, p) for t in (OUTCOMES, clock_topic)
                     for p in range(PARTITIONS)])
    seen = Seen()
    try:
        while len(seen.breaches) < tickets and time.time() < until:
            batch = await consumer.getmany(timeout_ms=200)
            received = time.time()
            for message in (m for ms in batch.values() for m in ms):
                seen.take(message, received)
    finally:
        await consumer.stop()
    return seen


async def watch_ingest(port: int, tickets: int, until: float) -> float | None:
    """Wall time at which the worker had accepted every complaint (polled /metrics)."""
    while time.time() < until:
        samples = await asyncio.to_thread(scrape, port)
        if total(samples, "sla_events_in_total") >= tickets:
            return time.time()
        await asyncio.sleep(0.2)
    return None


async def run(bootstrap: str, port: int, args: argparse.Namespace) -> None:
    """Publish the complaints, read the breaches as they come, print the delays."""
    publish_estimate = args.tickets / 10_000  # seconds; printed below as measured
    first_due = datetime.now(UTC) + timedelta(seconds=args.lead + publish_estimate + 1)
    messages = plan(args.tickets, first_due, args.spread)
    until = first_due.timestamp() + args.spread + args.grace
    reader = asyncio.create_task(read_outputs(bootstrap, CLOCK_TOPIC, args.tickets, until))
    started = time.time()
    await publish_fast(bootstrap, messages)
    published = time.time()
    ingested = await watch_ingest(port, args.tickets, until)
    seen = await reader
    due0 = first_due.timestamp()
    print(f"  published {args.tickets:,} complaints in {published - started:.1f} s; first due "
          f"{due0 - published:.1f} s after publishing ended, last {args.spread:.0f} s later")
    if ingested is not None:
        print(f"  worker had ingested them all {ingested - published:.1f} s after publishing "
              f"ended, {ingested - due0:+.1f} s relative to the first due time")
    report(seen, args.tickets, ingested or until)


def report(seen: Seen, tickets: int, ingested: float) -> None:
    """Delay percentiles, all and split by whether the breach fell due after ingest."""
    rows = list(seen.breaches.values())
    print(f"  sla.breached received: {len(rows):,} of {tickets:,}, {seen.duplicates:,} "
          f"duplicates  [{load_average()}]")
    groups = {"all": rows, "due after ingest had finished": [r for r in rows if r[1] >= ingested],
              "due while still ingesting": [r for r in rows if r[1] < ingested]}
    for label, group in groups.items():
        if not group:
            continue
        for name, pick in (("Kafka timestamp - due_at", lambda r: r[2] - r[1]),
                           ("received - due_at", lambda r: r[3] - r[1])):
            print(f"  {label:<31} {name:<25} {_stats([pick(r) for r in group])}")
    _breakdown(seen, rows)


def _breakdown(seen: Seen, rows: list[tuple[int, float, float, float]]) -> None:
    """Timer side: from due to the first wake-up the worker sent on that partition after the
    due time (both stamps come from the worker's clock). The rest of the delay is the wake-up
    waiting behind other messages and the firing itself. An earlier wake-up that was read
    late can fire a breach first, so the timer side is an upper bound of the timer's share."""
    timer = []
    for partition, due, _stamp, _ in rows:
        wakes = seen.wakes.get(partition, [])
        i = bisect.bisect_left(wakes, due)
        if i < len(wakes):
            timer.append(wakes[i] - due)
    if timer:
        print(f"  timer side: first wake-up sent after due_at - due_at  {_stats(timer)}")


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (f"n {len(ordered):>6,}  p50 {statistics.median(ordered) * 1000:7.0f} ms  "
            f"p99 {p99 * 1000:7.0f} ms  max {ordered[-1] * 1000:7.0f} ms  "
            f"min {ordered[0] * 1000:6.0f} ms")


def main() -> None:
    """Start a wall-clock worker on a fresh broker and measure its breach delays."""
    from streams.testing import WorkerProcess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000, help="open P1 tickets (10,000)")
    parser.add_argument("--spread", type=float, default=60.0,
                        help="seconds over which the due times spread (60)")
    parser.add_argument("--lead", type=float, default=30.0,
                        help="seconds from the end of publishing to the first due time (30)")
    parser.add_argument("--grace", type=float, default=60.0,
                        help="seconds to wait for breaches after the last due time (60)")
    args = parser.parse_args()
    print(f"breach latency benchmark on {machine_summary()}")
    with bench_session("breach") as (stack, bootstrap, scratch):
        worker = WorkerProcess(bootstrap, scratch / "worker", clock="wall",
                               app_id=APP_ID, store="memory://")
        worker.start()
        stack.callback(worker.stop)
        worker.wait_ready(timeout=90, partitions=PARTITIONS)
        asyncio.run(run(bootstrap, worker.port, args))
        histogram = Histogram.from_samples(scrape(worker.port), "sla_breach_emit_delay_seconds")
        print(f"  worker's sla_breach_emit_delay_seconds: {histogram.describe(1000, 'ms')}")
        print("    cumulative buckets (le: count): " + ", ".join(
            f"{le:g}: {count:,.0f}" for le, count in histogram.buckets))


if __name__ == "__main__":
    main()
