"""The API bench's ledger: a million penalties and a department's 10,000 open clocks, fast.

Rows go straight into the tables with SQLAlchemy Core ``executemany`` in large batches
after :meth:`ledger.Ledger.migrate` (recording a million CloudEvents through
:meth:`~ledger.Ledger.record` would take an hour and measure the writer, not the API).
They look like the stream's: penalties of the policy's three rules over a year, in every
department, charged to the simulator's employees, a few reversed by upheld disputes; open
clocks of the policy's SLAs whose ``due_at`` and ``warn_from`` come from the clock's own
business calendar, spread from a day overdue to days ahead, some paused.

The penalties are kept between runs (:func:`cached_sqlite`: a SQLite file under
``var/bench`` named by size and schema head; on PostgreSQL a schema named the same way);
the open clocks are rebuilt on every run around the wall clock of that run, because the
worklist is about "now" and a cached one would be all overdue a week later.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, insert, select

from bench._common import BENCH_DIR
from ledger import Ledger
from ledger.tables import ClockSnapshot, OpenClock, Penalty
from sla.specs import SlaConfig
from sla_police.simulator.catalog import CATEGORY_DEPARTMENT, POOL_SIZES, employee_id

__all__ = [
    "FEED_END",
    "FEED_START",
    "Filled",
    "cached_sqlite",
    "fill_open_clocks",
    "fill_penalties",
    "penalty_count",
]

#: The year of penalties (fixed, so a cached ledger is the same whenever it was built).
FEED_START = datetime(2025, 12, 1, tzinfo=UTC)
FEED_END = datetime(2026, 12, 1, tzinfo=UTC)
BATCH = 20_000
#: Bumped when the generated rows change shape, so an old cache is not reused.
FILL_VERSION = 1
#: Department shares of penalties and of the other departments' open clocks.
DEPARTMENT_WEIGHTS = {"logistics": 30, "billing": 18, "network": 10, "stores": 10,
                      "product": 14, "it": 10, "triage": 8}
#: (rule, trigger, metric, base fine, points, share): the shipped policy's penalties.
RULES = [("per-complaint", "complaint", None, Decimal(50), 0, 70),
         ("late-resolution", "breach", "resolve", Decimal(500), 2, 20),
         ("late-acknowledge", "breach", "acknowledge", Decimal(100), 1, 10)]
PRIORITIES = {"P1": 2, "P2": 15, "P3": 53, "P4": 30}
REVERSED_SHARE = 0.015
PAUSED_SHARE = 0.12


@dataclass(frozen=True)
class Filled:
    """What a fill wrote and how long it took."""

    rows: int
    seconds: float
    cached: bool = False


def cached_sqlite(penalties: int) -> Path:
    """Where the SQLite ledger with ``penalties`` rows at the current schema head is kept."""
    return BENCH_DIR / f"api-ledger-{penalties}-r{Ledger.head()}-v{FILL_VERSION}.db"


def penalty_count(engine: Engine) -> int:
    """Rows in ``penalties`` (0 when the table does not exist yet)."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("penalties"):
        return 0
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Penalty)).scalar_one()


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _employees() -> dict[str, list[str]]:
    return {d: [employee_id(d, n) for n in range(1, POOL_SIZES.get(d, 20) + 1)]
            for d in DEPARTMENT_WEIGHTS}


def _penalty_rows(count: int, timezone: str, seed: int = 12) -> Iterator[dict[str, Any]]:
    """``count`` penalties in assessed_at order over the year FEED_START..FEED_END."""
    rng, zone = random.Random(seed), ZoneInfo(timezone)
    departments, weights = list(DEPARTMENT_WEIGHTS), list(DEPARTMENT_WEIGHTS.values())
    rules, rule_weights = RULES, [r[-1] for r in RULES]
    staff, step = _employees(), (FEED_END - FEED_START) / count
    for n in range(count):
        at = FEED_START + step * n + step * rng.random()
        department = rng.choices(departments, weights)[0]
        rule, trigger, metric, fine, points, _ = rng.choices(rules, rule_weights)[0]
        assignee = rng.choice(staff[department]) if rng.random() < 0.92 else None
        multiplier = Decimal(2) if trigger == "breach" and rng.random() < 0.25 else Decimal(1)
        row = {"id": _uuid(rng), "ticket": f"T-{2025 + n * 12 // count}-{n // 3:07d}",
               "department": department, "assignee": assignee,
               "charged_to": "assignee" if trigger == "complaint" and assignee else "department",
               "rule": rule, "trigger": trigger,
               "breach_id": _uuid(rng) if trigger == "breach" else None, "metric": metric,
               "base_fine": fine, "multiplier": multiplier, "capped_amount": Decimal(0),
               "fine": fine * multiplier, "points": points, "currency": "CNY",
               "period": at.astimezone(zone).strftime("%Y-%m"), "assessed_at": at,
               "reversed_at": None, "reversal_id": None, "reversal_reason": None,
               "dispute_id": None}
        if rng.random() < REVERSED_SHARE:
            row.update(reversed_at=at + timedelta(days=rng.uniform(0.5, 6)),
                       reversal_id=_uuid(rng), dispute_id=_uuid(rng),
                       reversal_reason="dispute upheld: the ticket was not ours")
        yield row


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _fast_writes(conn: Any) -> None:
    """SQLite: no fsync and a large page cache for the fill (the file is scratch until
    it is complete and renamed)."""
    if conn.dialect.name == "sqlite":  # outside a transaction: on the sqlite3 connection
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA synchronous=OFF")
        raw.execute("PRAGMA cache_size=-400000")


def fill_penalties(ledger: Ledger, count: int, timezone: str) -> Filled:
    """Insert ``count`` penalties into a migrated, empty ledger; print progress."""
    started = time.perf_counter()
    statement = insert(Penalty.__table__)
    with ledger.engine.connect() as conn:
        _fast_writes(conn)
        for done, batch in enumerate(_batches(_penalty_rows(count, timezone), BATCH), 1):
            with conn.begin():
                conn.execute(statement, batch)
            if done % 10 == 0:
                print(f"    {done * BATCH:>9,} penalties, {time.perf_counter() - started:.0f} s",
                      flush=True)
    _analyze(ledger, "penalties")
    return Filled(count, time.perf_counter() - started)


def _analyze(ledger: Ledger, table: str) -> None:
    """Statistics for the planner, as a ledger in service has them; on PostgreSQL a VACUUM
    too (autovacuum's work), so the visibility map allows index-only scans."""
    with ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        postgres = conn.dialect.name == "postgresql"
        conn.exec_driver_sql(f"VACUUM ANALYZE {table}" if postgres else "ANALYZE")


# -- open clocks --------------------------------------------------------------------------
def _clock(rng: random.Random, config: SlaConfig, calendars: dict[str, Any],
           department: str, now: datetime) -> dict[str, Any]:
    """One open clock of ``department`` as the ledger keeps it from a snapshot: started
    up to three days ago, last changed since, due on its calendar (or paused)."""
    priority = rng.choices(list(PRIORITIES), list(PRIORITIES.values()))[0]
    policy = next(p for p in config.slas if p.match.get("priority") in (priority, None))
    calendar = policy.calendar or config.departments[department].calendar
    business = calendars[calendar]
    metric = "acknowledge" if rng.random() < 0.3 else "resolve"
    duration = policy.acknowledge if metric == "acknowledge" else policy.resolve
    started = now - timedelta(seconds=rng.uniform(0, 3 * 86400)
                              * (duration.seconds + duration.days * 86400) / 172_800)
    target = business.duration_seconds(started, duration)
    changed = started + (now - started) * rng.random()
    elapsed = business.working_seconds(started, changed)
    running = not (metric == "resolve" and rng.random() < PAUSED_SHARE)
    warn = policy.warn_at[0] if policy.warn_at else None
    due = business.add(started, target) if running else None
    warn_at = business.add(started, int(target * warn)) if running and warn else None
    return {
        "metric": metric, "cycle": 2 if rng.random() < 0.04 else 1, "department": department,
        "holder": department, "policy": policy.name, "calendar": calendar, "running": running,
        "started_at": started, "elapsed_seconds": elapsed,
        "remaining_seconds": target - elapsed, "target_seconds": target,
        "target": duration.text, "due_at": due, "warn_from": warn_at if running else (
            changed if warn and elapsed >= target * warn else None),
        "breach_from": due if running else (changed if elapsed >= target else None),
        "status": "open", "disputed": rng.random() < 0.01, "priority": priority,
        "changed_at": changed, "revision": rng.randint(1, 6)}


def _clock_rows(config: SlaConfig, calendars: dict[str, Any], home: str,
                home_clocks: int, other_clocks: int, now: datetime,
                seed: int = 13) -> Iterator[dict[str, Any]]:
    rng, staff = random.Random(seed), _employees()
    categories = {d: [c for c, owner in CATEGORY_DEPARTMENT.items() if owner == d]
                  for d in DEPARTMENT_WEIGHTS}
    others = {d: w for d, w in DEPARTMENT_WEIGHTS.items() if d != home}
    plan = [home] * home_clocks + rng.choices(list(others), list(others.values()),
                                              k=other_clocks)
    for n, department in enumerate(plan):
        row = _clock(rng, config, calendars, department, now)
        row.update(ticket=f"T-OPEN-{n:07d}", category=rng.choice(categories[department]),
                   assignee=rng.choice(staff[department]) if rng.random() < 0.8 else None)
        yield row


def fill_open_clocks(ledger: Ledger, config: SlaConfig, calendars: dict[str, Any],
                     home: str, home_clocks: int, other_clocks: int, now: datetime) -> Filled:
    """Replace the open clocks (and their snapshots) by ``home_clocks`` of ``home`` and
    ``other_clocks`` spread over the other departments, one ticket each, around ``now``."""
    started = time.perf_counter()
    rows = list(_clock_rows(config, calendars, home, home_clocks, other_clocks, now))
    snapshots = [{"ticket": r["ticket"], "revision": r["revision"],
                  "changed_at": r["changed_at"]} for r in rows]
    with ledger.engine.connect() as conn:
        _fast_writes(conn)
        with conn.begin():
            conn.execute(delete(OpenClock))
            conn.execute(delete(ClockSnapshot))
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(ClockSnapshot.__table__), snapshots[start:start + BATCH])
                conn.execute(insert(OpenClock.__table__), rows[start:start + BATCH])
    _analyze(ledger, "open_clocks")
    return Filled(len(rows), time.perf_counter() - started)
