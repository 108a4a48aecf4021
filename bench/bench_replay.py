"""Replay throughput on a 1,000,000-event log (issue: under 60 s on 2 cores).

Prints events/s for: parsing alone, the sequential replay, and the sharded replay
(one process per core), measured in one run on the same log. The log is a
simulated week at ~21,000 contacts a day, generated once and cached in var/bench/.

    .venv/bin/python -m bench.bench_replay [--events N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from models import parse_event
from sla.config import load_config
from sla.parallel import replay_sharded
from sla.replay import replay_lines
from sla_police.simulator import SimulationOptions, write_simulation

CACHE = Path("var/bench")
CONFIG = Path("deploy/config/sla-police.yaml")


def make_log(target_events: int) -> Path:
    """A simulated week sized to about ``target_events`` lines (cached)."""
    calls_per_day = max(100, round(target_events / 7 / 6.1))
    path = CACHE / f"week-{calls_per_day}.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        write_simulation(SimulationOptions(days=7, seed=42, calls_per_day=calls_per_day), path)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s")
    return path


def timed(label: str, count: int, work) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:7.1f} s  {count / seconds:>10,.0f} events/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    log = make_log(args.events)
    lines = log.read_bytes().splitlines()
    config = load_config(CONFIG)
    workers = os.cpu_count() or 1
    print(f"replay benchmark: {len(lines):,} lines from {log} on {platform.node()}, "
          f"{workers} cores, Python {platform.python_version()}")
    parse = timed("parse only (contract validation)", len(lines),
                  lambda: [parse_event(line) for line in lines])
    sequential = timed("replay, 1 process", len(lines), lambda: replay_lines(lines, config))
    sharded = timed(f"replay, sharded over {workers} processes", len(lines),
                    lambda: replay_sharded(lines, config, workers=workers))
    print(f"  sharded speed-up over 1 process: {sequential / sharded:.2f}x; "
          f"parsing is {parse / sequential:.0%} of the sequential time")
    verdict = "meets" if sharded < 60 else "MISSES"
    print(f"  1M-event target (< 60 s): {verdict} "
          f"({sharded * 1_000_000 / len(lines):.1f} s per 1,000,000 events)")


if __name__ == "__main__":
    main()
