"""``sla-police ledger``: create the ledger schema, import outcomes, print the HR feed.

The ledger is the durable record of breaches and penalties (:mod:`ledger`).
Every command uses ``SLA_DATABASE_URL`` (default ``sqlite:///var/sla-police.db``) unless
``--database-url`` is given. Importing is idempotent: a file imported twice inserts
nothing the second time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sla_police.commands._common import fail, wide_console

if TYPE_CHECKING:
    from rich.console import Console

    from ledger import Ledger, PenaltyTotal, RecordStats

__all__ = ["register"]

#: Exit codes of ``ledger import``: 1 when some lines could not be recorded.
EXIT_SOME_LINES_SKIPPED = 1
_BATCH = 5_000
_SHOWN_PROBLEMS = 5

DATABASE_URL = typer.Option(
    None, "--database-url", show_default=False,
    help="SQLAlchemy URL of the ledger. Default: SLA_DATABASE_URL (sqlite:///var/sla-police.db).",
)


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` command group to the CLI."""
    ledger_app = typer.Typer(name="ledger", no_args_is_help=True,
                             help="The penalty and breach ledger HR is paid from.")
    ledger_app.command("migrate")(migrate_command)
    ledger_app.command("import")(import_command)
    ledger_app.command("report")(report_command)
    app.add_typer(ledger_app, name="ledger")


def _open(database_url: str | None) -> Ledger:
    """The ledger at ``database_url`` (default: the settings'), or a clear exit."""
    from sqlalchemy.exc import ArgumentError

    from ledger import Ledger, LedgerError
    from sla_police.settings import Settings

    url = database_url or Settings().database_url
    try:
        return Ledger(url)
    except (LedgerError, ArgumentError, ValueError, ImportError) as exc:  # bad URL or driver
        fail(f"cannot open the ledger {_printable(url)}: {exc}")


def _printable(url: str) -> str:
    """``url`` with its password hidden (error messages end up in logs)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable URL)"


def _database_error(ledger: Ledger, exc: Exception) -> None:
    reason = getattr(exc, "orig", None) or exc
    fail(f"ledger {ledger.url}: {str(reason).strip()}", code=1)


def migrate_command(database_url: str | None = DATABASE_URL) -> None:
    """Create the ledger schema, or upgrade it to this version. Safe to run any time."""
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    ledger = _open(database_url)
    with ledger:
        try:
            before = ledger.revision()
            after = ledger.migrate()
        except SQLAlchemyError as exc:
            _database_error(ledger, exc)
    state = "already at" if before == after else f"migrated from {before or 'empty'} to"
    Console().print(f"ledger {ledger.url}: {state} revision {after}", highlight=False)


def import_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False,
                                  help="JSONL of outbound events, e.g. `replay --out` output"),
    database_url: str | None = DATABASE_URL,
) -> None:
    """Record outbound events from a JSONL file; report inserted and duplicate events.

    Migrates the schema first. Idempotent: events already in the ledger are counted as
    duplicates and change nothing. Lines that are not outbound events are reported and
    skipped (exit code 1).
    """
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    console = Console(stderr=True)
    ledger = _open(database_url)
    with ledger:
        try:
            ledger.migrate()
            stats, problems = _import(ledger, events, console)
        except SQLAlchemyError as exc:
            _database_error(ledger, exc)
    wide_console().print(_stats_table(stats, f"Imported {events.name} into {ledger.url}"))
    for problem in problems[:_SHOWN_PROBLEMS]:
        console.print(f"[yellow]skipped[/] {problem}", highlight=False)
    if problems:
        console.print(f"{len(problems):,} line(s) skipped", highlight=False)
        raise typer.Exit(EXIT_SOME_LINES_SKIPPED)


def _import(ledger: Ledger, path: Path, console: Console) -> tuple[RecordStats, list[str]]:
    """Parse ``path`` line by line and record it in batches, with a progress bar by bytes."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from ledger import RecordStats

    stats, problems, batch = RecordStats(), [], []
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                progress.advance(task, len(line))
                event = _outbound(line, number, problems)
                if event is not None:
                    batch.append(event)
                if len(batch) >= _BATCH:
                    stats.add(ledger.record(batch))
                    batch = []
        stats.add(ledger.record(batch))
    return stats, problems


def _outbound(line: bytes, number: int, problems: list[str]) -> Any:
    """The outbound event on ``line``, or ``None`` (blank, or a problem noted)."""
    from models.outbound import OUTBOUND_TYPES
    from models.parse import Rejection, parse_event

    if not line.strip():
        return None
    event = parse_event(line, accept="any")
    if isinstance(event, Rejection):
        problems.append(f"line {number}: {event.reason}")
        return None
    if event.type not in OUTBOUND_TYPES:
        problems.append(f"line {number}: {event.type} is an input event, not an outcome")
        return None
    return event


def _stats_table(stats: RecordStats, title: str) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for name in ("event type", "inserted", "duplicates"):
        table.add_column(name, justify="left" if name == "event type" else "right")
    for event_type in sorted(set(stats.inserted) | set(stats.duplicates)):
        table.add_row(event_type, f"{stats.inserted[event_type]:,}",
                      f"{stats.duplicates[event_type]:,}")
    table.add_section()
    table.add_row("total", f"{stats.total_inserted:,}", f"{stats.total_duplicates:,}")
    table.caption = f"{stats.reversals_applied:,} penalties marked reversed"
    return table


def report_command(
    period: str = typer.Option(..., "--period", "-p", help="month, e.g. 2026-11"),
    by: str = typer.Option("department", "--by", help="department or assignee"),
    as_csv: bool = typer.Option(False, "--csv", help="write CSV (for HR systems) to stdout"),
    database_url: str | None = DATABASE_URL,
) -> None:
    """The HR penalty feed of a month: fines and demerit points net of reversals."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger import LedgerError, penalty_totals

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        fail(f"--period {period!r} is not a month like 2026-11")
    if by not in ("department", "assignee"):
        fail(f"--by {by!r}: use department or assignee")
    ledger = _open(database_url)
    with ledger:
        try:
            ledger.require_current()
            totals = penalty_totals(ledger.engine, period, by)  # type: ignore[arg-type]
        except LedgerError as exc:
            fail(str(exc), code=1)
        except SQLAlchemyError as exc:
            _database_error(ledger, exc)
    if as_csv:
        _write_csv(totals, period, by)
    else:
        wide_console().print(_report_table(totals, period, by))


_CSV_FIELDS = ("currency", "penalties", "reversed", "gross_fine", "net_fine",
               "gross_points", "net_points")


def _write_csv(totals: list[PenaltyTotal], period: str, by: str) -> None:
    """RFC 4180 CSV, one row per key and currency; amounts as plain decimals."""
    import csv
    import sys

    writer = csv.writer(sys.stdout)
    writer.writerow(["period", by, *_CSV_FIELDS])
    for t in totals:
        writer.writerow([period, t.key or "", t.currency, t.penalties, t.reversed,
                         f"{t.gross_fine:f}", f"{t.net_fine:f}", t.gross_points, t.net_points])


def _report_table(totals: list[PenaltyTotal], period: str, by: str) -> Any:
    from rich.table import Table

    table = Table(title=f"Penalties {period} by {by} (net of reversals)")
    table.add_column(by)
    for name in ("currency", "penalties", "reversed", "net fine", "net points",
                 "gross fine", "gross points"):
        table.add_column(name, justify="left" if name == "currency" else "right")
    for t in totals:
        table.add_row(t.key or "(none)", t.currency, f"{t.penalties:,}", f"{t.reversed:,}",
                      f"{t.net_fine:,f}", f"{t.net_points:,}", f"{t.gross_fine:,f}",
                      f"{t.gross_points:,}")
    if not totals:
        table.caption = "no penalties in this period"
    return table
