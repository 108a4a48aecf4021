"""``sla-police ledger report``: a month's payroll as a table, CSV or xlsx.

The queries are :mod:`ledger.payroll`; the files are made by :mod:`ledger.export` (as
the API's downloads are), the terminal table by
:mod:`~sla_police.commands._payroll_export`. A closed month always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import typer

from sla_police.commands._common import fail, wide_console, write_bytes
from sla_police.commands._ledger_common import (
    CONFIG,
    DATABASE_URL,
    database_error,
    open_ledger,
    policy_timezone,
)

__all__ = ["register"]

_BY = {"department": "department", "employee": "employee", "assignee": "employee"}
_FORMATS = ("table", "csv", "xlsx")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``ledger`` group."""
    app.command("report")(report_command)


def report_command(
    period: str = typer.Option(..., "--period", "-p", show_default=False,
                               help="the month, e.g. 2026-11"),
    by: str = typer.Option("department", "--by",
                           help="department, or employee (rows per department and employee; "
                                "'assignee' is accepted as the old name)"),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or xlsx"),
    detail: bool = typer.Option(False, "--detail",
                                help="one line per penalty or adjustment, with the rule, "
                                     "trigger, reversal and dispute behind it (the xlsx "
                                     "always has a summary and a detail sheet)"),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="write this file instead of standard output "
                                         "(required for xlsx)"),
    excel: bool = typer.Option(False, "--excel",
                               help="CSV for Excel: a UTF-8 byte order mark first, so Excel "
                                    "in a Chinese locale reads the names right"),
    as_csv: bool = typer.Option(False, "--csv", help="the same as --format csv (old name)"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """A month's payroll: fines and points to charge, per department or employee.

    A month charges its penalties (reversed ones net to zero) and the
    adjustments that correct closed months. A closed month's report is the
    same, byte for byte, forever. CSV is RFC 4180 with plain decimal amounts.
    """
    fmt = _check_options(period, by, fmt, out, excel, as_csv)
    zone = policy_timezone(config)
    by = _BY[by]
    data = _render(database_url, zone, period, by, fmt, detail, excel)
    if data is None:
        return
    write_bytes(data, out)


def _check_options(period: str, by: str, fmt: str, out: Path | None, excel: bool,
                   as_csv: bool) -> str:
    """The format asked for, or one line saying what is wrong with the options (exit 2)."""
    from ledger import PeriodError, parse_period

    try:
        parse_period(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")
    if by not in _BY:
        fail(f"--by {by!r}: use department or employee")
    if fmt not in _FORMATS:
        fail(f"--format {fmt!r}: use table, csv or xlsx")
    if as_csv:
        if fmt not in ("table", "csv"):
            fail(f"--csv contradicts --format {fmt}")
        fmt = "csv"
    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE (a workbook is not for a terminal)")
    if fmt == "table" and out is not None:
        fail("--out writes files: use --format csv or xlsx")
    if excel and fmt != "csv":
        fail("--excel is for --format csv")
    return fmt


def _render(database_url: str | None, zone: str, period: str, by: str, fmt: str,
            detail: bool, excel: bool) -> bytes | None:
    """The report's bytes (CSV or xlsx); a table is printed here and ``None`` returned."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger import LedgerError, payroll_lines, payroll_totals
    from ledger.export import detail_sheet, payroll_csv, payroll_xlsx, summary_sheet
    from sla_police.commands import _payroll_export as export

    ledger = open_ledger(database_url, zone)
    with ledger:
        try:
            ledger.require_current()
            totals = payroll_totals(ledger.engine, period, by)  # type: ignore[arg-type]
            lines = payroll_lines(ledger.engine, period) if detail or fmt == "xlsx" else []
            closed = period in ledger.closed_periods()
        except LedgerError as exc:
            fail(str(exc), code=1)
        except SQLAlchemyError as exc:
            database_error(ledger, exc)
    if fmt == "csv":
        return payroll_csv(totals, lines, period, by, ledger.zone, detail=detail, bom=excel)
    if fmt == "xlsx":
        return payroll_xlsx(totals, lines, period, by, ledger.zone)
    sheet = detail_sheet(lines, ledger.zone) if detail else summary_sheet(totals, period, by)
    state = "closed: final" if closed else "open: may still change"
    caption = f"{len(sheet.rows):,} rows; {period} is {state}" if sheet.rows else (
        f"nothing in {period}; it is {state}")
    title = f"Payroll {period} " + ("(detail: the files have every column)" if detail
                                    else f"by {by}")
    wide_console().print(export.to_table(sheet, title, caption,
                                         export.DETAIL_ON_SCREEN if detail else None))
    return None
