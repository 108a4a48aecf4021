"""The payroll on a terminal: a rich table of the export's sheets.

The files (CSV, xlsx) and the rows behind them are :mod:`ledger.export`, shared with the
API's payroll downloads; this module only adds what a terminal needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ledger.export import Cell, Column, Sheet, text_cell

__all__ = ["DETAIL_ON_SCREEN", "to_table"]

#: The detail columns a terminal has room for (the files have them all).
DETAIL_ON_SCREEN = ("status", "penalty_id", "ticket", "department", "employee", "rule",
                    "trigger", "metric", "fine", "points", "net_fine", "original_period",
                    "reversal_id", "dispute_id")


def to_table(sheet: Sheet, title: str, caption: str | None = None,
             only: Sequence[str] | None = None) -> Any:
    """A rich table of the sheet (of the columns named in ``only``, if given) for the
    terminal: amounts with thousands separators."""
    from rich.table import Table

    shown = [i for i, column in enumerate(sheet.columns) if only is None or column.name in only]
    table = Table(title=title, caption=caption)
    for i in shown:
        column = sheet.columns[i]
        table.add_column(column.name.replace("_", " "),
                         justify="left" if column.kind == "text" else "right")
    for row in sheet.rows:
        table.add_row(*(_shown(sheet.columns[i], row[i]) for i in shown))
    return table


def _shown(column: Column, cell: Cell) -> str:
    if cell is None:
        return ""
    if column.kind == "money" and isinstance(cell, Decimal):
        return f"{cell:,f}"
    if column.kind == "count" and isinstance(cell, int):
        return f"{cell:,}"
    return text_cell(cell)
