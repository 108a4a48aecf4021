"""``sla-police report calls --change 2026-11-01 --window 30d``: the calls policy judged
after a change, from the ledger (issue 15).

The figures are :func:`api.calls_report.calls_change`'s, the very function behind
``GET /api/v1/reports/calls``, so the terminal and the API always agree: before and after
the change, calls, CSAT, the agent share of hang-ups against the policy's band, QA
compliance, callers blocked, agent minutes released, and blocked callers who complained
afterwards (``docs/semantics.md``, "Calls: service floor").
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

__all__ = ["FIGURES", "calls_command", "calls_csv"]

_FORMATS = ("table", "json", "csv")
#: (figure, row title, how it is shown) in the table and the CSV, in this order.
FIGURES = (("calls", "calls ended", "count"), ("csat", "CSAT (mean, 1-5)", "number"),
           ("csat_count", "CSAT answers", "count"),
           ("agent_hangups", "ended by the agent", "count"),
           ("customer_hangups", "ended by the customer", "count"),
           ("agent_share", "agent share of hang-ups", "share"),
           ("in_band", "agent share in the band", "bool"),
           ("qa_reviewed", "QA items reviewed", "count"),
           ("qa_compliant", "QA items compliant", "count"),
           ("qa_compliance", "QA compliance", "share"),
           ("blocked_callers", "callers blocked", "count"),
           ("minutes_released", "agent minutes released", "number"),
           ("blocked_who_complained", "blocked callers who complained", "count"))


def calls_command(
    change: str = typer.Option(..., "--change", show_default=False,
                               help="the day the calls policy changed, e.g. 2026-11-01 (local "
                                    "midnight in the calls policy's time zone)"),
    window: str = typer.Option("30d", "--window", "-w",
                               help="days compared before and after the change, e.g. 30d"),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv"),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="write this file instead of standard output "
                                         "(json and csv)"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """Before and after a change of the calls policy: CSAT, the agent share of hang-ups
    against the policy's band, agent minutes released by blocks, QA compliance, and
    blocked callers who complained through another channel afterwards.
    """
    day, span = _check_options(change, window, fmt, out)
    policy = load_config_or_exit(config)
    if policy.calls is None:
        fail("the policy has no calls section: there is no calls policy to judge", code=1)
    report = _report(database_url, policy, day, span)
    if fmt == "table":
        _print(report)
    elif fmt == "json":
        write_bytes(report.model_dump_json(indent=2).encode() + b"\n", out)
    else:
        write_bytes(calls_csv(report).encode(), out)


def _check_options(change: str, window: str, fmt: str, out: Path | None) -> tuple[date, Any]:
    """The change date and window, or one line saying what is wrong (exit 2)."""
    from api.calls_report import parse_window

    try:
        day = date.fromisoformat(change)
    except ValueError:
        fail(f"--change {change!r}: expected a date like 2026-11-01")
    try:
        span = parse_window(window)
    except ValueError as exc:
        fail(f"--window: {exc}")
    if fmt not in _FORMATS:
        fail(f"--format {fmt!r}: use table, json or csv")
    if fmt == "table" and out is not None:
        fail("--out writes files: use --format json or csv")
    return day, span


def _report(database_url: str | None, policy: Any, day: date, span: Any) -> Any:
    """The report from the ledger, or one line saying why not."""
    from api.calls_report import calls_change, report_body

    return with_current_ledger(database_url, policy.timezone, lambda ledger: report_body(
        calls_change(ledger.engine, policy.calls, day, span)))


def _text(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "share":
        return f"{value * 100:.1f} %"
    if kind == "bool":
        return "yes" if value else "no"
    return f"{value:,}" if kind == "count" else f"{value:,.2f}"


def calls_csv(report: Any) -> str:
    """``figure,before,after`` rows (raw values: shares as fractions), after a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["figure", "before", "after"])
    writer.writerow(["period_start", report.before.start.isoformat(),
                     report.after.start.isoformat()])
    writer.writerow(["period_end", report.before.end.isoformat(), report.after.end.isoformat()])
    for name, _, _ in FIGURES:
        values = [getattr(report.before, name), getattr(report.after, name)]
        writer.writerow([name, *("" if v is None else v for v in values)])
    return buffer.getvalue()


def _print(report: Any) -> None:
    from rich.table import Table

    low, high = report.band
    table = Table(title=f"Calls policy changed {report.change}: {report.window_days} days "
                        "before and after",
                  caption=f"agent share = agent / (agent + customer) hang-ups, band "
                          f"{low * 100:.0f} to {high * 100:.0f} %; minutes released = calls "
                          "no longer taken from blocked callers x their mean handling time; "
                          "every figure in --format json or csv")
    table.add_column("figure", no_wrap=True)
    for title, period in (("before", report.before), ("after", report.after)):
        table.add_column(f"{title}\n{period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}",
                         justify="right")
    for name, title, kind in FIGURES:
        table.add_row(title, _text(getattr(report.before, name), kind),
                      _text(getattr(report.after, name), kind))
    wide_console().print(table)
