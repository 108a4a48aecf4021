"""``sla-police ledger close / reopen / periods / report`` as an HR user runs them: every
refusal is one line on stderr with a non-zero exit, never a traceback; the xlsx read back
says exactly what the CSV says, in the format a payroll clerk expects."""

from __future__ import annotations

import csv
import getpass
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from ledger import Ledger
from ledger.periods import period_of

from .cli import CONFIG, report_bytes, run, url_of
from .conftest import TIMEZONE, Backend
from .events import breach, penalty, reversal

OCTOBER = [
    breach("b-1", "T-1", "logistics", "resolve", "2026-10-20T10:15:00+08:00",
           policy="standard"),
    penalty("p-1", "T-1", "logistics", "emp-物流-王伟", "650", 2, period="2026-10",
            breach_id="b-1", rule="late, resolve"),
    penalty("p-2", "T-2", "billing", None, "0.10", 1, period="2026-10", trigger="complaint",
            breach_id=None, metric=None),
    penalty("p-3", "T-3", "billing", "emp-billing-001", "12.345", 1, period="2026-10"),
    reversal("rev-3", "p-3", "T-3", reversed_at="2026-10-30T10:00:00+08:00"),
]


def ledger_args(ledger: Ledger) -> list[str]:
    return ["--config", CONFIG, "--database-url", url_of(ledger)]


def refused(result, code: int, words: str) -> None:
    """The command failed with ``code`` and one line on stderr holding ``words``."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert words in lines[0], lines[0]
    assert "Traceback" not in result.output


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# -- close, reopen, periods ----------------------------------------------------------------


def test_close_reopen_and_list_the_months(ledger: Ledger) -> None:
    args = ledger_args(ledger)

    closed = run("close", "--period", "2026-10", "--by", "hr-alice", *args)
    reopened = run("reopen", "--period", "2026-10", "--reason", "late ruling", *args)
    listed = run("periods", *args)

    assert closed.exit_code == 0, closed.output
    assert "2026-10 closed: its payroll lines are final (by hr-alice at" in closed.stdout
    assert reopened.exit_code == 0, reopened.output
    assert f"2026-10 reopened (late ruling) (by {getpass.getuser()} at" in reopened.stdout
    assert listed.exit_code == 0, listed.output
    assert "hr-alice" in listed.stdout and "late ruling" in listed.stdout
    assert "no month is closed" in listed.stdout
    assert ledger.closed_periods() == frozenset()


def test_every_refusal_of_close_and_reopen_is_one_line(ledger: Ledger) -> None:
    args = ledger_args(ledger)
    this_month = period_of(datetime.now(UTC), ZoneInfo(TIMEZONE))
    assert run("close", "--period", "2026-10", *args).exit_code == 0

    refused(run("close", "--period", "2026-13", *args), 2, "not a month like 2026-11")
    refused(run("close", "--period", this_month, *args), 1,
            f"period {this_month} has not ended yet")
    refused(run("close", "--period", "2026-10", *args), 1, "2026-10 is already closed")
    refused(run("reopen", "--period", "2026-09", "--reason", "x", *args), 1,
            "2026-09 is not closed")
    refused(run("reopen", "--period", "2026-10", *args), 2, "reopening needs --reason")
    refused(run("reopen", "--period", "2026-10", "--reason", " ", *args), 2,
            "reopening needs --reason")
    assert ledger.closed_periods() == {"2026-10"}


def test_an_unmigrated_ledger_is_refused(backend: Backend) -> None:
    args = ["--config", CONFIG, "--database-url", backend.fresh_url()]

    refused(run("close", "--period", "2026-10", *args), 1, "run `sla-police ledger migrate`")
    refused(run("report", "--period", "2026-10", *args), 1, "has no schema")


# -- report ----------------------------------------------------------------------------------


def test_report_refusals(ledger: Ledger, tmp_path: Path) -> None:
    args = ["--period", "2026-10", *ledger_args(ledger)]

    refused(run("report", "--period", "11-2026", *ledger_args(ledger)), 2, "not a month")
    refused(run("report", *args, "--by", "team"), 2, "--by 'team'")
    refused(run("report", *args, "--format", "pdf"), 2, "--format 'pdf'")
    refused(run("report", *args, "--format", "xlsx"), 2, "--format xlsx needs --out")
    refused(run("report", *args, "--excel"), 2, "--excel is for --format csv")
    refused(run("report", *args, "--csv", "--format", "xlsx"), 2, "--csv contradicts")
    refused(run("report", *args, "--out", str(tmp_path / "t.txt")), 2, "--out writes files")


@pytest.mark.parametrize(("target", "words"), [
    ("missing/payroll.csv", "does not exist"),  # under tmp_path
    ("", "Is a directory"),  # tmp_path itself
    ("/sys/sla-police-payroll.csv", "Permission denied"),  # even for root
    ("/dev/full", "No space left on device"),  # opens, then the write fails
])
def test_report_to_an_unwritable_path_is_one_line(ledger: Ledger, tmp_path: Path,
                                                  target: str, words: str) -> None:
    ledger.record(OCTOBER)
    out = tmp_path / target if not target.startswith("/") else Path(target)

    result = run("report", "--period", "2026-10", "--format", "csv", "--out", str(out),
                 *ledger_args(ledger))

    refused(result, 1, f"cannot write {out}")
    assert words in result.stderr


def test_csv_is_rfc_4180_in_utf_8_and_excel_gets_a_bom(ledger: Ledger) -> None:
    ledger.record(OCTOBER)

    plain = report_bytes(ledger, "2026-10", "--format", "csv", "--detail")
    excel = report_bytes(ledger, "2026-10", "--format", "csv", "--detail", "--excel")

    assert excel == b"\xef\xbb\xbf" + plain
    assert plain.count(b"\r\n") == 4 and b"\n" not in plain.replace(b"\r\n", b"")
    assert b'"late, resolve"' in plain and "emp-物流-王伟".encode() in plain
    header, *lines = rows(plain)
    detail = [dict(zip(header, line, strict=True)) for line in lines]
    assert [(d["department"], d["employee"], d["status"], d["fine"], d["net_fine"])
            for d in detail] == [
        ("billing", "", "charged", "0.10", "0.10"),
        ("billing", "emp-billing-001", "reversed", "12.345", "0"),
        ("logistics", "emp-物流-王伟", "charged", "650", "650"),
    ]
    assert (detail[2]["trigger"], detail[2]["metric"], detail[2]["policy"],
            detail[2]["due_at"]) == ("breach", "resolve", "standard",
                                     "2026-10-20T10:15:00+08:00")
    assert detail[1]["reversal_id"] == "rev-3" and detail[1]["dispute_id"] == "crm-11"


def test_the_xlsx_says_what_the_csv_says(ledger: Ledger, tmp_path: Path) -> None:
    ledger.record(OCTOBER)
    summary_csv = rows(report_bytes(ledger, "2026-10", "--format", "csv", "--by", "employee"))
    detail_csv = rows(report_bytes(ledger, "2026-10", "--format", "csv", "--detail"))

    report_bytes(ledger, "2026-10", "--format", "xlsx", "--by", "employee",
                 out=tmp_path / "payroll.xlsx")
    book = openpyxl.load_workbook(tmp_path / "payroll.xlsx")

    assert book.sheetnames == ["Summary", "Detail"]
    for sheet, expected in ((book["Summary"], summary_csv), (book["Detail"], detail_csv)):
        header = [cell.value for cell in sheet[1]]
        assert header == expected[0]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}" \
                                        f"{len(expected)}"
        assert [as_csv(row) for row in sheet.iter_rows(min_row=2)] == [
            normalised(header, line) for line in expected[1:]]
        for name in ("net_fine", "fine", "gross_fine"):
            if name in header:
                column = header.index(name) + 1
                cells = [sheet.cell(r, column) for r in range(2, len(expected) + 1)]
                assert all(isinstance(c.value, int | float) for c in cells)
                assert {c.number_format for c in cells} == {"[$CNY] #,##0.00"}
    assert book.properties.creator == "SLA Police"


NUMERIC = {"penalties", "reversed", "adjustments", "gross_fine", "adjustment_fine",
           "net_fine", "gross_points", "adjustment_points", "net_points", "base_fine",
           "multiplier", "capped_amount", "fine", "points"}


def as_csv(cells) -> list:
    """A sheet row as comparable values: numbers as Decimal, blanks as ''."""
    return [Decimal(str(c.value)) if isinstance(c.value, int | float) else (c.value or "")
            for c in cells]


def normalised(header: list[str], line: list[str]) -> list:
    return [Decimal(value) if name in NUMERIC and value else value
            for name, value in zip(header, line, strict=True)]


def test_the_table_says_whether_the_month_is_final(ledger: Ledger) -> None:
    ledger.record(OCTOBER)
    before = run("report", "--period", "2026-10", *ledger_args(ledger))
    ledger.close_period("2026-10", by="hr-alice", now=datetime(2026, 11, 2, tzinfo=UTC))
    after = run("report", "--period", "2026-10", "--detail", *ledger_args(ledger))

    assert before.exit_code == 0 and "2026-10 is open: may still change" in before.stdout
    assert after.exit_code == 0 and "2026-10 is closed: final" in after.stdout
    assert all(f"p-{n}" in after.stdout for n in (1, 2, 3))
