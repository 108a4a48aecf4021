"""Replay a log of any size on every core in bounded memory, streaming the output.

The replay of :mod:`sla.replay` (and its sharded form, :mod:`sla.parallel`) holds the
whole log, every parsed event and every outcome in memory. This one works from files:

1. the parent spills the log into ticket-hash buckets of at most ``bucket_bytes`` each
   (:mod:`.spill`): a ticket's lines all land in one bucket;
2. ``workers`` processes replay the buckets one at a time (:mod:`.ticket_stage`),
   writing sorted runs of outcomes and of penalty triggers, and keep only the tickets
   still open; once every bucket is done, the open tickets are advanced to the last
   event of the log and invalid lines dead-lettered;
3. ``workers`` processes apply the triggers of their departments, merged in time order
   from the runs (:mod:`.penalty_stage`), writing sorted runs of penalties;
4. ``workers`` processes merge every run, one key range each (:mod:`.merge_stage`),
   dropping repeated ids as the sharded replay does: the parent merges the first range
   straight into the output, the others write parts that it then appends in order (when
   the log has calls lines, the parent merges alone, the calls replay's outputs in by
   time).

Memory therefore grows with the bucket size, the open tickets and the penalty books, not
with the log; the bytes written equal :func:`sla.replay.replay_lines` (tests check it).
Temporary files live in a directory deleted at the end. This is the command's shell (files,
processes), which is why it is here and not in the pure :mod:`sla` package.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from models._json import event_json_once
from sla.parallel import balanced_groups, merge_figures, receive_from, start_forked
from sla.replay import ORDER_ID_AT, gc_paused, shared_time, time_key
from sla.specs import SlaConfig
from sla.summary import DepartmentFigures
from sla_police.bucketed_replay.merge_stage import copy_parts, merge_range, merge_range_into
from sla_police.bucketed_replay.penalty_stage import run_penalties
from sla_police.bucketed_replay.runs import merged_lines, split_keys
from sla_police.bucketed_replay.spill import bucket_count, spill
from sla_police.bucketed_replay.ticket_stage import TicketReport, TicketWorker

__all__ = ["DEFAULT_BUCKET_BYTES", "BucketedReplay", "replay_log"]

#: Log bytes per bucket: about 100,000 lines, a few hundred MB of a worker's memory.
DEFAULT_BUCKET_BYTES = 32 << 20
#: Lines written to the output at once.
_WRITE_BATCH = 20_000


@dataclass
class BucketedReplay:
    """What a bucketed replay did: its figures and counts (the lines are in the file)."""

    figures: dict[str, DepartmentFigures]
    events: int
    duplicates: int
    invalid: int
    until: datetime | None
    lines: int  # ticket and penalty lines written (the calls replay's not counted)
    open_tickets: int  # tickets still open after their bucket, held to the end
    calls: Any = None  # the calls replay's result, or None


def replay_log(log: Path, config: SlaConfig, out: IO[bytes] | None, *,
               until: datetime | None = None, workers: int = 2,
               bucket_bytes: int = DEFAULT_BUCKET_BYTES, temp_dir: Path | None = None,
               note: Callable[[str], None] | None = None,
               figures_only: bool = False) -> BucketedReplay:
    """Replay the JSONL file ``log``, writing the outputs to ``out`` (None: nothing
    written, only counted; ``figures_only``: not even merged, ``lines`` is 0)."""
    note = note or (lambda _: None)
    with tempfile.TemporaryDirectory(prefix="sla-replay-", dir=temp_dir) as name, gc_paused():
        return _replay(log, config, out, until, workers, bucket_bytes, Path(name), note,
                       figures_only)


def _replay(log: Path, config: SlaConfig, out: IO[bytes] | None, until: datetime | None,
            workers: int, cap: int, work: Path, note: Callable[[str], None],
            figures_only: bool) -> BucketedReplay:
    buckets = bucket_count(log.stat().st_size, cap, workers)
    note(f"spilling into {buckets} buckets")
    paths = spill(log, work, buckets)
    note(f"ticket stage on {workers} processes")
    tickets = [start_forked(_ticket_child, config, work, f"t{n}", until, cap, paths[n::workers])
               for n in range(workers)]
    bounds = [receive_from(conn, "bounds") for _, conn in tickets]
    firsts = [b[0] for b in bounds if b[0] is not None]
    lasts = [b[1] for b in bounds if b[1] is not None]
    until = until or (max(lasts) if lasts else None)
    for _, conn in tickets:
        conn.send((until, min(firsts) if firsts else None))
    reports: list[TicketReport] = [receive_from(conn, "done") for _, conn in tickets]
    note(f"penalty stage on {workers} processes")
    loads: dict[str, int] = {}
    for report in reports:
        for department, count in report.triggers.items():
            loads[department] = loads.get(department, 0) + count
    trigger_runs = [path for report in reports for path in report.trigger_runs]
    penalties = [start_forked(_penalty_child, trigger_runs, group, config, work, f"p{n}")
                 for n, group in enumerate(balanced_groups(loads, workers))]
    calls = _replay_calls([p for r in reports for p in r.calls], config, until)
    done = [receive_from(conn, "done") for _, conn in penalties]
    for process, _ in tickets + penalties:
        process.join()
    note("merging")
    runs = [path for report in reports for path in report.outputs]
    runs += [path for paths_, _ in done for path in paths_]
    if figures_only:
        written = 0
    elif calls is not None and calls.outputs:
        written = _write(merged_lines(runs), out, calls)
    else:
        written = _merge_on(runs, out, work, workers)
    figures = merge_figures([r.figures for r in reports] + [figures for _, figures in done])
    return BucketedReplay(figures=figures, events=sum(r.events for r in reports),
                          duplicates=sum(r.duplicates for r in reports),
                          invalid=sum(r.invalid for r in reports), until=until, lines=written,
                          open_tickets=sum(r.kept for r in reports), calls=calls)


def _merge_on(runs: list[Path], out: IO[bytes] | None, work: Path, workers: int) -> int:
    """The runs merged by ``workers`` processes, one key range each: this one merges the
    first range straight into ``out`` while forked ones merge the others into part files,
    appended to ``out`` after it."""
    cuts: list[bytes | None] = [None, *split_keys(runs, workers), None]
    merges = [start_forked(_merge_child, runs, cuts[n], cuts[n + 1], work / f"part-{n}")
              for n in range(1, len(cuts) - 1)]
    with contextlib.ExitStack() as stack:
        sink = out if out is not None else stack.enter_context(open(os.devnull, "wb"))
        first = merge_range_into(runs, cuts[0], cuts[1], sink)
    parts = [first] + [receive_from(conn, "done") for _, conn in merges]
    for process, _ in merges:
        process.join()
    for run in runs:  # the disk holds the parts and the output, not the runs too
        run.unlink()
    return copy_parts(parts, out)


def _replay_calls(paths: list[Path], config: SlaConfig, until: datetime | None):
    """The calls replay of the log's calls lines, to the same instant (None: the policy
    has no calls section or the log no calls line)."""
    from sla.calls_replay import replay_calls_lines

    if config.calls is None or not paths:
        return None
    lines = [line for path in paths for line in path.read_bytes().splitlines()]
    return replay_calls_lines(lines, config.calls, until=until)


def _write(lines: Iterator[bytes], out: IO[bytes] | None, calls) -> int:
    """The merged runs' payloads, each id once (the first in order), merged by time with
    the calls outputs (tickets first among equal times), written to ``out``; the number of
    ticket and penalty lines."""
    theirs = [] if calls is None else [(time_key(e.time).encode(), event_json_once(e) + b"\n")
                                       for e in calls.outputs]
    texts: Iterator[bytes] = (line[line.index(b"\t") + 1:] for line in _unique(lines))
    if theirs:
        ours = ((line[:16], line[line.index(b"\t") + 1:]) for line in _unique(lines))
        texts = (text for _, text in heapq.merge(ours, theirs, key=itemgetter(0)))
    written = 0
    batch: list[bytes] = []
    for text in texts:
        batch.append(text)
        if len(batch) >= _WRITE_BATCH:
            written += _flush(batch, out)
    written += _flush(batch, out)
    return written - len(theirs)


def _unique(lines: Iterable[bytes]) -> Iterator[bytes]:
    """Run lines without the repeats of an id (the first kept, as the sharded replay)."""
    last_id = None
    for line in lines:
        event_id = line[ORDER_ID_AT:line.index(b"\t")]
        if event_id != last_id:
            last_id = event_id
            yield line


def _flush(batch: list[bytes], out: IO[bytes] | None) -> int:
    count = len(batch)
    if out is not None:
        out.writelines(batch)
    batch.clear()
    return count


def _ticket_child(conn: Any, config: SlaConfig, work: Path, name: str,
                  until: datetime | None, cap: int, buckets: list[Path]) -> None:
    worker = TicketWorker(config, work, name, until=until, cap=cap)
    worker.run_buckets(buckets)
    conn.send(("bounds", (worker.report.first, worker.report.last)))
    until, first = conn.recv()
    # Unpickled, ``until`` has a tzinfo of its own: share it, it is compared all the time.
    until = None if until is None else shared_time(until)
    conn.send(("done", worker.finish(until, first)))


def _penalty_child(conn: Any, trigger_runs: list[Path], departments: list[str],
                   config: SlaConfig, work: Path, name: str) -> None:
    conn.send(("done", run_penalties(trigger_runs, departments, config, work, name)))


def _merge_child(conn: Any, runs: list[Path], low: bytes | None, high: bytes | None,
                 target: Path) -> None:
    conn.send(("done", merge_range(runs, low, high, target)))


