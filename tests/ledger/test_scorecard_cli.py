"""``sla-police report scorecard``: the same figures as a table, CSV and xlsx; refusals are
one line. Run as a user runs it (typer's runner on the real CLI)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from ledger import Ledger
from ledger.export import scorecard_columns
from ledger.scorecard import scorecard
from sla_police.cli import app
from tests.ledger.cli import CONFIG, url_of
from tests.ledger.conftest import TIMEZONE, Backend
from tests.ledger.events import clock_event, outbound, penalty

EVENTS = [
    clock_event("sla.met", "T-1", "logistics", "2026-10-05T10:00:00+08:00"),
    clock_event("sla.breached", "T-2", "logistics", "2026-11-06T10:00:00+08:00"),
    clock_event("sla.met", "T-3", "logistics", "2026-11-07T10:00:00+08:00", "acknowledge"),
    clock_event("sla.met", "T-4", "billing", "2026-11-07T11:00:00+08:00"),
    penalty("p-1", "T-2", "logistics", None, "500.50", 2),
    outbound("volume.reported", {"department": "logistics", "unit": "parcels",
                                 "count": 4000, "day": None, "period": "2026-11"},
             id="v-1", subject="logistics"),
    outbound("sla.csat_recorded", {"department": "billing", "score": 4,
                                   "recorded_at": "2026-11-08T09:00:00+08:00"},
             id="c-1", subject="T-4", time="2026-11-08T09:00:00+08:00"),
    # logistics' corrective action: opened 2 November, fixed the 4th, worked on the 18th
    outbound("corrective_action.opened", id="a-opened"),
    outbound("sla.fix_declared", id="a-fix"),
    outbound("corrective_action.reviewed", id="a-reviewed"),
]


def scorecard_run(ledger: Ledger, *args: str):
    result = CliRunner().invoke(app, ["report", "scorecard", *args, "--config", CONFIG,
                                      "--database-url", url_of(ledger)])
    return result


def test_csv_holds_every_column_and_the_change(ledger: Ledger) -> None:
    ledger.record(EVENTS)
    result = scorecard_run(ledger, "--month", "2026-11", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert list(rows[0]) == [c.name for c in scorecard_columns()]
    by = {row["department"]: row for row in rows}
    assert [row["department"] for row in rows][:2] == ["billing", "logistics"]  # by rank
    logistics = by["logistics"]
    assert (logistics["volume"], logistics["volume_unit"]) == ("4000", "parcels")
    assert (logistics["resolve_attainment"], logistics["acknowledge_attainment"]) == (
        "0.0000", "1.0000")
    assert (logistics["attainment"], logistics["change_attainment"]) == ("0.5000", "-0.5000")
    assert (logistics["net_fine"], logistics["net_points"], logistics["currency"]) == (
        "500.50", "2", "CNY")
    assert (by["billing"]["csat_mean"], by["billing"]["csat_responses"]) == ("4.00", "1")
    assert by["billing"]["change_attainment"] == ""  # nothing to compare with in October
    assert set(by) >= {"it", "triage"}  # every department of the policy has its row
    assert [logistics[f"actions_{n}"] for n in ("opened", "fixed", "reviewed", "worked",
                                                 "overdue")] == ["1", "1", "1", "1", "0"]
    assert logistics["change_actions_worked"] == "1"


def test_the_xlsx_says_what_the_csv_says(ledger: Ledger, tmp_path: Path) -> None:
    ledger.record(EVENTS)
    text = scorecard_run(ledger, "--month", "2026-11", "--format", "csv").stdout
    result = scorecard_run(ledger, "--month", "2026-11", "--format", "xlsx",
                           "--out", str(tmp_path / "card.xlsx"))

    assert result.exit_code == 0, result.output
    expected = list(csv.reader(io.StringIO(text, newline="")))
    sheet = openpyxl.load_workbook(tmp_path / "card.xlsx")["Scorecard"]
    assert [c.value for c in sheet[1]] == expected[0]
    kinds = {c.name: c.kind for c in scorecard_columns()}
    for got, want in zip(sheet.iter_rows(min_row=2), expected[1:], strict=True):
        assert [Decimal(str(c.value)) if kinds[name] != "text" and c.value is not None
                else (c.value or "") for name, c in zip(expected[0], got, strict=True)] == [
            Decimal(v) if kinds[name] != "text" and v else v
            for name, v in zip(expected[0], want, strict=True)]
    again = tmp_path / "again.xlsx"
    scorecard_run(ledger, "--month", "2026-11", "--format", "xlsx", "--out", str(again))
    assert again.read_bytes() == (tmp_path / "card.xlsx").read_bytes()


def test_the_table_shows_each_department_with_its_change(ledger: Ledger) -> None:
    ledger.record(EVENTS)
    result = scorecard_run(ledger, "--month", "2026-11")

    assert result.exit_code == 0, result.output
    assert "Scorecard 2026-11" in result.stdout and "2026-10" in result.stdout
    assert "logistics" in result.stdout and "50.0%" in result.stdout
    assert "-50.0pt" in result.stdout  # logistics' attainment, down from 100%
    assert "fixes worked" in result.stdout and "1/1" in result.stdout  # of 1 reviewed


def test_refusals_are_one_line(ledger: Ledger, backend: Backend, tmp_path: Path) -> None:
    for args, message in (
            (["--month", "2026-13"], "--month: period '2026-13' is not a month"),
            (["--month", "2026-11", "--format", "pdf"], "--format 'pdf'"),
            (["--month", "2026-11", "--format", "xlsx"], "needs --out FILE"),
            (["--month", "2026-11", "--out", str(tmp_path / "x")], "--out writes files")):
        result = scorecard_run(ledger, *args)
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output
    empty = Ledger(backend.fresh_url(), timezone=TIMEZONE)
    with empty:
        result = scorecard_run(empty, "--month", "2026-11")
    assert result.exit_code == 1 and "sla-police ledger migrate" in result.output


def test_the_command_and_the_library_agree(ledger: Ledger) -> None:
    from zoneinfo import ZoneInfo

    ledger.record(EVENTS)
    card = scorecard(ledger.engine, "2026-11", zone=ZoneInfo(TIMEZONE), currency="CNY")
    rows = list(csv.DictReader(io.StringIO(
        scorecard_run(ledger, "--month", "2026-11", "--format", "csv").stdout, newline="")))
    assert {r["department"]: r["rank"] for r in rows if r["rank"]} == {
        row.department: str(row["rank"]) for row in card.rows if row["rank"]}
