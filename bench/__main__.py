"""``make bench``: run every benchmark in turn; each prints its own figures.

The scale benchmark runs at 100,000 open tickets here (about 10 minutes); the 1,000,000
run takes about 1.5 hours and ~16 GB for the in-memory broker:
``.venv/bin/python -m bench.bench_scale --sizes 100000,1000000``.
"""

from __future__ import annotations

import runpy
import sys

BENCHES = [["bench.bench_calendar"], ["bench.bench_replay"], ["bench.bench_ledger"],
           ["bench.bench_stream_throughput"], ["bench.bench_breach_latency"],
           ["bench.bench_scale", "--sizes", "100000"]]

if __name__ == "__main__":
    for name, *args in BENCHES:
        print(f"\n=== {name} {' '.join(args)}")
        sys.argv = [name, *args]
        runpy.run_module(name, run_name="__main__")
