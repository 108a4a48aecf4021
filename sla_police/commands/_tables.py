"""Rich tables for per-department summaries and what-if comparisons."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from sla.summary import DepartmentFigures

__all__ = ["summary_table", "whatif_table"]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def summary_table(rows: dict[str, DepartmentFigures], currency: str, title: str) -> Table:
    table = Table(title=title)
    for name in ("department", "attributed", "warnings", "met", "breached", "compliance",
                 "cancelled", "penalties", "reversed", f"fines ({currency})", "points"):
        table.add_column(name, justify="left" if name == "department" else "right")
    total = DepartmentFigures("total")
    for row in rows.values():
        table.add_row(*_cells(row))
        for field in ("attributed", "warnings", "met", "breached", "cancelled", "penalties",
                      "reversed", "fines", "points"):
            setattr(total, field, getattr(total, field) + getattr(row, field))
    table.add_section()
    table.add_row(*_cells(total), style="bold")
    return table


def _cells(row: DepartmentFigures) -> list[str]:
    return [row.department, f"{row.attributed:,}", f"{row.warnings:,}", f"{row.met:,}",
            f"{row.breached:,}", _pct(row.compliance), f"{row.cancelled:,}",
            f"{row.penalties:,}", f"{row.reversed:,}", f"{row.fines:,.2f}", f"{row.points:,}"]


def _delta(a: object, b: object) -> str:
    diff = b - a  # type: ignore[operator]
    if not diff:
        return "0"
    return f"{diff:+,.2f}" if isinstance(diff, Decimal) else f"{diff:+,}"


def whatif_table(current: dict[str, DepartmentFigures], proposed: dict[str, DepartmentFigures],
                 currency: str, title: str) -> Table:
    table = Table(title=title)
    for name in ("department", "breached now", "breached then", "Δ breached",
                 f"fines now ({currency})", "fines then", "Δ fines", "points now",
                 "points then", "Δ points"):
        table.add_column(name, justify="left" if name == "department" else "right")
    for department in sorted(current.keys() | proposed.keys()):
        a = current.get(department, DepartmentFigures(department))
        b = proposed.get(department, DepartmentFigures(department))
        table.add_row(department, f"{a.breached:,}", f"{b.breached:,}",
                      _delta(a.breached, b.breached), f"{a.fines:,.2f}", f"{b.fines:,.2f}",
                      _delta(a.fines, b.fines), f"{a.points:,}", f"{b.points:,}",
                      _delta(a.points, b.points))
    return table
