"""``sla-police ledger``: create the ledger schema, import outcomes, close months, pay.

The ledger is the durable record of breaches, penalties and disputes (:mod:`ledger`).
Every command uses ``SLA_DATABASE_URL`` (default ``sqlite:///var/sla-police.db``) unless
``--database-url`` is given. Importing is idempotent: a file imported twice inserts
nothing the second time. Closing months and the payroll report live in
:mod:`~sla_police.commands.ledger_periods` and :mod:`~sla_police.commands.ledger_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sla_police.commands import ledger_periods, ledger_report, ledger_sink
from sla_police.commands._common import wide_console
from sla_police.commands._ledger_common import (
    CONFIG,
    DATABASE_URL,
    database_error,
    open_ledger,
    policy_timezone,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ledger import Ledger, RecordStats

__all__ = ["register"]

#: Exit codes of ``ledger import``: 1 when some lines could not be recorded.
EXIT_SOME_LINES_SKIPPED = 1
_BATCH = 5_000
_SHOWN_PROBLEMS = 5


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` command group to the CLI."""
    ledger_app = typer.Typer(name="ledger", no_args_is_help=True,
                             help="The penalty and breach ledger HR is paid from.")
    ledger_app.command("migrate")(migrate_command)
    ledger_app.command("import")(import_command)
    ledger_report.register(ledger_app)
    ledger_periods.register(ledger_app)
    ledger_sink.register(ledger_app)
    app.add_typer(ledger_app, name="ledger")


def migrate_command(database_url: str | None = DATABASE_URL) -> None:
    """Create the ledger schema, or upgrade it to this version. Safe to run any time."""
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    ledger = open_ledger(database_url, "UTC")  # books nothing: any time zone will do
    with ledger:
        try:
            before = ledger.revision()
            after = ledger.migrate()
        except SQLAlchemyError as exc:
            database_error(ledger, exc)
    state = "already at" if before == after else f"migrated from {before or 'empty'} to"
    Console().print(f"ledger {ledger.url}: {state} revision {after}", highlight=False)


def import_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False,
                                  help="JSONL of outbound events, e.g. `replay --out` output, "
                                       "and business volumes (volume.reported)"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """Record outbound events (and volume.reported) from a JSONL file; report
    inserted and duplicate events.

    Migrates the schema first. Idempotent: events already in the ledger are
    counted as duplicates and change nothing. Penalties and reversals are
    booked in the payroll of their month, or as adjustments in the first open
    month when theirs is closed. Lines that are not outbound events are
    reported and skipped (exit code 1).
    """
    from rich.console import Console
    from sqlalchemy.exc import SQLAlchemyError

    console = Console(stderr=True)
    ledger = open_ledger(database_url, policy_timezone(config))
    with ledger:
        try:
            ledger.migrate()
            stats, problems = _import(ledger, events, console)
        except SQLAlchemyError as exc:
            database_error(ledger, exc)
    wide_console().print(_stats_table(stats, f"Imported {events.name} into {ledger.url}"))
    if stats.adjustments:
        console.print(f"{stats.adjustments:,} corrections of closed months booked as "
                      "adjustment lines in the first open month", highlight=False)
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
    from models.parse import KEPT_TYPES, Rejection, parse_event

    if not line.strip():
        return None
    event = parse_event(line, accept="any")
    if isinstance(event, Rejection):
        problems.append(f"line {number}: {event.reason}")
        return None
    if event.type not in KEPT_TYPES:
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
