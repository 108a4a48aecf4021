"""A contact-center log that happens *now*, for the wall-clock (production) mode tests.

The simulated day of :func:`~tests.integration.stream_oracle.small_log` is moved to the
present and compressed (one simulated hour becomes one second), and a policy with
targets of seconds on a 24x7 calendar judges it, so warnings, breaches, met clocks and
penalties all happen within half a minute of real time. Events are published in the order
of the instants they carry, as a CRM would publish them, a little ahead of them (:data:`LEAD`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from tests.integration.stream_oracle import CONFIG_PATH, small_log

__all__ = ["LEAD", "publish_at_instants", "wait_for_clocks", "wall_log", "wall_policy"]

#: Targets in seconds of the shipped policies' names: (acknowledge, resolve).
_TARGETS = {"p1": ("1s", "4s"), "p2": ("2s", "8s"), "standard": ("3s", "12s")}


def wall_policy(directory: Path) -> Path:
    """The shipped policy with every calendar 24x7 and targets of seconds; its path."""
    policy = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    for department in policy["departments"].values():
        department["calendar"] = "always"
    for sla in policy["slas"]:
        sla["acknowledge"], sla["resolve"] = _TARGETS[sla["name"]]
        sla.pop("calendar", None)
    for rule in policy["penalties"]:  # PyYAML reads the key `on` as YAML 1.1's True
        rule["on"] = rule.pop(True)
    path = directory / "wall-policy.yaml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def wall_log(seed: int, start: datetime, *, hours: float = 24.0,
             seconds_per_hour: float = 1.0) -> list[tuple[datetime, bytes]]:
    """(instant, line) of a simulated day's first ``hours``, moved to begin at ``start``.

    Lines without a readable time (junk) keep the instant of the line before them. The
    result is in instant order: the order a CRM publishing in real time would follow.
    """
    scale = seconds_per_hour / 3600.0
    timed: list[tuple[datetime, int, bytes]] = []
    first: datetime | None = None
    instant = start
    for n, line in enumerate(small_log(seed=seed)):
        obj = _json_object(line)
        when = _time_of(obj)
        if when is not None:
            first = first or when
            if when - first > timedelta(hours=hours):
                continue
            instant = start + (when - first) * scale
            obj["time"] = instant.isoformat()  # type: ignore[index]
            line = json.dumps(obj, ensure_ascii=False).encode()
        timed.append((instant, n, line))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [(instant, line) for instant, _n, line in timed]


def _json_object(line: bytes) -> dict | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _time_of(obj: dict | None) -> datetime | None:
    if obj is None or not isinstance(obj.get("time"), str):
        return None
    try:
        when = datetime.fromisoformat(obj["time"])
    except ValueError:
        return None
    return when if when.tzinfo is not None and when.year >= 2000 else None


#: How far ahead of its instant each event is published. The oracle (replay) is right only for
#: events that are in the log by their own time; on a loaded machine a publisher sending *at*
#: the instant lags by tenths of a second, and an event that reaches the broker after a
#: checkpoint past its time is late (``docs/semantics.md``): the worker then rightly differs
#: from replay. Publishing ahead keeps the premise true; it is checked, not assumed.
LEAD = timedelta(seconds=2)


async def publish_at_instants(bootstrap: str, timed: list[tuple[datetime, bytes]], *,
                              on_line: Callable[[int], object] | None = None,
                              lead: timedelta = LEAD) -> float:
    """Publish each line ``lead`` before its instant (each acknowledged before the next is
    sent); return the worst margin, in seconds, between a line's acknowledgement by the
    broker and its instant: negative when every line was in the log before its own time."""
    from aiokafka import AIOKafkaProducer

    from models.topics import inbound_route

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    worst = float("-inf")
    try:
        for n, (instant, line) in enumerate(timed):
            wait = (instant - lead - datetime.now(UTC)).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
            topic, key = inbound_route(line)
            await producer.send_and_wait(topic, value=line, key=key)
            worst = max(worst, (datetime.now(UTC) - instant).total_seconds())
            if on_line is not None:
                on_line(n)
    finally:
        await producer.stop()
    return worst


def wait_for_clocks(worker, at_least: datetime, timeout: float = 60.0) -> None:
    """Until every partition the worker owns has a clock at or past ``at_least``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = worker.health() or {}
        clocks = health.get("clocks") or {}
        if len(clocks) == len(health.get("ticket_partitions", [None])) and all(
                c is not None and datetime.fromisoformat(c) >= at_least
                for c in clocks.values()):
            return
        time.sleep(0.2)
    raise TimeoutError(f"partition clocks not past {at_least}: {worker.health()}")
