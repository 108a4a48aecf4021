"""``sla-police replay`` end to end: events/s and peak memory at growing log sizes.

Runs the CLI (``sla-police replay LOG --out FILE``, one process per core) as a subprocess
on each log and prints, per log: wall time from start to exit (interpreter start included),
events/s, the CPU seconds of the whole process tree, and its peak memory: the sum of the
tree's proportional set sizes (PSS: pages the forked workers share counted once), polled
from /proc every 0.5 s, and the largest single process's peak RSS (``ru_maxrss``). A
second line per log shows memory over the run: the peak PSS of the tree in each tenth of
the wall time. Memory that grows with the events would rise tenth after tenth; bounded
memory (issue 16, target 1) stays level once the ticket stage holds its first bucket
(the last tenths are the penalty stage and the final merge).
Logs: simulated weeks of ~0.1M and ~1M lines (as ``bench.bench_replay`` makes them), the
first 10M lines of a simulated year at the default traffic, and the whole year (6,000
calls a day, ~13.7M lines), generated once and cached in var/bench/ (the year takes
5 to 13 minutes to generate, by the machine).

    .venv/bin/python -m bench.bench_replay_cli [--sizes 0.1M,1M,10M,year] [--sha]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.bench_replay import CACHE, CONFIG, make_log

YEAR = CACHE / "year-6000.jsonl"
HEAD_10M = CACHE / "year-6000-head-10M.jsonl"
_EVENTS = re.compile(r"([\d,]+) events \(")


def year_log() -> Path:
    """A simulated year at the default traffic (``sla-police simulate --days 365``)."""
    if not YEAR.exists():
        from sla_police.simulator import SimulationOptions, write_simulation

        CACHE.mkdir(parents=True, exist_ok=True)
        partial = YEAR.with_suffix(".partial")
        write_simulation(SimulationOptions(days=365, seed=42), partial)
        partial.rename(YEAR)
    return YEAR


def head_10m() -> Path:
    """The first 10,000,000 lines of the year: a 10M-event log of the same traffic."""
    if not HEAD_10M.exists():
        partial = HEAD_10M.with_suffix(".partial")
        with year_log().open("rb") as source, partial.open("wb") as target:
            target.writelines(islice(source, 10_000_000))
        partial.rename(HEAD_10M)
    return HEAD_10M


LOGS = {"0.1M": lambda: make_log(100_000), "1M": lambda: make_log(1_000_000),
        "10M": head_10m, "year": year_log}


def _tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc/*/stat."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def _pss_bytes(pids: list[int]) -> int:
    """Proportional set size of ``pids`` summed: pages shared by forked workers counted
    once in all (a sum of RSS would count them in every process)."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in rollup.splitlines()
                       if line.startswith("Pss:")), 0)
    return total * 1024


def peaks_by_tenth(samples: list[tuple[float, int]], wall: float) -> list[int]:
    """The largest value of ``samples`` ((seconds since start, value)) in each tenth of
    ``wall``; a tenth without a sample repeats the tenth before it (0 at first)."""
    peaks: list[int | None] = [None] * 10
    for at, value in samples:
        tenth = min(int(10 * at / wall), 9) if wall > 0 else 9
        peaks[tenth] = max(peaks[tenth] or 0, value)
    filled, last = [], 0
    for peak in peaks:
        last = last if peak is None else peak
        filled.append(last)
    return filled


def run_cli(log: Path, out: Path, workers: int, bucket_mb: int) -> dict[str, Any]:
    """One CLI run: wall s, CPU s of the tree, peak tree PSS (overall and per tenth of the
    wall time) and largest process RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "-m", "sla_police", "replay", str(log), "-c", str(CONFIG),
               "--out", str(out), "--workers", str(workers), "--bucket-mb", str(bucket_mb)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "COLUMNS": "200"})
    samples: list[tuple[float, int]] = []
    while process.poll() is None:
        samples.append((time.perf_counter() - started, _pss_bytes(_tree(process.pid))))
        time.sleep(0.5)
    wall = time.perf_counter() - started
    peak = max((value for _, value in samples), default=0)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode:
        raise SystemExit(f"replay failed ({process.returncode}):\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = _EVENTS.search(stderr.replace("\n", " "))
    return {"wall": wall, "events": int(match.group(1).replace(",", "")) if match else 0,
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_tree": peak / 2**20, "max_process": after.ru_maxrss / 1024,
            "tenths": [value / 2**20 for value in peaks_by_tenth(samples, wall)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0.1M,1M,10M,year")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--bucket-mb", type=int, default=32)
    parser.add_argument("--sha", action="store_true", help="print each output's sha256")
    args = parser.parse_args()
    print(f"sla-police replay --out, {args.workers} processes, {args.bucket_mb} MB buckets, "
          f"{os.cpu_count()} cores; the machine may be shared: load averages beside each row")
    print(f"{'log':<5} {'lines':>11} {'events':>11} {'wall s':>7} {'events/s':>9} "
          f"{'CPU s':>7} {'peak PSS tree':>13} {'max process':>11}  load before -> after")
    for size in args.sizes.split(","):
        log = LOGS[size]()
        with log.open("rb") as handle:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
        load = os.getloadavg()
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
            out = Path(tmp) / "out.jsonl"
            row = run_cli(log, out, args.workers, args.bucket_mb)
            digest = _sha256(out) if args.sha else ""
        end = os.getloadavg()
        print(f"{size:<5} {lines:>11,} {row['events']:>11,} {row['wall']:>7.1f} "
              f"{row['events'] / row['wall']:>9,.0f} {row['cpu']:>7.1f} "
              f"{row['peak_tree']:>9,.0f} MiB {row['max_process']:>7,.0f} MiB  "
              f"{load[0]:.2f} {load[1]:.2f} -> {end[0]:.2f} {end[1]:.2f}"
              + (f"  sha256 {digest}" if digest else ""), flush=True)
        print("      peak PSS of the tree per tenth of the run, MiB: "
              + " ".join(f"{value:,.0f}" for value in row["tenths"]), flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 24), b""):
            digest.update(chunk)
    return digest.hexdigest()


if __name__ == "__main__":
    main()
