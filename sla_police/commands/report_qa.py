"""``sla-police report qa --from 2026-11-01 --to 2026-11-30``: QA compliance of calls per
agent and per team, from the ledger (issue 15, "QA sampling").

The figures are :func:`api.qa_commands.qa_report`'s (over :func:`ledger.qa.qa_compliance`),
the very function behind ``GET /api/v1/reports/qa``, so the terminal and the API always
agree: of the QA items of the calls ended in the span (local days of the calls policy's
QA time zone), how many were reviewed, how many compliant, their share, how many are open.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import typer

from sla_police.commands._common import fail, load_config_or_exit, wide_console, write_bytes
from sla_police.commands._ledger_common import CONFIG, DATABASE_URL, with_current_ledger

__all__ = ["qa_command", "qa_csv"]

_FORMATS = ("table", "json", "csv")
_COLUMNS = ("team", "agent", "items", "reviewed", "compliant", "share", "open")


def qa_command(
    first: str = typer.Option(..., "--from", show_default=False,
                              help="first day, e.g. 2026-11-01 (local, the calls policy's "
                                   "QA time zone)"),
    last: str = typer.Option(..., "--to", show_default=False,
                             help="last day, included, e.g. 2026-11-30"),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv"),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="write this file instead of standard output "
                                         "(json and csv)"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """QA compliance of calls per agent and per team: of the QA items (the weekly sample
    of agents' hang-ups and every norm breach) of the calls ended in the span, how many
    were reviewed, how many compliant, the compliant share, how many are still open.
    """
    day_from, day_to = _check_options(first, last, fmt, out)
    policy = load_config_or_exit(config)
    report = _report(database_url, policy, day_from, day_to)
    if fmt == "table":
        _print(report)
    elif fmt == "json":
        write_bytes(report.model_dump_json(indent=2, by_alias=True).encode() + b"\n", out)
    else:
        write_bytes(qa_csv(report).encode(), out)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r}: expected a date like 2026-11-01")


def _check_options(first: str, last: str, fmt: str, out: Path | None) -> tuple[date, date]:
    """The span's days, or one line saying what is wrong (exit 2)."""
    from api.qa_commands import check_span

    day_from, day_to = _day("--from", first), _day("--to", last)
    wrong = check_span(day_from, day_to)
    if wrong is not None:
        fail(f"--from/--to: {wrong}")
    if fmt not in _FORMATS:
        fail(f"--format {fmt!r}: use table, json or csv")
    if fmt == "table" and out is not None:
        fail("--out writes files: use --format json or csv")
    return day_from, day_to


def _report(database_url: str | None, policy: Any, first: date, last: date) -> Any:
    """The report from the ledger, or one line saying why not."""
    from api.qa_commands import qa_report, qa_timezone

    zone = qa_timezone(policy.calls, policy.timezone)
    return with_current_ledger(database_url, policy.timezone,
                               lambda ledger: qa_report(ledger.engine, zone, first, last))


def _rows(report: Any) -> list[Any]:
    return [*report.agents, *report.teams, report.total]


def qa_csv(report: Any) -> str:
    """One row per agent, then per team, then the total (``agent`` empty on those)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for row in _rows(report):
        writer.writerow(["" if (v := getattr(row, name)) is None else v for name in _COLUMNS])
    return buffer.getvalue()


def _print(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"QA compliance of calls ended {report.from_} to {report.to} "
                        f"({report.timezone})",
                  caption="share = compliant / reviewed; open = no verdict yet; teams and "
                          "the total after the agents")
    for name in _COLUMNS:
        table.add_column(name, justify="left" if name in ("team", "agent") else "right",
                         no_wrap=True)
    for rows, label in ((report.agents, None), (report.teams, "(team)"),
                        ([report.total], "(all)")):
        for row in rows:
            share = "-" if row.share is None else f"{row.share * 100:.1f} %"
            table.add_row(row.team, row.agent or label, str(row.items), str(row.reviewed),
                          str(row.compliant), share, str(row.open))
        table.add_section()
    wide_console().print(table)
