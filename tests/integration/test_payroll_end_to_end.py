"""HR pays from what the live stream booked: a simulated month, end to end, on both backends.

A month of contact-center traffic goes through the embedded broker and a real worker (stream
clock), whose ledger sink books it into SQLite or PostgreSQL. HR then pulls each month's
payroll with ``sla-police ledger report``, as CSV and as xlsx. Both must say, per employee
and per department, exactly what ``replay`` of the same log says: the fines and points of the
penalties assessed, net of the reversed ones. The expected figures are computed here from
replay's events, not by the ledger's code.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from ledger import Ledger
from ledger.tables import LedgerEvent
from sla.config import load_config
from sla.replay import replay_lines
from sla_police.simulator import SimulationOptions, simulate
from streams.testing import WorkerProcess, publish_log
from tests.integration.conftest import PARTITIONS
from tests.integration.stream_oracle import CONFIG_PATH
from tests.integration.test_ledger_sink import wait_for
from tests.ledger.cli import report_bytes
from tests.ledger.conftest import Backend, backend, postgres_admin  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

Key = tuple[str, str]  # (department, employee or "" when the department itself is charged)


def month_of_traffic() -> list[bytes]:
    """Thirty simulated days (they run into a second calendar month), with disputes,
    reassignments, transfers and invalid lines as the simulator makes them."""
    options = SimulationOptions(days=30, seed=7, calls_per_day=40)
    return [line.rstrip("\n").encode() for line in simulate(options)]


def expected_payroll(outputs: list) -> dict[str, dict[Key, tuple[Decimal, int]]]:
    """Per month, per (department, employee): fines and points of the penalties assessed
    in that month and never reversed (with no month closed, a reversal nets its penalty to
    zero in the penalty's own month)."""
    reversed_ids = {e.data.penalty_id for e in outputs if e.type == "penalty.reversed"}
    payroll: dict[str, dict[Key, tuple[Decimal, int]]] = defaultdict(dict)
    for event in outputs:
        if event.type != "penalty.assessed" or event.id in reversed_ids:
            continue
        d = event.data
        key = (d.department, d.assignee if d.charged_to == "assignee" else "")
        fine, points = payroll[d.period].get(key, (Decimal(0), 0))
        payroll[d.period][key] = (fine + d.fine, points + d.points)
    return payroll


def from_csv(data: bytes, by: str) -> dict[Key, tuple[Decimal, int]]:
    rows = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return _totals(rows, by)


def from_xlsx(path: Path, by: str) -> dict[Key, tuple[Decimal, int]]:
    sheet = openpyxl.load_workbook(path, read_only=True)["Summary"]
    header, *body = [list(row) for row in sheet.iter_rows(values_only=True)]
    return _totals((dict(zip(header, row, strict=True)) for row in body), by)


def _totals(rows, by: str) -> dict[Key, tuple[Decimal, int]]:
    out: dict[Key, tuple[Decimal, int]] = {}
    for row in rows:
        key = (row["department"], (row.get("employee") or "") if by == "employee" else "")
        fine = Decimal(str(row["net_fine"]))  # xlsx holds numbers, CSV plain decimals
        points = int(row["net_points"])
        if fine or points:
            out[key] = (fine, points)
    return out


def per_department(payroll: dict[Key, tuple[Decimal, int]]) -> dict[Key, tuple[Decimal, int]]:
    out: dict[Key, tuple[Decimal, int]] = {}
    for (department, _employee), (fine, points) in payroll.items():
        total = out.get((department, ""), (Decimal(0), 0))
        out[(department, "")] = (total[0] + fine, total[1] + points)
    return {k: v for k, v in out.items() if v != (Decimal(0), 0)}


def test_a_month_through_the_stream_pays_what_replay_says(
        bootstrap: str, tmp_path: Path, backend: Backend) -> None:  # noqa: F811
    lines = month_of_traffic()
    result = replay_lines(lines, load_config(CONFIG_PATH))
    expected = expected_payroll(result.outputs)
    wanted = {e.id for e in result.outputs if e.type.startswith("penalty.")}
    assert len(expected) == 2 and any(
        employee for month in expected.values() for _dept, employee in month)

    url = backend.fresh_url()
    worker = WorkerProcess(bootstrap, tmp_path / "w", extra_env={
        "SLA_DATABASE_URL": url, "SLA_CONFIG": str(CONFIG_PATH)}).start()
    ledger = Ledger(url, timezone=load_config(CONFIG_PATH).timezone)
    try:
        worker.wait_ready(partitions=PARTITIONS)
        asyncio.run(publish_log(bootstrap, lines, result.until, partitions=PARTITIONS))
        wait_for(lambda: booked(ledger) >= wanted, "the ledger to book every penalty",
                 timeout=180)
    finally:
        worker.stop()
    try:
        for month, payroll in sorted(expected.items()):
            for by in ("employee", "department"):
                want = payroll if by == "employee" else per_department(payroll)
                csv_bytes = report_bytes(ledger, month, "--by", by, "--format", "csv")
                xlsx = tmp_path / f"payroll-{month}-{by}.xlsx"
                report_bytes(ledger, month, "--by", by, "--format", "xlsx", out=xlsx)
                assert from_csv(csv_bytes, by) == want, (month, by)
                assert from_xlsx(xlsx, by) == want, (month, by)
    finally:
        ledger.close()


def booked(ledger: Ledger) -> set[str]:
    with ledger.engine.connect() as conn:
        return set(conn.execute(select(LedgerEvent.id).where(
            LedgerEvent.type.in_(("penalty.assessed", "penalty.reversed")))).scalars())
