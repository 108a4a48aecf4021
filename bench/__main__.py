"""``make bench``: run every benchmark in turn; each prints its own figures."""

from __future__ import annotations

import runpy
import sys

BENCHES = ["bench.bench_calendar", "bench.bench_replay", "bench.bench_ledger",
           "bench.bench_stream_throughput", "bench.bench_breach_latency", "bench.bench_scale"]

if __name__ == "__main__":
    for name in BENCHES:
        print(f"\n=== {name}")
        sys.argv = [name]
        runpy.run_module(name, run_name="__main__")
