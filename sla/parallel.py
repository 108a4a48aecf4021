"""Replay on every core: shard by ticket, then by department, merge by order.

The ticket stage never looks across tickets and the penalty stage never across
departments, exactly like the stream's partitioning, so a log can be split the
same way: each shard runs in its own forked process, and the sorted, deduped
merge is byte-identical to :func:`sla.replay.replay_lines` (tests check this).
Only standard-library multiprocessing is used; nothing here touches a network.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from models import ALL_TYPES, CloudEvent, Rejection, parse_event
from sla import outcomes
from sla.engine import SlaEngine
from sla.notifications import notifications_for
from sla.penalties import PenaltyBook, PenaltyEngine
from sla.replay import (
    ORDER_ID_AT,
    gc_paused,
    is_feed_line,
    order_key,
    rejected_origin,
    share_zone,
    shared_time,
    time_key,
)
from sla.specs import SlaConfig
from sla.summary import DepartmentFigures, summarise

__all__ = ["ShardedReplay", "balanced_groups", "merge_figures", "receive_from", "replay_sharded",
           "start_forked"]

_SUBJECT = re.compile(rb'"subject"\s*:\s*"([^"\\]*)"')
#: A sorted run: order keys, and the UTF-8 JSON texts in that order. Bytes pickle
#: as a copy, strings are encoded by the sender and decoded by the receiver: as
#: bytes, a run costs the shard half as much and the parent decodes it once.
Run = tuple[list[str], list[bytes]]


@dataclass
class ShardedReplay:
    """Result of a sharded replay: JSONL lines in output order, plus figures."""

    lines: list[str]
    figures: dict[str, DepartmentFigures]
    events: int
    duplicates: int
    invalid: int
    until: datetime | None


def _shard_of(line: bytes, shards: int) -> int:
    match = _SUBJECT.search(line)
    return zlib.crc32(match.group(1)) % shards if match else 0


def _keyed(events: list[CloudEvent],
           texts: list[bytes] | None = None) -> list[tuple[str, bytes]]:
    """(order key, JSON) pairs of ``events``."""
    texts = texts if texts is not None else [e.to_json_bytes() for e in events]
    return [(order_key(e), text) for e, text in zip(events, texts, strict=True)]


def _as_run(keyed: list[tuple[str, bytes]]) -> Run:
    """Sorted here, so the parent only merges sorted runs."""
    keyed.sort(key=_first)
    return [key for key, _ in keyed], [text for _, text in keyed]


def _decoded(run: Run) -> list[tuple[str, str]]:
    keys, texts = run
    return list(zip(keys, [text.decode() for text in texts], strict=True))


#: Sort key of (key, ...) pairs; itemgetter runs in C, a lambda per item does not.
_first = itemgetter(0)


def _finish(conn: Any, result: Any) -> None:
    """Send a shard's result and end its process at once.

    Returning would first free the shard's millions of objects one by one (about
    5 % of the replay's CPU time); the OS takes the memory back for free. The
    result is in the pipe before the process ends, so the parent still reads it.
    """
    conn.send(("done", result))
    conn.close()
    os._exit(0)


def _run_child(conn: Any, work: Callable[..., Any], *args: Any) -> None:
    """Run ``work``, report a failure to the parent, then end at once: freeing millions
    of objects one by one would cost seconds, and the OS takes the memory back for free."""
    try:
        with gc_paused():
            work(conn, *args)
    except BaseException:  # report any failure to the parent, then die
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
        os._exit(0)


def _ticket_shard(conn: Any, lines: Sequence[bytes], config: SlaConfig) -> None:
    events, rejected = _parse_lines(lines)
    times = [e.time for e in events]
    conn.send(("bounds", (min(times, default=None), max(times, default=None))))
    until, first = conn.recv()
    # Unpickled, ``until`` has a tzinfo of its own: share it, it is compared all the time.
    until = None if until is None else shared_time(until)
    engine, tickets, duplicates = SlaEngine(config), {}, 0
    for event in events:
        state = tickets.get(event.subject) or tickets.setdefault(
            event.subject, engine.new_ticket(event.subject))
        duplicates += not engine.receive(state, event)
    out: list[CloudEvent] = []
    if until is not None:
        for state in tickets.values():
            out.extend(engine.advance(state, until))
    texts = [e.to_json_bytes() for e in out]
    # Triggers first: the parent starts the penalty stage while this shard finishes.
    conn.send(("triggers", [(PenaltyEngine.departments_for(e), f"{time_key(e.time)}{e.id}", text)
                            for e, text in zip(out, texts, strict=True)
                            if PenaltyEngine.is_trigger(e)]))
    extra = [n for e in out for n in notifications_for(e, config)]
    if first is not None:
        for raw, rejection in rejected:
            topic, key = rejected_origin(raw)
            extra.append(outcomes.dead_letter(raw, rejection.reason, topic=topic, at=first,
                                              key=key))
    run = _as_run(_keyed(out, texts) + _keyed(extra))
    figures = summarise(out + extra)
    _finish(conn, (run, figures, len(events), duplicates, len(rejected)))


def _parse_lines(lines: Sequence[bytes]) -> tuple[list[CloudEvent], list[tuple[bytes, Any]]]:
    events, rejected = [], []
    for line in lines:
        stripped = line.strip()
        if stripped:
            parsed = parse_event(stripped, accept="inbound")
            if isinstance(parsed, Rejection):
                if not is_feed_line(stripped):  # the volumes topic's: not for the engine
                    rejected.append((stripped, parsed))
            else:
                events.append(share_zone(parsed))
    return events, rejected


def _department_shard(conn: Any, triggers: list[tuple[str, bytes]], config: SlaConfig) -> None:
    """Penalties of some departments; triggers come as ((time, id) key, JSON) pairs."""
    penalties = PenaltyEngine(config)
    triggers.sort(key=_first)
    events = [_parse_output(raw) for _, raw in triggers]
    books: dict[str, PenaltyBook] = {}
    out: list[CloudEvent] = []
    mine = set(conn.recv())
    for event in events:
        for department in penalties.departments_for(event):
            if department in mine:
                book = books.get(department) or books.setdefault(department,
                                                                 PenaltyBook(department))
                out.extend(penalties.apply(book, event))
    out.extend(n for e in list(out) for n in notifications_for(e, config))
    _finish(conn, (_as_run(_keyed(out)), summarise(out)))


def _parse_output(raw: bytes) -> CloudEvent:
    kind = raw.split(b'"type":"', 1)[1].split(b'"', 1)[0].decode()
    return ALL_TYPES[kind].model_validate_json(raw)


def start_forked(work: Callable[..., Any], *args: Any) -> tuple[Any, Any]:
    """``work(conn, *args)`` in a forked process (GC paused, any failure sent to the parent
    as ``("error", traceback)``); returns the process and the parent's end of its pipe."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_run_child, args=(child, work, *args), daemon=True)
    process.start()
    child.close()
    return process, parent


def receive_from(conn: Any, expected: str) -> Any:
    """The payload of the next ``(kind, payload)`` message of a :func:`start_forked` child;
    a failure it reported is raised here as ``RuntimeError`` with its traceback."""
    kind, payload = conn.recv()
    if kind == "error":
        raise RuntimeError(f"replay process failed:\n{payload}")
    assert kind == expected, kind
    return payload


def replay_sharded(lines: Sequence[bytes], config: SlaConfig, *, until: datetime | None = None,
                   workers: int = 2,
                   on_phase: Callable[[str], None] | None = None) -> ShardedReplay:
    """Replay ``lines`` (JSONL) on ``workers`` processes; same bytes as sequential."""
    with gc_paused():  # the parent holds a million small tuples while it merges
        return _replay_sharded(lines, config, until, workers, on_phase or (lambda _: None))


def _replay_sharded(lines: Sequence[bytes], config: SlaConfig, until: datetime | None,
                    workers: int, note: Callable[[str], None]) -> ShardedReplay:
    buckets: list[list[bytes]] = [[] for _ in range(workers)]
    for line in lines:
        buckets[_shard_of(line, workers)].append(line)
    note(f"ticket stage on {workers} processes")
    shards = [start_forked(_ticket_shard, bucket, config) for bucket in buckets]
    bounds = [receive_from(conn, "bounds") for _, conn in shards]
    firsts = [b[0] for b in bounds if b[0] is not None]
    lasts = [b[1] for b in bounds if b[1] is not None]
    until = until or (max(lasts) if lasts else None)
    for _, conn in shards:
        conn.send((until, min(firsts) if firsts else None))
    triggers = [t for _, conn in shards for t in receive_from(conn, "triggers")]
    note(f"penalty stage on {workers} processes")
    penalty_shards = _start_penalty_stage(triggers, config, workers)
    results = [receive_from(conn, "done") for _, conn in shards]
    merged = [item for r in results for item in _decoded(r[0])]  # while penalties run
    done = [receive_from(conn, "done") for _, conn in penalty_shards]
    for process, _ in shards + penalty_shards:
        process.join()
    note("merging")
    merged.extend(item for run, _ in done for item in _decoded(run))
    merged.sort(key=_first)  # a merge of sorted runs: Timsort finds them
    out, last_id = [], None
    for key, text in merged:
        event_id = key[ORDER_ID_AT:]
        if event_id != last_id:
            out.append(text)
            last_id = event_id
    figures = merge_figures([r[1] for r in results] + [figures for _, figures in done])
    return ShardedReplay(lines=out, figures=figures, events=sum(r[2] for r in results),
                         duplicates=sum(r[3] for r in results),
                         invalid=sum(r[4] for r in results), until=until)


def _start_penalty_stage(triggers: list[tuple[list[str], str, bytes]], config: SlaConfig,
                         workers: int) -> list[tuple[Any, Any]]:
    groups = _balanced_groups(triggers, workers)
    owner = {department: n for n, group in enumerate(groups) for department in group}
    routed: list[list[tuple[str, bytes]]] = [[] for _ in range(workers)]
    for departments, key, raw in triggers:
        for n in {owner.get(d, 0) for d in departments}:
            routed[n].append((key, raw))
    shards = [start_forked(_department_shard, routed[n], config) for n in range(workers)]
    for n, (_, conn) in enumerate(shards):
        conn.send(groups[n])
    return shards


def _balanced_groups(triggers: list[tuple[list[str], str, bytes]],
                     workers: int) -> list[list[str]]:
    load: dict[str, int] = {}
    for departments, _, _ in triggers:
        for department in departments:
            load[department] = load.get(department, 0) + 1
    return balanced_groups(load, workers)


def balanced_groups(loads: dict[str, int], workers: int) -> list[list[str]]:
    """Departments split over ``workers`` so each gets about the same number of triggers
    (the heaviest first, each to the lightest group so far)."""
    groups: list[list[str]] = [[] for _ in range(workers)]
    totals = [0] * workers
    for department in sorted(loads, key=lambda d: (-loads[d], d)):
        n = totals.index(min(totals))
        groups[n].append(department)
        totals[n] += loads[department]
    return groups


def merge_figures(parts: list[dict[str, DepartmentFigures]]) -> dict[str, DepartmentFigures]:
    """Figures per department summed over ``parts`` (one per shard), sorted by department."""
    total: dict[str, DepartmentFigures] = {}
    for part in parts:
        for department, figures in part.items():
            into = total.setdefault(department, DepartmentFigures(department))
            for name, value in vars(figures).items():
                if name != "department":
                    setattr(into, name, getattr(into, name) + value)
    return dict(sorted(total.items()))
