"""``make bench``: run every benchmark in turn; each prints its own figures.

The scale benchmark runs at 100,000 and 1,000,000 open tickets (about 30 minutes, and
about 9 GiB of free memory for the in-memory broker: it refuses to start without them;
``.venv/bin/python -m bench.bench_scale --sizes 100000`` is the quick version).
"""

from __future__ import annotations

import runpy
import sys

BENCHES = [["bench.bench_calendar"], ["bench.bench_delivery"], ["bench.bench_replay"],
           ["bench.bench_ledger"], ["bench.bench_stream_throughput"],
           ["bench.bench_breach_latency"], ["bench.bench_api"], ["bench.bench_ivr"],
           ["bench.bench_scale"]]

if __name__ == "__main__":
    for name, *args in BENCHES:
        print(f"\n=== {name} {' '.join(args)}")
        sys.argv = [name, *args]
        runpy.run_module(name, run_name="__main__")
