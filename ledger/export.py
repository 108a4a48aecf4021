"""The payroll as HR receives it (and the monthly scorecard): rows of typed cells, written as
CSV or xlsx.

``sla-police ledger report`` and the API's payroll downloads both call
:func:`payroll_csv` and :func:`payroll_xlsx`, so a file is the same bytes whichever way it
was fetched. Both files are made from the same rows (:func:`summary_rows`,
:func:`detail_rows`), so the xlsx says exactly what the CSV says. Output is byte-stable:
the same ledger lines give the same bytes (amounts as plain decimals, times in the policy's
zone, no "generated at"; the xlsx has fixed document properties and XlsxWriter's fixed zip
timestamps), which is how a closed month's report stays identical forever. Pure
formatting: no SQL here (the rows come from :mod:`ledger.payroll`); the terminal table is
the shell's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal

from ledger.payroll import PayrollLine, PayrollTotal
from ledger.periods import next_period
from ledger.scorecard import MEASURES, Scorecard

__all__ = [
    "DETAIL_COLUMNS",
    "Cell",
    "Column",
    "Sheet",
    "detail_rows",
    "detail_sheet",
    "money_format",
    "payroll_csv",
    "payroll_xlsx",
    "scorecard_columns",
    "scorecard_text",
    "scorecard_csv",
    "scorecard_sheet",
    "scorecard_xlsx",
    "summary_columns",
    "summary_rows",
    "summary_sheet",
    "text_cell",
    "to_csv",
    "to_xlsx",
    "workbook_created",
]

Kind = Literal["text", "count", "money", "number"]
Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Column:
    """A column of the export: its header and what its cells hold."""

    name: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Sheet:
    """A named table of rows (one xlsx sheet, one CSV file)."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]


_TOTALS = (Column("currency"), Column("penalties", "count"), Column("reversed", "count"),
           Column("adjustments", "count"), Column("gross_fine", "money"),
           Column("adjustment_fine", "money"), Column("net_fine", "money"),
           Column("gross_points", "count"), Column("adjustment_points", "count"),
           Column("net_points", "count"))

DETAIL_COLUMNS = (
    Column("period"), Column("status"), Column("penalty_id"), Column("ticket"),
    Column("department"), Column("employee"), Column("currency"), Column("rule"),
    Column("trigger"), Column("breach_id"), Column("metric"), Column("policy"),
    Column("due_at"), Column("base_fine", "money"), Column("multiplier", "number"),
    Column("capped_amount", "money"), Column("fine", "money"), Column("points", "count"),
    Column("net_fine", "money"), Column("net_points", "count"), Column("original_period"),
    Column("reversal_id"), Column("dispute_id"),
)


def summary_columns(by: str) -> tuple[Column, ...]:
    """The summary's columns: per department, or per department and employee."""
    keys = (Column("period"), Column("department"))
    return (*keys, *((Column("employee"),) if by == "employee" else ()), *_TOTALS)


def summary_rows(totals: Sequence[PayrollTotal], period: str, by: str) -> list[list[Cell]]:
    """One row per total, in :func:`summary_columns` order."""
    return [[period, t.department, *([t.employee] if by == "employee" else []), t.currency,
             t.penalties, t.reversed, t.adjustments, t.gross_fine, t.adjustment_fine,
             t.net_fine, t.gross_points, t.adjustment_points, t.net_points] for t in totals]


def detail_rows(lines: Sequence[PayrollLine], zone: tzinfo) -> list[list[Cell]]:
    """One row per line, in :data:`DETAIL_COLUMNS` order; times in ``zone``."""
    return [[line.period, line.status, line.penalty_id, line.ticket, line.department,
             line.employee, line.currency, line.rule, line.trigger, line.breach_id,
             line.metric, line.policy, _local(line.due_at, zone), line.base_fine,
             line.multiplier, line.capped_amount, line.fine, line.points, line.net_fine,
             line.net_points, line.original_period, line.reversal_id, line.dispute_id]
            for line in lines]


def _local(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).isoformat()


def scorecard_text(value: Any, kind: str) -> str:
    """A scorecard figure as people read it (the terminal table and the status page):
    ``kind`` is the measure's kind (rate, money, count...); no value is a dash."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:f}"


def text_cell(cell: Cell) -> str:
    """A cell as CSV text: amounts as plain decimals (``0.30``, ``-1000``), never floats."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return f"{cell:f}"
    return str(cell)


def to_csv(sheet: Sheet, *, bom: bool = False) -> bytes:
    """RFC 4180 CSV (CRLF line ends, quoted as needed) in UTF-8; with ``bom``, a UTF-8 byte
    order mark first, so Excel in a Chinese (or any) locale does not guess the encoding."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([column.name for column in sheet.columns])
    writer.writerows([text_cell(cell) for cell in row] for row in sheet.rows)
    return ("\ufeff" if bom else "").encode("utf-8") + text.getvalue().encode("utf-8")


def money_format(currency: str) -> str:
    """Excel's currency number format with the ISO code, e.g. ``[$CNY] #,##0.00``."""
    code = re.sub(r"[^A-Za-z0-9]", "", currency) or "?"
    return f"[${code}] #,##0.00"


def to_xlsx(sheets: Sequence[Sheet], *, title: str, created: datetime) -> bytes:
    """An xlsx workbook, one sheet per :class:`Sheet`: bold frozen header row, autofilter,
    amounts as numbers in their currency's format. ``created`` (naive UTC) is written as the
    creation time, so the same sheets always give the same bytes."""
    import xlsxwriter

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
               "strings_to_urls": False}
    with xlsxwriter.Workbook(buffer, options) as book:
        book.set_properties({"title": title, "author": "SLA Police", "created": created})
        header = book.add_format({"bold": True, "bottom": 1})
        formats: dict[str, Any] = {}
        for sheet in sheets:
            _write_sheet(book, sheet, header, formats)
    return buffer.getvalue()


def _write_sheet(book: Any, sheet: Sheet, header: Any, formats: dict[str, Any]) -> None:
    page = book.add_worksheet(sheet.name)
    names = [column.name for column in sheet.columns]
    page.write_row(0, 0, names, header)
    currency_at = names.index("currency")
    for r, row in enumerate(sheet.rows, start=1):
        for c, (column, cell) in enumerate(zip(sheet.columns, row, strict=True)):
            if cell is None or cell == "":
                continue
            if column.kind == "money":
                code = str(row[currency_at])
                if code not in formats:
                    formats[code] = book.add_format({"num_format": money_format(code)})
                page.write_number(r, c, float(cell), formats[code])
            elif column.kind in ("count", "number"):
                page.write_number(r, c, float(cell) if isinstance(cell, Decimal) else cell)
            else:
                page.write_string(r, c, str(cell))
    page.freeze_panes(1, 0)
    page.autofilter(0, 0, max(len(sheet.rows), 1), len(names) - 1)
    for c, name in enumerate(names):
        width = max([len(name), *(len(text_cell(row[c])) for row in sheet.rows)])
        page.set_column(c, c, min(width + 2, 40))


def summary_sheet(totals: Sequence[PayrollTotal], period: str, by: str) -> Sheet:
    """The summary sheet: one row per department (or department and employee)."""
    return Sheet("Summary", summary_columns(by), summary_rows(totals, period, by))


def detail_sheet(lines: Sequence[PayrollLine], zone: tzinfo) -> Sheet:
    """The detail sheet: one row per payroll line, times in ``zone``."""
    return Sheet("Detail", DETAIL_COLUMNS, detail_rows(lines, zone))


def payroll_csv(totals: Sequence[PayrollTotal], lines: Sequence[PayrollLine], period: str,
                by: str, zone: tzinfo, *, detail: bool, bom: bool = False) -> bytes:
    """A month's payroll as CSV: the summary, or with ``detail`` one row per line."""
    sheet = detail_sheet(lines, zone) if detail else summary_sheet(totals, period, by)
    return to_csv(sheet, bom=bom)


def payroll_xlsx(totals: Sequence[PayrollTotal], lines: Sequence[PayrollLine], period: str,
                 by: str, zone: tzinfo) -> bytes:
    """A month's payroll as an xlsx workbook: a summary and a detail sheet."""
    return to_xlsx([summary_sheet(totals, period, by), detail_sheet(lines, zone)],
                   title=f"Payroll {period} by {by}", created=workbook_created(period))


def workbook_created(period: str) -> datetime:
    """Midnight starting the month after ``period``: the workbook's fixed creation time."""
    year, month = (int(part) for part in next_period(period).split("-"))
    return datetime(year, month, 1)


_KINDS: dict[str, Kind] = {"count": "count", "rate": "number", "number": "number",
                           "money": "money"}


def scorecard_columns() -> tuple[Column, ...]:
    """The scorecard's columns: the month and department, every measure, the volume's unit
    and the fines' currency, then each measure's change from the previous month."""
    measures = tuple(Column(m.name, _KINDS[m.kind]) for m in MEASURES)
    changes = tuple(Column(f"change_{m.name}", _KINDS[m.kind]) for m in MEASURES)
    return (Column("period"), Column("department"), *measures, Column("volume_unit"),
            Column("currency"), *changes)


def scorecard_sheet(card: Scorecard) -> Sheet:
    """The scorecard as one sheet, rows in rank order (:func:`scorecard_columns`)."""
    rows = [[row.period, row.department, *(row.values[m.name] for m in MEASURES),
             row.volume_unit, row.currency, *(row.change[m.name] for m in MEASURES)]
            for row in card.rows]
    return Sheet("Scorecard", scorecard_columns(), rows)


def scorecard_csv(card: Scorecard, *, bom: bool = False) -> bytes:
    """The scorecard as RFC 4180 CSV; rates as fractions (``0.9375``), amounts plain."""
    return to_csv(scorecard_sheet(card), bom=bom)


def scorecard_xlsx(card: Scorecard) -> bytes:
    """The scorecard as an xlsx workbook of one sheet; the same bytes for the same ledger."""
    return to_xlsx([scorecard_sheet(card)], title=f"Scorecard {card.period}",
                   created=workbook_created(card.period))
