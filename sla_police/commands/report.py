"""``sla-police report scorecard``: the monthly department scorecard, as a table, CSV or xlsx.

The figures are :mod:`ledger.scorecard`'s; the files are made by :mod:`ledger.export` (as
the API's would be), the terminal table here: each figure with its change from the previous
month, green when better, red when worse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from sla_police.commands._common import fail, load_config_or_exit, wide_console, write_bytes
from sla_police.commands._ledger_common import CONFIG, DATABASE_URL, with_current_ledger

__all__ = ["register"]

_FORMATS = ("table", "csv", "xlsx")
#: (column title, measure, how it is shown) of the terminal table.
_SHOWN = (("rank", "rank", "count"), ("complaints", "complaints", "count"),
          ("per 1,000", "complaints_per_1000", "number"),
          ("repeats", "repeat_complaints", "count"), ("reopened", "reopen_rate", "rate"),
          ("attainment", "attainment", "rate"), ("breaches", "breaches", "count"),
          ("transfers in", "transfers_in", "count"),
          ("disputes lost", "disputes_upheld_against", "count"),
          ("CSAT", "csat_mean", "number"), ("net fine", "net_fine", "money"),
          ("points", "net_points", "count"), ("fixes worked", "actions_worked", "count"),
          ("actions late", "actions_overdue", "count"))


def register(app: typer.Typer) -> None:
    """Add the ``report`` group: ``scorecard``, ``authority``
    (:mod:`sla_police.commands.authority`), ``calls`` and ``qa``."""
    from sla_police.commands.authority import report_command
    from sla_police.commands.report_calls import calls_command
    from sla_police.commands.report_qa import qa_command

    group = typer.Typer(help="Reports for executives and departments, from the ledger.",
                        no_args_is_help=True)
    group.command("scorecard")(scorecard_command)
    group.command("authority")(report_command)
    group.command("calls")(calls_command)
    group.command("qa")(qa_command)
    app.add_typer(group, name="report")


def scorecard_command(
    month: str = typer.Option(..., "--month", "-m", show_default=False,
                              help="the month, e.g. 2026-11 (in the policy's time zone)"),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv or xlsx"),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="write this file instead of standard output "
                                         "(required for xlsx)"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """Per department: complaints (per 1,000 units of volume), SLA attainment,
    breaches, repeats, reopens, transfers and disputes against it, CSAT, fines
    and points net of reversals, corrective actions (opened, fixed, reviewed, worked,
    overdue), its rank, and the change from last month.
    """
    _check_options(month, fmt, out)
    policy = load_config_or_exit(config)
    card = _scorecard(database_url, policy, month)
    if fmt == "table":
        _print(card)
        return
    from ledger.export import scorecard_csv, scorecard_xlsx

    data = scorecard_csv(card) if fmt == "csv" else scorecard_xlsx(card)
    write_bytes(data, out)


def _check_options(month: str, fmt: str, out: Path | None) -> None:
    """One line saying what is wrong with the options (exit 2), if anything."""
    from ledger import PeriodError, parse_period

    try:
        parse_period(month)
    except PeriodError as exc:
        fail(f"--month: {exc}")
    if fmt not in _FORMATS:
        fail(f"--format {fmt!r}: use table, csv or xlsx")
    if fmt == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE (a workbook is not for a terminal)")
    if fmt == "table" and out is not None:
        fail("--out writes files: use --format csv or xlsx")


def _scorecard(database_url: str | None, policy: Any, month: str) -> Any:
    """The month's scorecard from the ledger, or one line saying why not."""
    from ledger.scorecard import scorecard

    return with_current_ledger(database_url, policy.timezone, lambda ledger: scorecard(
        ledger.engine, month, zone=ledger.zone, currency=policy.currency,
        departments=policy.departments, as_of=datetime.now(UTC)))


def _print(card: Any) -> None:
    from rich.table import Table

    from ledger.export import scorecard_text
    from ledger.scorecard import MEASURES

    better = {m.name: m.better for m in MEASURES}
    table = Table(title=f"Scorecard {card.period} (under each figure: the change from "
                        f"{card.previous})",
                  caption=f"attainment = clocks met / (met + breached), ranked by it; fines "
                          f"in {card.currency}, net of reversals; fixes worked = of the "
                          "month's reviewed corrective actions; actions late = open past "
                          "due at the month's end; every column in --format csv or xlsx")
    table.add_column("department", no_wrap=True)
    for title, _, _ in _SHOWN:
        table.add_column(title, justify="right", overflow="fold")
    for row in card.rows:
        cells = [row.department]
        for _, name, kind in _SHOWN:
            value, change = row.values[name], row.change[name]
            text = scorecard_text(value, kind)
            if name == "actions_worked":  # of the month's reviews: "1/2"
                text = f"{value}/{row.values['actions_reviewed']}"
            cells.append(text + "\n" + _delta(change, kind, better[name]))
        table.add_row(*cells)
    wide_console().print(table)


def _delta(change: Any, kind: str, better: str | None) -> str:
    """The change, as ``+3``: green when better, red when worse, dim when neither."""
    if change is None or change == 0:
        return ""
    text = f"{change * 100:+.1f}pt" if kind == "rate" else (
        f"{change:+,.2f}" if kind == "money" else
        f"{change:+,}" if isinstance(change, int) else f"{Decimal(change):+f}")
    good = (change < 0) == (better == "lower") if better else None
    style = "dim" if good is None else "green" if good else "red"
    return f"[{style}]{text}[/]"
