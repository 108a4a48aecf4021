"""``sla-police up --demo``: simulated traffic in accelerated time, and a live feed.

The worker runs with the stream clock; this module plays a simulated day into
it (tickets with their concessions, and the day's calls), advancing virtual time
``speed`` times faster than the wall clock (a working day in a few minutes), and
prints breaches, penalties, grants beyond authority and caller blocks as they appear
on the outbound topics, with an SLA board every so often.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import faust
from rich.console import Console

from models import parse_event
from sla_police.settings import Settings

__all__ = ["attach_demo"]

DEMO_DAY_START = timedelta(hours=7, minutes=30)  # skip most of the quiet night
TICK_SECONDS = 0.5


def attach_demo(app: faust.App, settings: Settings, console: Console, *, speed: float) -> None:
    """Add the traffic player and the live feed as tasks of ``app``."""

    @app.task
    async def play_traffic() -> None:
        from streams.recovery import actives_ready

        while not actives_ready(app):
            await asyncio.sleep(0.2)
        await _play(settings, console, speed)

    @app.task
    async def live_feed() -> None:
        await _feed(settings, console)


def _day(settings: Settings) -> list[bytes]:
    """The simulated day's ticket events and, on the same day, its calls (after the calls
    policy change, so bursts of nuisance calls trip the automatic block), in time order."""
    from sla_police.simulator import SimulationOptions, simulate
    from sla_police.simulator.calls import CallsOptions, simulate_calls

    options = SimulationOptions(days=1, seed=1, calls_per_day=3000)
    lines = [line.rstrip("\n").encode() for line in simulate(options)]
    calls = CallsOptions(days=1, seed=1, start=options.start,
                         change=options.start - timedelta(days=1))
    timed = [(event.time, event.to_json().encode()) for event in simulate_calls(calls)]
    return _merge(lines, timed)


def _merge(lines: list[bytes], timed: list[tuple[datetime, bytes]]) -> list[bytes]:
    """``lines`` (a simulated log, in its own order: late and invalid lines included) with
    the ``timed`` lines inserted before the first line of a later time."""
    out, i = [], 0
    for line in lines:
        at = getattr(parse_event(line), "time", None)
        while at is not None and i < len(timed) and timed[i][0] <= at:
            out.append(timed[i][1])
            i += 1
        out.append(line)
    return out + [line for _, line in timed[i:]]


async def _play(settings: Settings, console: Console, speed: float) -> None:
    from aiokafka import AIOKafkaProducer

    from models.topics import inbound_route
    from streams.clock import publish_tick, watermarks

    lines = await asyncio.to_thread(_day, settings)
    marks = watermarks(lines)
    times = [getattr(parse_event(line), "time", None) for line in lines]
    start = min(t for t in times if t is not None).replace(hour=0, minute=0) + DEMO_DAY_START
    console.print(f"[bold]demo[/]     playing {len(lines):,} simulated events from "
                  f"{start:%Y-%m-%d %H:%M} at {speed:g}x (a working day in "
                  f"{9 * 3600 / speed / 60:.0f} min)")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, linger_ms=5)
    await producer.start()
    try:
        await _pace(producer, lines, times, marks, start, speed, settings.topic_partitions,
                    publish_tick, inbound_route)
    finally:
        await producer.stop()


async def _pace(producer, lines, times, marks, start, speed, partitions, tick, route) -> None:
    loop = asyncio.get_running_loop()
    began, n, last_tick = loop.time(), 0, None
    while n < len(lines):
        virtual = start + timedelta(seconds=(loop.time() - began) * speed)
        while n < len(lines) and (times[n] is None or times[n] <= virtual):
            topic, key = route(lines[n])
            await producer.send(topic, lines[n], key=key)
            n += 1
        mark = min(virtual, marks[n - 1]) if n and marks[n - 1] else virtual
        if last_tick is None or mark > last_tick:
            await producer.flush()
            await tick(producer, partitions, mark)
            last_tick = mark
        await asyncio.sleep(TICK_SECONDS)


async def _feed(settings: Settings, console: Console) -> None:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer("sla-alerts", "penalties", "caller-blocks",
                                bootstrap_servers=settings.kafka_bootstrap,
                                auto_offset_reset="latest", enable_auto_commit=False)
    await consumer.start()
    board = _Board()
    try:
        async for message in consumer:
            event = json.loads(message.value)
            if message.topic != "caller-blocks":
                board.add(event)
            line = _describe(event)
            if line:
                console.print(line, highlight=False)
            if board.due():
                console.print(board.table())
    finally:
        await consumer.stop()


class _Board:
    """Breaches, fines and points per department since the demo started."""

    EVERY = 30.0  # seconds between boards

    def __init__(self) -> None:
        import time

        self.rows: dict[str, list] = {}
        self.last = time.monotonic()

    def add(self, event: dict) -> None:
        from decimal import Decimal

        data, kind = event["data"], event["type"]
        row = self.rows.setdefault(data["department"], [0, Decimal(0), 0])
        if kind == "sla.breached":
            row[0] += 1
        elif kind in ("penalty.assessed", "penalty.reversed"):
            sign = 1 if kind == "penalty.assessed" else -1
            row[1] += sign * Decimal(data["fine"])
            row[2] += sign * data["points"]

    def due(self) -> bool:
        import time

        if time.monotonic() - self.last < self.EVERY:
            return False
        self.last = time.monotonic()
        return True

    def table(self):
        from rich.table import Table

        table = Table(title="SLA board so far (net of reversals)")
        for name in ("department", "breaches", "fines", "points"):
            table.add_column(name, justify="left" if name == "department" else "right")
        for department, (breaches, fines, points) in sorted(self.rows.items()):
            table.add_row(department, f"{breaches:,}", f"{fines:,.0f}", f"{points:,}")
        return table


def _target(clock: dict) -> str:
    """The clock's target as the policy writes it (``2h``); in working minutes only for an
    outcome published before outcomes carried it."""
    return clock.get("target") or f"{clock['target_seconds'] // 60} working min"


def _describe(event: dict) -> str | None:
    data, kind = event["data"], event["type"]
    at = datetime.fromisoformat(event["time"]).strftime("%a %H:%M")
    if kind == "sla.breached":
        return (f"[red]{at}  BREACH[/]   {data['department']:<10} {event['subject']} "
                f"{data['metric']} (policy {data['policy']}, target {_target(data)})")
    if kind == "penalty.assessed" and data["trigger"] == "breach":
        who = f" -> {data['assignee']}" if data.get("charged_to") == "assignee" else ""
        return (f"[yellow]{at}  PENALTY[/]  {data['department']:<10} {event['subject']} "
                f"{data['fine']} {data['currency']}, {data['points']} pt ({data['rule']}){who}")
    if kind == "penalty.assessed" and data["trigger"] == "authority_exceeded":
        return (f"[magenta]{at}  AUTHORITY[/] {data['department']:<9} {event['subject']} "
                f"grant beyond {data['assignee']}'s authority: {data['fine']} "
                f"{data['currency']} ({data['rule']})")
    if kind == "caller.blocked":
        until = data.get("until")
        ends = datetime.fromisoformat(until).strftime("%a %H:%M") if until else "review"
        return (f"[cyan]{at}  BLOCKED[/]  a caller, until {ends}, by {data['by']} "
                f"({data['reason']})")  # the caller's reference stays off the console
    if kind == "penalty.reversed" and data.get("dispute_id"):
        return (f"[green]{at}  REVERSED[/] {data['department']:<10} {event['subject']} "
                f"{data['fine']} {data['currency']} ({data['reason']})")
    return None
