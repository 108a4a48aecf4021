"""IVR lookup latency: "is this caller blocked, until when" at a constant request rate.

The real API (``sla-police api``, uvicorn, in a subprocess, as :mod:`bench.bench_api`
serves it) on a ledger holding ``--blocks`` active caller blocks (default 100,000: day,
week and month blocks by rule and by people, and permanent ones), asked by an ``ivr``
principal over HTTP with httpx at ``--rate`` requests/s (default 200) for ``--seconds``
(default 30) on an open-loop timetable: request *i* leaves at ``start + i / rate``
whatever the earlier ones are doing, and its latency counts from that instant. Half the
lookups name a blocked caller, half a caller never blocked (the IVR asks on every call).
Prints p50, p99, max, failures and whether p99 is under the goal (20 ms). No assertions:
figures only.

    .venv/bin/python -m bench.bench_ivr [--blocks 100000] [--rate 200] [--seconds 30]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

The blocks are inserted with Core executemany around the run's wall clock (a cached
ledger's blocks would have expired), into a scratch SQLite file under ``var/bench`` or, with
``--database-url`` of PostgreSQL, a scratch schema; both are removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from api.principals import Role, add_principal
from bench._common import BENCH_DIR, cpu_seconds, load_average
from bench.bench_api import api_server
from ledger import Ledger
from ledger.tables import CallerBlock

__all__ = ["GOAL_MS", "Lookups", "fill_blocks", "main"]

GOAL_MS = 20.0
BATCH = 20_000
#: (period, length, share): what a contact center's blocks look like.
PERIODS = [("day", timedelta(days=1), 50), ("week", timedelta(days=7), 30),
           ("month", timedelta(days=30), 15), ("permanent", None, 5)]


@dataclass(frozen=True)
class Lookups:
    """Latencies (s, from the scheduled instant) of the answered lookups, and the rest."""

    latencies: list[float]
    failed: int
    statuses: dict[int, int]
    blocked_answers: int
    max_lag: float
    server_cpu: float

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _caller(n: int) -> str:
    return f"c-{n:08d}"


def _row(rng: random.Random, kinds: list, n: int, now: datetime) -> dict:
    period, length = rng.choice(kinds)
    at = now - timedelta(seconds=rng.uniform(0, 0.9) * (
        length or timedelta(days=90)).total_seconds())
    return {"caller": _caller(n), "block_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "period": period, "blocked_at": at,
            "until": None if length is None else at + length, "reason": "worthless calls",
            "by": "rule:burst" if period == "day" and rng.random() < 0.7 else "cc-1+lead-2",
            "review_at": at + timedelta(days=30) if length is None else None}


def fill_blocks(ledger: Ledger, count: int, now: datetime, seed: int = 15) -> float:
    """Insert ``count`` blocks active at ``now`` (callers ``c-00000000`` ...); seconds taken."""
    rng = random.Random(seed)
    kinds = [(p, length) for p, length, share in PERIODS for _ in range(share)]
    started = time.perf_counter()
    with ledger.engine.begin() as conn:
        for first in range(0, count, BATCH):
            conn.execute(insert(CallerBlock), [_row(rng, kinds, n, now)
                                               for n in range(first, min(count, first + BATCH))])
    return time.perf_counter() - started


@contextlib.contextmanager
def scratch_ledger(url: str | None, scratch: Path) -> Iterator[str]:
    """A migrated, empty ledger: a SQLite file in ``scratch``, or a new PostgreSQL schema
    (dropped afterwards) when ``url`` is PostgreSQL."""
    if url is None or make_url(url).get_backend_name() != "postgresql":
        yield url or f"sqlite:///{scratch / 'ivr.db'}"
        return
    schema = f"bench_ivr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


async def _load(base: str, token: str, blocks: int, rate: float, seconds: float) -> Lookups:
    rng = random.Random(7)
    total = round(rate * seconds)
    paths = [f"/api/v1/callers/{_caller(rng.randrange(blocks))}/block" if i % 2 == 0
             else f"/api/v1/callers/n-{rng.randrange(10**9):09d}/block" for i in range(total)]
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30, limits=limits) as client:
        for path in paths[:10]:  # warm up: connections, the server's caches
            (await client.get(path)).raise_for_status()
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(path: str, scheduled: float) -> tuple[float, float, int, bool]:
            lag = loop.time() - scheduled
            try:
                answer = await client.get(path)
                blocked = answer.status_code == 200 and answer.json()["blocked"]
                status = answer.status_code
            except httpx.HTTPError:
                status, blocked = 0, False
            return loop.time() - scheduled, lag, status, blocked

        tasks = []
        for i, path in enumerate(paths):  # the timetable: never waits for a response
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            tasks.append(asyncio.create_task(one(path, scheduled)))
        outcomes = await asyncio.gather(*tasks)
    statuses: dict[int, int] = {}
    for *_, status, _ in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    return Lookups([t for t, _, s, _ in outcomes if s == 200],
                   sum(1 for _, _, s, _ in outcomes if s != 200), statuses,
                   sum(1 for *_, b in outcomes if b), max(o[1] for o in outcomes), 0.0)


def _report(result: Lookups, rate: float) -> str:
    ms = [result.quantile(q) * 1000 for q in (0.5, 0.99, 1.0)]
    sent = len(result.latencies) + result.failed
    met = ms[1] < GOAL_MS and not result.failed
    cpu = result.server_cpu / sent * 1000 if sent else float("nan")
    return (f"  lookups {sent:,} at {rate:g}/s ({result.blocked_answers:,} blocked), failed "
            f"{result.failed}: p50 {ms[0]:.1f} ms, p99 {ms[1]:.1f} ms, max {ms[2]:.1f} ms, "
            f"server cpu {cpu:.1f} ms/request; p99 < {GOAL_MS:.0f} ms: "
            f"{'yes, goal met' if met else 'no, not met'}"
            + (f"  statuses {result.statuses}" if result.failed else ""))


def run(args: argparse.Namespace) -> Lookups:
    """Fill the ledger, start the API, measure; print as it goes."""
    print(f"IVR lookup bench: {args.blocks:,} blocks, {args.rate:g} req/s for "
          f"{args.seconds:g} s; {os.cpu_count()} cores; {load_average()}", flush=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-ivr-", dir=BENCH_DIR))
    now = datetime.now(UTC)
    try:
        with scratch_ledger(args.database_url, scratch) as url:
            with Ledger(url, timezone="Asia/Shanghai") as ledger:
                ledger.migrate()
                seconds = fill_blocks(ledger, args.blocks, now)
            backend = make_url(url).get_backend_name()
            print(f"  blocks: {args.blocks:,} rows on {backend}, filled in {seconds:.1f} s")
            principals = scratch / "principals.yaml"
            _, token = add_principal(principals, "bench-ivr", Role.IVR, None, now)
            with api_server(url, principals, scratch / "api.log") as (base, pid):
                cpu = cpu_seconds(pid)
                result = asyncio.run(_load(base, token, args.blocks, args.rate, args.seconds))
                result = Lookups(result.latencies, result.failed, result.statuses,
                                 result.blocked_answers, result.max_lag, cpu_seconds(pid) - cpu)
            print(_report(result, args.rate) + f"   [{load_average()}, generator late by up "
                  f"to {result.max_lag * 1000:.0f} ms]", flush=True)
            return result
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> Lookups:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=100_000, help="active blocks")
    parser.add_argument("--rate", type=float, default=200.0, help="lookups per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long")
    parser.add_argument("--database-url", default=None,
                        help="a ledger to use: an empty SQLite URL, or PostgreSQL (a scratch "
                        "schema is made and dropped), e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    if args.blocks < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--blocks, --rate and --seconds must be positive")
    return run(args)


if __name__ == "__main__":
    main()
