"""Where the bucketed replay's CPU goes: CPU seconds per stage, per event, one process.

Runs each stage of ``sla-police replay`` (:mod:`sla_police.bucketed_replay`) in this
process, one after the other, on a cached simulated week (``bench.bench_replay``'s), and
prints CPU time per stage and per event (this process's and that of the children it
waited for: the ticket stage replays each bucket in a forked child), so less sensitive
to a shared machine than wall time. No profiler (it would inflate the Python-level stages).

    .venv/bin/python -m bench.bench_replay_stages [--events 100000]
"""

from __future__ import annotations

import argparse
import gc
import os
import tempfile
from pathlib import Path

from bench.bench_replay import CONFIG, make_log
from models import parse_event
from sla.config import load_config
from sla_police.bucketed_replay.merge_stage import merge_range
from sla_police.bucketed_replay.penalty_stage import run_penalties
from sla_police.bucketed_replay.spill import spill
from sla_police.bucketed_replay.ticket_stage import TicketWorker


def clock() -> float:
    """CPU seconds of this process and of its children waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    log, config = make_log(args.events), load_config(CONFIG)
    gc.disable()  # as in the replay's processes
    print(f"stages of the bucketed replay of {log}, one process; load "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-stages-") as name:
        work = Path(name)
        started = clock()
        buckets = spill(log, work, 4)
        spilled = clock()
        worker = TicketWorker(config, work, "t", until=None, cap=1 << 30)
        worker.run_buckets(buckets)
        report = worker.finish(worker.report.last, worker.report.first)
        ticketed = clock()
        runs, _ = run_penalties(report.trigger_runs, list(config.departments), config, work, "p")
        penalised = clock()
        part = merge_range(report.outputs + runs, None, None, work / "out")
        merged = clock()
        validating, serialising = contract_work(log, work / "out")
    events = report.events
    print(f"{events:,} events, {part.lines:,} output lines")
    for stage, seconds in [("spill", spilled - started), ("ticket stage", ticketed - spilled),
                           ("penalty stage", penalised - ticketed),
                           ("merge", merged - penalised), ("total", merged - started)]:
        print(f"  {stage:<14} {seconds:7.2f} s CPU  {seconds / events * 1e6:6.1f} µs/event")
    floor = (spilled - started) + validating + serialising + (merged - penalised)
    print(f"floor, the byte work any replay does whatever its domain code: spill, validating "
          f"every line {validating / events * 1e6:.1f}, serialising every output "
          f"{serialising / events * 1e6:.1f} ({part.lines / events:.2f} per event), merge: "
          f"{floor / events * 1e6:.1f} µs/event of the {TARGET_CPU_PER_EVENT:.0f} that "
          f"50,000 events/s on 2 cores allows; the rest, the domain's share, now "
          f"{(merged - started - floor) / events * 1e6:.1f}")
    print("load at the end " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


#: CPU µs per event for issue 16's 50,000 events/s on 2 fully used cores.
TARGET_CPU_PER_EVENT = 2 / 50_000 * 1e6


def contract_work(log: Path, out: Path) -> tuple[float, float]:
    """CPU seconds to validate every line of ``log`` against the event contract, and to
    serialise every output line of ``out`` (parsed first, untimed): the byte work the
    replay cannot skip, measured with the same calls it makes."""
    with log.open("rb") as lines:
        started = clock()
        for line in lines:
            if line.strip():
                parse_event(line, accept="publish")
        validating = clock() - started
    with out.open("rb") as lines:
        outputs = [parse_event(line, accept="any") for line in lines]
    started = clock()
    for output in outputs:
        output.to_json_bytes()  # type: ignore[union-attr]
    return validating, clock() - started


if __name__ == "__main__":
    main()
