"""The department worklist: open clocks kept from ``sla.clocks_changed`` snapshots.

Writing (:func:`record_snapshots`, called by :class:`ledger.Ledger` for every batch): the
engine publishes a ticket's open clocks whenever an inbound event changes them, who holds
the ticket or whether it is disputed. Each snapshot replaces the ticket's rows in
``open_clocks`` when its ``revision`` is newer than the one recorded in
``clock_snapshots``; an older or equal one (a redelivery, a zombie worker's late write)
changes nothing. Snapshots are state, not history: they are not kept in ``ledger_events``.

Reading (:func:`worklist`): a department's open clocks, running ones first by breach
instant, then paused ones by working time left (a paused clock does not approach its
breach), filtered in SQL; each part follows the worklist index, so a page reads about its
own rows, not the department's 10,000. Time passing needs no new snapshot: ``due_at``, ``warn_from``
and ``breach_from`` are instants, so "warned" and "breached" compare with the reader's
now, and the caller turns ``due_at`` into working time left on the clock's calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select

from ledger.tables import ClockSnapshot, OpenClock

__all__ = ["SNAPSHOT_TYPE", "WorklistFilter", "WorklistRow", "latest_change", "record_snapshots",
           "worklist"]

SNAPSHOT_TYPE = "sla.clocks_changed"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One open clock as the worklist shows it (``seconds_left`` is the caller's)."""

    ticket: str
    department: str
    metric: str
    cycle: int
    policy: str
    calendar: str
    running: bool
    remaining_seconds: int
    target_seconds: int
    target: str | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    warn_from: dt.datetime | None
    breach_from: dt.datetime | None
    assignee: str | None
    status: str
    disputed: bool
    priority: str | None
    category: str | None
    changed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WorklistFilter:
    """What to list: ``department`` (None: every department) and optional filters."""

    department: str | None = None
    metric: str | None = None
    policy: str | None = None
    assignee: str | None = None
    warned: bool | None = None
    breached: bool | None = None


def record_snapshots(conn: Connection, insert: Callable[..., Any],
                     snapshots: Sequence[Any]) -> tuple[int, int]:
    """Apply the newest snapshot per ticket among ``snapshots`` when it is newer than the
    recorded one; return (applied, stale)."""
    latest: dict[str, Any] = {}
    for event in snapshots:
        held = latest.get(event.subject)
        if held is None or event.data.revision > held.data.revision:
            latest[event.subject] = event
    recorded = _recorded_revisions(conn, sorted(latest))
    fresh = [e for t, e in sorted(latest.items()) if e.data.revision > recorded.get(t, 0)]
    if fresh:
        tickets = [e.subject for e in fresh]
        for start in range(0, len(tickets), _CHUNK):
            chunk = tickets[start:start + _CHUNK]
            conn.execute(delete(OpenClock).where(OpenClock.ticket.in_(chunk)))
            conn.execute(delete(ClockSnapshot).where(ClockSnapshot.ticket.in_(chunk)))
        conn.execute(insert(ClockSnapshot), [
            {"ticket": e.subject, "revision": e.data.revision, "changed_at": e.data.changed_at}
            for e in fresh])
        rows = [_clock_row(e, clock) for e in fresh for clock in e.data.clocks]
        if rows:
            conn.execute(insert(OpenClock), rows)
    return len(fresh), len(snapshots) - len(fresh)


def _recorded_revisions(conn: Connection, tickets: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(tickets), _CHUNK):
        chunk = tickets[start:start + _CHUNK]
        stmt = select(ClockSnapshot.ticket, ClockSnapshot.revision).where(
            ClockSnapshot.ticket.in_(chunk))
        found.update((ticket, revision) for ticket, revision in conn.execute(stmt))
    return found


def _clock_row(event: Any, clock: Any) -> dict[str, Any]:
    data, at = event.data, event.data.changed_at
    return {
        "ticket": event.subject, "metric": clock.metric, "cycle": clock.cycle,
        "department": clock.department, "holder": data.department, "policy": clock.policy,
        "calendar": clock.calendar, "running": clock.running, "started_at": clock.started_at,
        "elapsed_seconds": clock.elapsed_seconds,
        "remaining_seconds": clock.target_seconds - clock.elapsed_seconds,
        "target_seconds": clock.target_seconds, "target": clock.target,
        "due_at": clock.due_at,
        "warn_from": clock.warns_at if clock.running else (at if clock.warned else None),
        "breach_from": clock.due_at if clock.running else (at if clock.breached else None),
        "assignee": data.assignee, "status": data.status, "disputed": data.disputed,
        "priority": data.priority, "category": data.category, "changed_at": at,
        "revision": data.revision,
    }


def _reached(column: Any, now: dt.datetime, wanted: bool) -> Any:
    """``column <= now`` (wanted) or its negation, a NULL counting as never reached."""
    if wanted:
        return and_(column.is_not(None), column <= now)
    return or_(column.is_(None), column > now)


def _conditions(spec: WorklistFilter, now: dt.datetime) -> list[Any]:
    conds: list[Any] = []
    for column, value in ((OpenClock.department, spec.department),
                          (OpenClock.metric, spec.metric), (OpenClock.policy, spec.policy),
                          (OpenClock.assignee, spec.assignee)):
        if value is not None:
            conds.append(column == value)
    if spec.warned is not None:
        conds.append(_reached(OpenClock.warn_from, now, spec.warned))
    if spec.breached is not None:
        conds.append(_reached(OpenClock.breach_from, now, spec.breached))
    return conds


_COLUMNS = [OpenClock.__table__.c[name] for name in WorklistRow.__slots__]
#: Within running clocks, soonest breach first; within paused ones, least time left first
#: (their ``due_at`` is NULL). Running clocks come first: they are read by their own query,
#: because a single ``ORDER BY running DESC, due_at, ...`` cannot follow the worklist index
#: (department, running, due_at, ...) and sorted all 10,000 clocks of a department for
#: every page (16 ms a page; bench/bench_api.py). Per part the index gives the order.
_ORDER = (OpenClock.due_at, OpenClock.remaining_seconds, OpenClock.ticket, OpenClock.metric,
          OpenClock.cycle)


def worklist(engine: Engine, spec: WorklistFilter, *, now: dt.datetime, limit: int,
             offset: int = 0) -> tuple[list[WorklistRow], int]:
    """One page of open clocks matching ``spec`` (closest to breach first) and how many
    match in all."""
    conds = _conditions(spec, now)
    counts = select(OpenClock.running, func.count()).where(*conds).group_by(OpenClock.running)
    with engine.connect() as conn:
        matching = {bool(running): n for running, n in conn.execute(counts)}
        running = matching.get(True, 0)
        rows: list[WorklistRow] = []
        for part, skip in ((True, offset), (False, max(0, offset - running))):
            wanted = limit - len(rows)
            if wanted > 0 and skip < matching.get(part, 0):
                page = (select(*_COLUMNS).where(*conds, OpenClock.running == part)
                        .order_by(*_ORDER).limit(wanted).offset(skip))
                rows.extend(WorklistRow(*row) for row in conn.execute(page))
        return rows, sum(matching.values())


def latest_change(engine: Engine) -> dt.datetime | None:
    """The event time of the newest clock snapshot recorded (None: none yet): how far the
    stream has got, for an API that follows a stream clock (demos, replays)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(ClockSnapshot.changed_at))).scalar_one()
