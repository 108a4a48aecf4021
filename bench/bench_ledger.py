"""Ledger throughput: events/s recorded into SQLite and PostgreSQL (no assertions).

For each backend, on a fresh schema: record N synthetic outbound events in batches of
10,000 (a mix like a replay's output: outcomes, notifications, penalties, some reversals),
then record them all again (every one a duplicate, as after a crash and redelivery).
Parsing is not timed: the events are built before the clock starts.

    .venv/bin/python -m bench.bench_ledger [--events N] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from ledger import Ledger
from models.examples import example
from models.parse import parse_event

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Share of each type in a simulated week's replay output (var/demo/outcomes.jsonl).
MIX = {"sla.met": 30, "notification.requested": 25, "penalty.assessed": 19,
       "sla.attributed": 17, "sla.warning": 3, "sla.cancelled": 2, "sla.breached": 2,
       "penalty.reversed": 1, "event.rejected": 1}


def make_events(count: int) -> list:
    """``count`` valid outbound events with distinct ids, in the MIX proportions."""
    templates = [t for t, share in MIX.items() for _ in range(share)]
    events = []
    for n in range(count):
        raw = example(templates[n % len(templates)])
        raw["id"] = f"bench-{n}"
        raw["subject"] = f"T-BENCH-{n // 10:07d}"
        if raw["type"] == "penalty.reversed":
            raw["data"]["penalty_id"] = f"bench-{n - 1}"
        events.append(parse_event(json.dumps(raw), accept="any"))
    return events


def run(label: str, url: str, events: list) -> None:
    with Ledger(url, timezone="Asia/Shanghai") as ledger:
        ledger.migrate()
        for attempt in ("first time", "again (all duplicates)"):
            started = time.perf_counter()
            stats = ledger.record(events, batch_size=10_000)
            seconds = time.perf_counter() - started
            print(f"  {label:<11} {attempt:<24} {seconds:6.2f} s  "
                  f"{len(events) / seconds:>9,.0f} events/s  "
                  f"({stats.total_inserted:,} inserted, {stats.total_duplicates:,} duplicates)")


def run_postgres(url: str, events: list) -> None:
    schema = f"bench_ledger_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"  postgresql  skipped: {url} unreachable ({exc.orig})")
        return
    try:
        run("postgresql", f"{url}?options=-csearch_path%3D{schema}", events)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--postgres", default=POSTGRES, help="PostgreSQL URL (no query)")
    args = parser.parse_args()
    events = make_events(args.events)
    print(f"ledger benchmark: {len(events):,} outbound events, batches of 10,000")
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{Path(tmp) / 'ledger.db'}", events)
    run_postgres(args.postgres, events)


if __name__ == "__main__":
    main()
