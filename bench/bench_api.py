"""API latency: the department worklist and the penalty feed at a steady request rate.

The real API (``sla-police api``, uvicorn, in a subprocess) on a ledger of ``--penalties``
penalties (default 1,000,000 over a year) and ``--open-clocks`` open clocks of one
department (default 10,000, and twice as many spread over the others), called over HTTP
with httpx and real bearer tokens (a department principal for the worklist, HR for the
feed). Each endpoint gets ``--rate`` requests/s for ``--seconds`` on an open-loop
schedule: request *i* is sent at ``start + i / rate`` whether or not the previous ones have
returned, and its latency counts from that instant, so a server that falls behind shows
as latency, never as fewer requests. Prints p50, p99, max and failures (not 200) per
endpoint, and whether p99 meets the goal (100 ms). No assertions: figures only.

    .venv/bin/python -m bench.bench_api [--penalties N] [--open-clocks N] [--rate 50]
        [--seconds 20] [--database-url URL]

The SQLite ledger is cached under ``var/bench`` (by size and schema head, :mod:`bench.
_api_ledger`); a PostgreSQL URL gets a schema named the same way, kept between runs too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from api.cursor import encode_cursor
from api.principals import Role, add_principal
from bench._api_ledger import (
    Filled,
    cached_sqlite,
    fill_open_clocks,
    fill_penalties,
    penalty_count,
)
from bench._common import BENCH_DIR, cpu_seconds, load_average, wait_until
from ledger import Ledger
from ledger.tables import Penalty
from sla.calendar import build_calendars
from sla.config import load_config

__all__ = ["Endpoint", "Result", "main", "measure"]

CONFIG = Path("deploy/config/sla-police.yaml")
HOME = "logistics"
PERIOD = "2026-06"
GOAL_MS = 100.0


@dataclass(frozen=True)
class Endpoint:
    """One thing to measure: a GET path with its query, and who calls it."""

    label: str
    path: str
    token: str


@dataclass(frozen=True)
class Result:
    """Latencies (s, from the scheduled instant) of the answered requests, and the rest."""

    latencies: list[float]
    failed: int
    statuses: dict[int, int]
    max_lag: float  # how late the generator itself sent a request (its own health)
    server_cpu: float
    items: int = 0  # items of the first answer: the query matched rows (not an empty page)

    def quantile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# -- ledger -------------------------------------------------------------------------------
def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def prepare_ledger(url: str | None, penalties: int, timezone: str) -> tuple[str, Filled]:
    """The URL of a ledger at the schema head holding ``penalties`` penalties: a cached
    one when it exists, else built now (into a scratch file renamed when complete)."""
    if url is not None and make_url(url).get_backend_name() == "postgresql":
        return _prepare_postgres(url, penalties, timezone)
    if url is not None:
        return url, _fill_if_empty(url, penalties, timezone)
    path = cached_sqlite(penalties)
    if path.exists():
        return f"sqlite:///{path}", Filled(penalties, 0.0, cached=True)
    part = path.with_suffix(".part")
    for leftover in part.parent.glob(part.name + "*"):
        leftover.unlink()
    filled = _fill_if_empty(f"sqlite:///{part}", penalties, timezone)
    part.rename(path)
    return f"sqlite:///{path}", filled


def _fill_if_empty(url: str, penalties: int, timezone: str) -> Filled:
    with Ledger(url, timezone=timezone) as ledger:
        ledger.migrate()
        present = penalty_count(ledger.engine)
        if present == penalties:
            return Filled(penalties, 0.0, cached=True)
        if present:
            raise SystemExit(f"{url} holds {present:,} penalties, not {penalties:,}: give an "
                             "empty ledger or the one this bench built")
        print(f"  filling {penalties:,} penalties ...", flush=True)
        return fill_penalties(ledger, penalties, timezone)


def _prepare_postgres(url: str, penalties: int, timezone: str) -> tuple[str, Filled]:
    schema = f"bench_api_{penalties}_r{Ledger.head()}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        admin.dispose()
    scoped = _with_schema(url, schema)
    try:
        return scoped, _fill_if_empty(scoped, penalties, timezone)
    except BaseException:
        admin = create_engine(url)  # a half-filled schema must not pass for a cache
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        raise


def deep_cursor(url: str, timezone: str, fraction: float = 0.6) -> str:
    """The feed's cursor after the row ``fraction`` of the way through the ledger."""
    with Ledger(url, timezone=timezone) as ledger, ledger.engine.connect() as conn:
        total = penalty_count(ledger.engine)
        at, row_id = conn.execute(
            select(Penalty.assessed_at, Penalty.id).order_by(Penalty.assessed_at, Penalty.id)
            .offset(int(total * fraction)).limit(1)).one()
    return encode_cursor(at, row_id)


# -- the API server -----------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def api_server(url: str, principals: Path, log: Path):
    """``sla-police api`` on a free port, on ledger ``url``; yields (base URL, pid)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
    env.update(SLA_DATABASE_URL=url, SLA_PRINCIPALS=str(principals), SLA_CONFIG=str(CONFIG),
               SLA_DATA_DIR=str(principals.parent))
    command = [str(Path(sys.executable).with_name("sla-police")), "api", "--host",
               "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base, process, log), 60, what="the API answering /health")
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(base: str, process: subprocess.Popen, log: Path) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"the API exited with {process.returncode}:\n"
                           f"{log.read_text(errors='replace')[-1500:]}")
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# -- load ---------------------------------------------------------------------------------
async def _load(base: str, endpoint: Endpoint, rate: float, seconds: float) -> Result:
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    headers = {"Authorization": f"Bearer {endpoint.token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30,
                                 limits=limits) as client:
        for _ in range(5):  # warm up: connections, the server's caches
            answer = await client.get(endpoint.path)
            answer.raise_for_status()
        items = len(answer.json()["items"])
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2

        async def one(scheduled: float) -> tuple[float, float, int]:
            lag = loop.time() - scheduled
            try:
                status = (await client.get(endpoint.path)).status_code
            except httpx.HTTPError:
                status = 0
            return loop.time() - scheduled, lag, status

        tasks = []
        for i in range(round(rate * seconds)):  # the timetable: never waits for a response
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - loop.time()))
            tasks.append(asyncio.create_task(one(scheduled)))
        outcomes = await asyncio.gather(*tasks)
    statuses: dict[int, int] = {}
    for _, _, status in outcomes:
        statuses[status] = statuses.get(status, 0) + 1
    return Result([t for t, _, s in outcomes if s == 200],
                  sum(1 for *_, s in outcomes if s != 200), statuses,
                  max(lag for _, lag, _ in outcomes), 0.0, items)


def measure(base: str, pid: int, endpoint: Endpoint, rate: float, seconds: float) -> Result:
    """Run ``endpoint`` at ``rate`` for ``seconds``; the result with the server's CPU."""
    cpu = cpu_seconds(pid)
    result = asyncio.run(_load(base, endpoint, rate, seconds))
    return Result(result.latencies, result.failed, result.statuses, result.max_lag,
                  cpu_seconds(pid) - cpu, result.items)


def _row(endpoint: Endpoint, result: Result) -> str:
    ms = [result.quantile(q) * 1000 for q in (0.5, 0.99, 1.0)]
    verdict = "goal met" if ms[1] < GOAL_MS and not result.failed else "not met"
    sent = len(result.latencies) + result.failed
    per_request = result.server_cpu / sent * 1000 if sent else float("nan")
    return (f"  {endpoint.label:<34} {result.items:>5} {sent:>6} {result.failed:>6} "
            f"{ms[0]:>8.1f} {ms[1]:>8.1f} "
            f"{ms[2]:>8.1f} {per_request:>8.1f}  {verdict}"
            + (f"  statuses {result.statuses}" if result.failed else ""))


# -- main ---------------------------------------------------------------------------------
def _endpoints(department: str, hr: str, cursor: str) -> list[Endpoint]:
    return [
        Endpoint("worklist, first page", f"/api/v1/worklist?department={HOME}", department),
        Endpoint("worklist, breached=true", f"/api/v1/worklist?department={HOME}"
                 "&breached=true", department),
        Endpoint("penalties, first page", "/api/v1/penalties", hr),
        Endpoint(f"penalties, {PERIOD}", f"/api/v1/penalties?period={PERIOD}", hr),
        Endpoint(f"penalties, {HOME} {PERIOD}",
                 f"/api/v1/penalties?department={HOME}&period={PERIOD}", hr),
        Endpoint("penalties, deep cursor (60 %)", f"/api/v1/penalties?cursor={cursor}", hr),
    ]


def _print_fill(what: str, filled: Filled) -> None:
    how = "cached, not rebuilt" if filled.cached else (
        f"filled in {filled.seconds:.1f} s ({filled.rows / max(filled.seconds, 1e-9):,.0f} rows/s)")
    print(f"  {what}: {filled.rows:,} rows, {how}")


def run(args: argparse.Namespace) -> list[tuple[Endpoint, Result]]:
    """Prepare the ledger, start the API, measure every endpoint; print as it goes."""
    config = load_config(CONFIG)
    print(f"API latency bench: {args.penalties:,} penalties, {args.open_clocks:,} open clocks "
          f"of {HOME} (+{2 * args.open_clocks:,} of others), {args.rate:g} req/s for "
          f"{args.seconds:g} s per endpoint; {os.cpu_count()} cores; {load_average()}")
    url, filled = prepare_ledger(args.database_url, args.penalties, config.timezone)
    _print_fill("penalties", filled)
    now = datetime.now(UTC)
    with Ledger(url, timezone=config.timezone) as ledger:
        clocks = fill_open_clocks(ledger, config, build_calendars(config.calendars), HOME,
                                  args.open_clocks, 2 * args.open_clocks, now)
    _print_fill("open clocks (rebuilt around now)", clocks)
    cursor = deep_cursor(url, config.timezone)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-api-", dir=BENCH_DIR))
    results = []
    try:
        principals = scratch / "principals.yaml"
        _, department = add_principal(principals, "bench-desk", Role.DEPARTMENT, HOME, now)
        _, hr = add_principal(principals, "bench-hr", Role.HR, None, now)
        with api_server(url, principals, scratch / "api.log") as (base, pid):
            print(f"  {'endpoint':<34} {'items':>5} {'sent':>6} {'failed':>6} {'p50 ms':>8} "
                  f"{'p99 ms':>8} "
                  f"{'max ms':>8} {'cpu ms':>8}  (p99 goal < {GOAL_MS:.0f} ms)")
            for endpoint in _endpoints(department, hr, cursor):
                result = measure(base, pid, endpoint, args.rate, args.seconds)
                print(_row(endpoint, result) + f"   [{load_average()}, generator "
                      f"late by up to {result.max_lag * 1000:.0f} ms]", flush=True)
                results.append((endpoint, result))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> list[tuple[Endpoint, Result]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--penalties", type=int, default=1_000_000)
    parser.add_argument("--open-clocks", type=int, default=10_000,
                        help="open clocks of the measured department (others get twice as many)")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint")
    parser.add_argument("--database-url", default=None,
                        help="a ledger to fill and use (default: a cached SQLite file); "
                        "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args(argv)
    if min(args.penalties, args.open_clocks) < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("sizes, --rate and --seconds must be positive")
    return run(args)


if __name__ == "__main__":
    main()
