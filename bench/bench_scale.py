"""Scale: worker memory, timer-tick cost and restart time with many open tickets.

Three parts, each at every size of ``--sizes`` (default 100,000 and 1,000,000 open tickets):

1. ``DeadlineIndex`` alone, in this process: build an index of N entries over 4 partitions,
   then time ``pop_due`` with 5 entries due (re-added before each call), ``pop_due`` with
   nothing due, and ``due_partitions`` (what the wall-clock timer asks every 0.1 s), over many
   repetitions. The cost must not grow with N (it is O(k log N) for k due).
2. A real worker (``SLA_CLOCK=wall``, RocksDB store, the production store) on a fresh
   embedded broker is fed minimal P3 complaints (generated directly, not simulated; office
   calendar, so nothing falls due during the run) until it holds N open tickets. Printed: the
   ingest rate, its RSS (VmRSS, /proc), the RocksDB directory size, and the worker's own
   ``sla_timer_tick_seconds`` over a quiet window.
3. Restart: SIGTERM the worker, start a new one on the same data directory, and time until
   /health says ready with all 4 partitions, then until every partition is rebuilt (a
   partition's deadline index is rebuilt on its first message, from the due column of
   ``streams/ticket_store.py``) and every deadline indexed again; ``--restarts N`` does
   that N times in a row (``--kill-last-restart``: the last one SIGKILLs the worker; the
   next keeps its tables, written behind their changelogs, ``streams.table_writes``, and
   logs whether it kept or discarded them, ``streams.local_tables``). The restarted
   worker logs at INFO and the bench prints when it logged its milestones (first line, app
   built, first partition and last ticket partition rebuilt); ``--py-spy PATH`` records
   each restarted worker with py-spy until it is indexed (raw folded stacks in
   ``var/bench/logs``). The next size is then fed to the restarted worker.

Takes a while: one worker ingests about 700 to 950 complaints/s on a 2-core machine (each
one is a table write, a changelog record, an ``sla.attributed``, a penalty trigger and a
penalty), so the default sizes take about 30 minutes (``make bench`` included), and the
embedded broker keeps every record in memory: about 8 KB per ticket, 8 GB at 1,000,000.
The bench refuses to start when the machine lacks the memory (``--force`` overrides). Use
``--sizes 100000`` for a quicker run (about 5 minutes), or ``--index-only`` for part 1 alone
(about a minute). A worker that dies (e.g. killed by someone else's cleanup on a shared
machine) stops the run with its log tail.

    .venv/bin/python -m bench.bench_scale [--sizes 100000,1000000] [--restarts 3]
                                          [--kill-last-restart]
                                          [--py-spy PATH] [--index-only]
                                          [--debug-last-restart | --debug-restarts]
                                          [--env SLA_BROKER_SESSION_TIMEOUT=6 ...]

The worker's and the broker's logs of each size are kept in ``var/bench/logs``
(``scale-<size>-<time>.log`` and ``...-tansu.log``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._common import (
    BENCH_DIR,
    PARTITIONS,
    Histogram,
    bench_session,
    check_alive,
    complaint_line,
    load_average,
    machine_summary,
    publish_fast,
    rss_mib,
    scrape,
    total,
    wait_until,
)
from models.topics import COMPLAINTS
from sla_police.broker import EMBEDDED_GROUP_TIMEOUTS
from streams.deadlines import DeadlineIndex

__all__ = ["main"]

APP_ID = "bench-scale"
LOGS = BENCH_DIR / "logs"
DUE = 5  # entries due per timed pop_due
#: Further settings of every worker started (``--env``), e.g. SLA_BROKER_SESSION_TIMEOUT.
#: By default the embedded broker's group timeouts, as ``sla-police up`` and ``sla-police
#: broker`` give them (:data:`sla_police.broker.EMBEDDED_GROUP_TIMEOUTS`).
WORKER_ENV: dict[str, str] = {f"SLA_{name.upper()}": str(value)
                              for name, value in EMBEDDED_GROUP_TIMEOUTS.items()}


# -- part 1: the deadline index alone ------------------------------------------------------
def index_bench(size: int, reps: int) -> None:
    """Build an N-entry index, then time the calls one timer tick makes."""
    import tracemalloc

    rng, base = random.Random(1), time.time()
    tracemalloc.start()
    started = time.perf_counter()
    index = DeadlineIndex()
    for n in range(size):  # far in the future: 1 hour to 30 days
        index.set_stamp(n % PARTITIONS, f"T-{n:08d}", base + 3600 + rng.random() * 30 * 86400)
    built, grown = time.perf_counter() - started, tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    now = datetime.now(UTC)
    some, none, check = [], [], []
    for r in range(reps):
        for k in range(DUE):
            index.set_stamp(0, f"D-{r}-{k}", base - 1)
        some.append(_timed(lambda: index.pop_due(0, now)))
        none.append(_timed(lambda: index.pop_due(1, now)))
        check.append(_timed(lambda: index.due_partitions(now, range(PARTITIONS))))
    print(f"  index {size:>9,}: built in {built:4.1f} s (traced), {grown:5.0f} MiB "
          f"({grown * 2**20 / size:3.0f} B/entry); per call, median (p99) over {reps:,}: "
          f"pop_due {DUE} due {_us(some)}, pop_due none due {_us(none)}, "
          f"due_partitions(4) {_us(check)}")


def _timed(call) -> float:
    started = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - started) / 1000


def _us(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered):.1f} us ({ordered[int(0.99 * len(ordered))]:.1f})"


# -- part 2: a worker holding N tickets ----------------------------------------------------
def start_worker(bootstrap: str, data: Path, port: int | None = None,
                 log_level: str = "WARNING"):
    from streams.testing import WorkerProcess, free_port

    return WorkerProcess(bootstrap, data, app_id=APP_ID, clock="wall", store="rocksdb://",
                         port=port or free_port(),
                         extra_env={**WORKER_ENV, "SLA_LOG_LEVEL": log_level}).start()


def complaints(first: int, last: int):
    """``(topic, key, value)`` of minimal P3 complaints ``first``..``last - 1``, all now."""
    now = datetime.now(UTC)
    for n in range(first, last):
        ticket = f"T-SCALE-{n:08d}"
        yield COMPLAINTS, ticket.encode(), complaint_line(ticket, now)


def feed(bootstrap: str, worker, held: int, size: int, counted_before: int) -> None:
    """Publish complaints ``held``..``size`` and wait until the worker accepted them all."""
    started = time.perf_counter()
    sent = asyncio.run(publish_fast(bootstrap, complaints(held, size)))
    print(f"  published {sent:,} complaints in {time.perf_counter() - started:.0f} s",
          flush=True)
    target, last_note = size - counted_before, time.perf_counter()

    def accepted() -> bool:
        nonlocal last_note
        check_alive(worker)
        seen = total(scrape(worker.port), "sla_events_in_total")
        if time.perf_counter() - last_note >= 120:
            last_note = time.perf_counter()
            print(f"    ... {seen + counted_before:,.0f} of {size:,} ingested "
                  f"[{load_average()}]", file=sys.stderr, flush=True)
        return seen >= target

    wait_until(accepted, timeout=(size - held) / 50 + 300, poll=1.0, what=f"{size:,} ingested")
    seconds = time.perf_counter() - started
    print(f"  ingested {size - held:,} complaints in {seconds:.0f} s: "
          f"{(size - held) / seconds:,.0f}/s  [{load_average()}]", flush=True)


def measure(worker, size: int, window: float, data: Path) -> None:
    """RSS, disk and the timer-tick histogram over a quiet ``window`` at ``size`` tickets."""
    time.sleep(3)  # let the last commits and changelog sends finish
    before = Histogram.from_samples(scrape(worker.port), "sla_timer_tick_seconds")
    time.sleep(window)
    after = Histogram.from_samples(scrape(worker.port), "sla_timer_tick_seconds")
    rss, peak = rss_mib(worker.process.pid)
    health = worker.health() or {}
    print(f"  worker with {size:,} open tickets: RSS {rss:,.0f} MiB (peak {peak:,.0f}), "
          f"{health.get('deadlines_indexed', 0):,} deadlines indexed, "
          f"RocksDB dir {_du(data / 'faust'):,.0f} MiB  [{load_average()}]")
    print(f"    sla_timer_tick_seconds over {window:.0f} s: "
          f"{after.minus(before).describe(1000, 'ms')}", flush=True)


def _du(path: Path) -> float:
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True).stdout
    return int(out.split()[0]) / 1024 if out else 0.0


# -- part 3: restart -----------------------------------------------------------------------
def restart(stack, bootstrap: str, worker, size: int, data: Path, py_spy: str | None = None,
            log_level: str = "INFO", kill: bool = False):
    """SIGTERM ``worker`` (``kill``: SIGKILL), start a new one on ``data``; time until it
    serves every ticket. After a SIGKILL the new worker keeps the tables written behind
    their changelogs and reads the changelogs after their persisted offsets
    (:mod:`streams.local_tables`): the restart after a crash.

    The new worker logs at INFO (its log, ``worker.log`` in ``data``, then shows when each
    partition was rebuilt); with ``py_spy``, that py-spy records it until every deadline is
    indexed (``restart-<size>-<time>.svg`` beside the log, kept in ``var/bench/logs``).
    """
    started = time.perf_counter()
    if kill:
        worker.kill()
    else:
        worker.stop(timeout=120)
    stopped, stopped_at = time.perf_counter(), time.time()
    fresh = start_worker(bootstrap, data, worker.port, log_level=log_level)
    stack.callback(fresh.stop)
    spy = _record(py_spy, fresh.process.pid, size) if py_spy else None
    at_ready = fresh.wait_ready(timeout=size / 1000 + 300, partitions=PARTITIONS)
    ready, indexed_then = time.perf_counter(), at_ready["deadlines_indexed"]
    wait_until(lambda: _serving(fresh, size), timeout=size / 1000 + 120,
               what="every partition rebuilt and every deadline indexed")
    indexed = time.perf_counter()
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
        spy.wait(timeout=60)
    time.sleep(3)
    rss, _ = rss_mib(fresh.process.pid)
    how = "SIGKILL" if kill else "stop"
    print(f"  restart with {size:,} tickets: {how} {stopped - started:.1f} s; from start: "
          f"/health ready with {PARTITIONS} partitions {ready - stopped:.1f} s "
          f"({indexed_then:,} deadlines indexed then), every partition rebuilt and every "
          f"deadline indexed {indexed - stopped:.1f} s; RSS after restart {rss:,.0f} MiB  "
          f"[{load_average()}]", flush=True)
    print(f"    from the worker's log, seconds after the start: {_timeline(data, stopped_at)}",
          flush=True)
    return fresh


#: Log lines of a restart worth a time: (what the bench prints, text in the logged event).
_MILESTONES = (("first log line", ""), ("local tables kept after an unclean stop",
                                         "local tables kept after an unclean stop"),
               ("local tables discarded", "local tables discarded"),
               ("app built", "worker starting"),
               ("first partition rebuilt", "partitions ["),
               ("tickets rebuilt", "ticket partitions ["))


def _timeline(data: Path, since: float) -> str:
    """When the restarted worker logged its milestones (the last ticket partition rebuilt,
    the first of the rest), read from its JSON log lines after ``since`` (epoch seconds)."""
    import json

    found: dict[str, float] = {}
    for line in (data / "worker.log").read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
            at = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        if at < since:
            continue
        event = str(record.get("event", ""))
        for name, text in _MILESTONES:
            if text in event and (name not in found or name == "tickets rebuilt"):
                found[name] = at - since
    return ", ".join(f"{name} {found[name]:.1f}" for name, _ in _MILESTONES if name in found)


def _record(py_spy: str, pid: int, size: int) -> subprocess.Popen:
    """Start ``py-spy record`` on ``pid`` (100 Hz, idle samples too: waits show; not
    pausing the worker to sample it)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    out = LOGS / f"restart-{size}-{datetime.now(UTC):%Y%m%dT%H%M%S}.txt"
    print(f"    py-spy profile of the restart: {out}", flush=True)
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", "100", "--idle",
                             "--nonblocking", "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _serving(worker, size: int) -> bool:
    """All partitions rebuilt (``rebuilt_partitions``, where /health has it) and indexed."""
    health = worker.health() or {}
    rebuilt = health.get("rebuilt_partitions", health.get("ticket_partitions", []))
    return len(rebuilt) == PARTITIONS and health.get("deadlines_indexed", 0) >= size


def worker_bench(sizes: list[int], window: float, restarts: int = 1,
                 py_spy: str | None = None, debug_last: bool = False,
                 debug_all: bool = False, kill_last: bool = False) -> None:
    """Parts 2 and 3: one worker fed size after size, restarted after each."""
    with bench_session("scale") as (stack, bootstrap, scratch):
        data = scratch / "worker"
        worker = start_worker(bootstrap, data)
        stack.callback(worker.stop)
        worker.wait_ready(timeout=90, partitions=PARTITIONS)
        time.sleep(3)
        print(f"  idle worker, 0 tickets: RSS {rss_mib(worker.process.pid)[0]:,.0f} MiB")
        held = 0
        for size in sizes:
            feed(bootstrap, worker, held, size, counted_before=held)
            measure(worker, size, window, data)
            for n in range(restarts):
                level = "DEBUG" if debug_all or (debug_last and n == restarts - 1) else "INFO"
                kill = kill_last and n == restarts - 1
                worker = restart(stack, bootstrap, worker, size, data, py_spy, level, kill)
            _copy_logs(data, scratch / "tansu.log", size)
            held = size


def _copy_logs(data: Path, broker_log: Path, size: int) -> None:
    """Keep the worker log (the restarts' INFO lines) and the broker's (group joins and
    missed heartbeats) in ``var/bench/logs``."""
    LOGS.mkdir(parents=True, exist_ok=True)
    stamp = f"{size}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    for log, name in ((data / "worker.log", f"scale-{stamp}.log"),
                      (broker_log, f"scale-{stamp}-tansu.log")):
        if log.exists():
            shutil.copy(log, LOGS / name)


#: Measured at 1,000,000 tickets (RESULTS.md, run S4): broker 8.0 GB, worker 0.8 GB.
BYTES_PER_TICKET = 9_000


def _check_memory(size: int) -> None:
    """Exit with a clear message when ``size`` tickets would not fit in memory here."""
    needed = size * BYTES_PER_TICKET + (1 << 30)
    available = _mem_available()
    if available is not None and available < needed:
        sys.exit(f"bench_scale: {size:,} open tickets need about {needed / 2**30:.0f} GiB of "
                 f"free memory (the embedded broker keeps every record in RAM); this machine "
                 f"has {available / 2**30:.1f} GiB available. Use smaller --sizes, or --force.")


def _mem_available() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes (None where there is no /proc)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def main() -> None:
    """The index at every size first (seconds), then the worker (long)."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="With the default sizes this takes about 30 minutes on 2 cores and 9 GB of "
               "free memory (the embedded broker keeps every record in RAM); --sizes 100000 "
               "takes about 5 minutes.")
    parser.add_argument("--sizes", default="100000,1000000",
                        help="open-ticket counts, ascending, comma-separated")
    parser.add_argument("--reps", type=int, default=20_000, help="timed calls per size (20,000)")
    parser.add_argument("--window", type=float, default=15.0,
                        help="seconds of quiet timer ticks measured per size (15)")
    parser.add_argument("--restarts", type=int, default=1,
                        help="restarts measured per size, one after the other (1)")
    parser.add_argument("--py-spy", metavar="PATH",
                        help="py-spy binary: profile each restarted worker until indexed")
    parser.add_argument("--debug-last-restart", action="store_true",
                        help="the last restart of each size logs at DEBUG (Faust's recovery "
                             "and every Kafka request, timed; slower, not for figures)")
    parser.add_argument("--debug-restarts", action="store_true",
                        help="every restart logs at DEBUG (to see what a slow one waited for)")
    parser.add_argument("--kill-last-restart", action="store_true",
                        help="the last restart of each size SIGKILLs the worker (the next "
                             "one keeps the tables written behind their changelogs)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every worker started (repeatable), e.g. "
                             "SLA_BROKER_SESSION_TIMEOUT=2")
    parser.add_argument("--index-only", action="store_true", help="part 1 only (about a minute)")
    parser.add_argument("--force", action="store_true",
                        help="run even if the machine seems to lack the memory")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    WORKER_ENV.update(item.split("=", 1) for item in args.env)
    if not args.index_only and not args.force:
        _check_memory(max(sizes))
    print(f"scale benchmark on {machine_summary()}")
    for size in sizes:
        index_bench(size, args.reps)
    if not args.index_only:
        worker_bench(sizes, args.window, args.restarts, args.py_spy, args.debug_last_restart,
                     args.debug_restarts, args.kill_last_restart)


if __name__ == "__main__":
    main()
