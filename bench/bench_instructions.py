"""Instructions per log line of the replay, counted by valgrind: a figure the machine's speed
does not move, and what each output's serialisation takes of it.

This machine's speed moves by 2 to 4 times between sessions and by half within minutes
(bench/RESULTS.md §0), so a change worth a few per cent cannot be seen in seconds. The
instructions a run executes are the same on a busy host and an idle one: this bench runs
the in-process replay (:func:`sla.replay.replay_lines` on the first N lines of a simulated
week, then every output as the CLI's stages write it: its JSON and its sorted-run line)
under ``valgrind --tool=cachegrind`` at two sizes and prints the difference per line, so
the interpreter's start and the imports cancel out.

Variants show where a lever's ceiling lies, by taking a cost away (never shipped):

- ``as-is``: the code as it is;
- ``no-json``: every output's JSON is free (a constant): the most any change of how
  outcomes are serialised (plain records, another encoder) could save;
- ``no-clocks-json``: only ``sla.clocks_changed`` snapshots are free (the largest and
  most frequent output: a third of them, about 900 bytes each).

    .venv/bin/python -m bench.bench_instructions [--lines 8000,24000]
        [--variants as-is,no-json,no-clocks-json]

About 2 minutes per variant at the default sizes (valgrind runs Python some 50 times
slower). Needs valgrind (Debian's ``valgrind``, on every machine kind here).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from itertools import islice
from pathlib import Path

__all__ = ["VARIANTS", "instructions_of", "measure", "per_line"]

VARIANTS = ("as-is", "no-json", "no-clocks-json")
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def instructions_of(valgrind_stderr: str) -> int:
    """The instruction count (``I refs``) cachegrind printed at the end of a run."""
    match = _REFS.search(valgrind_stderr)
    if match is None:
        raise ValueError("no 'I refs' line in valgrind's output:\n" + valgrind_stderr[-2000:])
    return int(match.group(1).replace(",", ""))


def per_line(small: tuple[int, int], large: tuple[int, int]) -> float:
    """Instructions per line from two runs ``(lines, instructions)``: the start-up and the
    imports, the same in both, cancel out."""
    (lines_a, count_a), (lines_b, count_b) = small, large
    if lines_b <= lines_a:
        raise ValueError("the second run must replay more lines than the first")
    return (count_b - count_a) / (lines_b - lines_a)


def measure(log: Path, lines: int, variant: str, hash_seed: int = 0) -> int:
    """Instructions of one replay of ``log``'s first ``lines`` lines under cachegrind.

    Python's hash seed is fixed (``hash_seed``): string hashes decide where dictionaries
    and sets probe, so two runs under different seeds differ by more than a small lever
    (a random seed per run made the difference of two sizes drift by several per cent)."""
    with tempfile.TemporaryDirectory(prefix="sla-cachegrind-") as work:
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
                   f"--cachegrind-out-file={work}/out", sys.executable, "-m",
                   "bench.bench_instructions", "--child", str(lines), variant, str(log)]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONHASHSEED": str(hash_seed)})
    if done.returncode:
        raise SystemExit(f"the replay under valgrind failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return instructions_of(done.stderr)


def _child(lines: int, variant: str, log: Path) -> None:
    """In the measured process: replay, then serialise every output as the CLI does."""
    import gc

    import models._json as encoder
    from bench.bench_replay import CONFIG
    from sla.config import load_config
    from sla.replay import order_line, replay_lines

    serialise = encoder.event_json_once
    if variant == "no-json":
        serialise = _constant
    elif variant == "no-clocks-json":
        serialise = _without_clocks(serialise)
    config = load_config(CONFIG)
    with log.open("rb") as source:
        head = list(islice(source, lines))
    result = replay_lines(head, config)
    gc.disable()  # as replay itself runs: the collector paused (sla.replay.gc_paused)
    written = [order_line(event, serialise(event)) for event in result.outputs]
    print(len(head), len(written))


def _constant(_event: object) -> bytes:
    return b"{}"


def _without_clocks(serialise):
    def serialise_but_clocks(event):
        return b"{}" if event.type == "sla.clocks_changed" else serialise(event)
    return serialise_but_clocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="8000,24000", help="two sizes, small,large")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--log", type=Path, help="a JSONL log (default: the 0.1M week)")
    parser.add_argument("--hash-seed", type=int, default=0, help="PYTHONHASHSEED of the runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(int(args.child[0]), args.child[1], Path(args.child[2]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind not found: install Debian's valgrind package")
    small, large = _sizes(args.lines)
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        raise SystemExit(f"unknown variant(s) {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    log = args.log or _default_log()
    if not log.is_file():
        raise SystemExit(f"no such log: {log}")
    print(f"instructions per line of the in-process replay of {log} (cachegrind, "
          f"({large:,} lines - {small:,}) / {large - small:,}, hash seed {args.hash_seed})")
    base = None
    for variant in variants:
        figure = per_line((small, measure(log, small, variant, args.hash_seed)),
                          (large, measure(log, large, variant, args.hash_seed)))
        base = figure if base is None else base
        share = (f"  {100 * (figure - base) / base:+.1f} % of {variants[0]}"
                 if figure != base else "")
        print(f"  {variant:<16} {figure:>10,.0f} instructions per line{share}", flush=True)


def _sizes(text: str) -> tuple[int, int]:
    """``--lines``: two sizes, the second larger (else a clear error, not a traceback)."""
    try:
        small, large = (int(n) for n in text.split(","))
    except ValueError:
        raise SystemExit(f"--lines takes two sizes, small,large (got {text!r})") from None
    if not 0 < small < large:
        raise SystemExit(f"--lines: the second size must be larger than the first, and "
                         f"both positive (got {small:,} and {large:,})")
    return small, large


def _default_log() -> Path:
    from bench.bench_replay import make_log

    return make_log(100_000)


if __name__ == "__main__":
    main()
