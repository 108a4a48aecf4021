"""``sla-police simulate``: write a seeded, deterministic contact-center feed as JSONL."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sla_police.commands._common import open_output, writing

if TYPE_CHECKING:
    from rich.table import Table

    from sla_police.simulator import SimulationOptions, SimulationSummary

__all__ = ["register", "simulate"]

_DEFAULT_START = "2026-11-02"  # a fixed Monday: output never depends on today's date


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.command("simulate")(simulate)


def simulate(
    days: int = typer.Option(1, "--days", min=1, help="simulated days of arrivals"),
    seed: int = typer.Option(0, "--seed", help="random seed: same arguments, same bytes"),
    out: str = typer.Option("-", "--out", help="output JSONL file ('-' for stdout)"),
    start: str = typer.Option(_DEFAULT_START, "--start", help="first day, YYYY-MM-DD"),
    seats: int = typer.Option(80, "--seats", min=1, help="contact-center seats (agents)"),
    calls_per_day: int = typer.Option(6000, "--calls-per-day", min=1,
                                      help="nominal complaints per day (actual varies)"),
    late_rate: float = typer.Option(0.12, "--late-rate", help="tickets handled late"),
    pause_rate: float = typer.Option(0.15, "--pause-rate", help="tickets paused"),
    reopen_rate: float = typer.Option(0.05, "--reopen-rate", help="tickets reopened"),
    transfer_rate: float = typer.Option(0.06, "--transfer-rate", help="tickets transferred"),
    dispute_rate: float = typer.Option(0.02, "--dispute-rate", help="attributions disputed"),
    cancel_rate: float = typer.Option(0.02, "--cancel-rate", help="tickets cancelled"),
    out_of_order_rate: float = typer.Option(0.02, "--out-of-order-rate",
                                            help="events arriving after later ones"),
    duplicate_rate: float = typer.Option(0.005, "--duplicate-rate", help="events sent twice"),
    invalid_rate: float = typer.Option(0.002, "--invalid-rate",
                                       help="invalid lines per event"),
    concession_rate: float = typer.Option(
        0.2, "--concession-rate", help="handled tickets the agent settles with a concession "
        "(or asks to), averaged over contact reasons; 0: no concessions, approvals, audits"),
    generous_agents: int = typer.Option(3, "--generous-agents", min=0,
                                        help="seats planted as over-generous (fixed by seed)"),
    timezone: str = typer.Option("Asia/Shanghai", "--timezone", help="contact-center zone"),
    holidays: str = typer.Option("CN", "--holidays",
                                 help="holiday country code for office hours, or 'none'"),
) -> None:
    """Write a realistic, seeded feed of complaints and ticket events (arrival order)."""
    from sla_police.simulator import SimulationOptions

    try:
        options = SimulationOptions(
            days=days, seed=seed, start=_parse_date(start), seats=seats,
            calls_per_day=calls_per_day, late_rate=late_rate, pause_rate=pause_rate,
            reopen_rate=reopen_rate, transfer_rate=transfer_rate, dispute_rate=dispute_rate,
            cancel_rate=cancel_rate, out_of_order_rate=out_of_order_rate,
            duplicate_rate=duplicate_rate, invalid_rate=invalid_rate,
            concession_rate=concession_rate, generous_agents=generous_agents, timezone=timezone,
            holidays=None if holidays.lower() == "none" else holidays.upper(),
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    _run(options, out)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"--start must be YYYY-MM-DD, got {text!r}") from exc


def _run(options: SimulationOptions, out: str) -> None:
    """Write the feed (with a progress bar on stderr when writing a file); print a summary."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sla_police.simulator import write_simulation

    to_file = out != "-"
    err = Console(stderr=True)
    handle = open_output(Path(out), newline="\n") if to_file else None
    began = time.perf_counter()
    if to_file:
        progress = Progress(TextColumn("simulating"), BarColumn(),
                            TextColumn("{task.completed}/{task.total} days {task.fields[tickets]}"),
                            TimeElapsedColumn(), console=err, transient=True)
        with progress:
            task = progress.add_task("simulate", total=options.days, tickets="")
            count = [0]

            def on_day(index: int, tickets: int) -> None:
                count[0] += tickets
                progress.update(task, completed=index + 1, tickets=f"{count[0]:,} tickets")

            with writing(Path(out)), handle:
                summary = write_simulation(options, handle, on_day=on_day)
    else:
        try:
            summary = write_simulation(options, "-")
        except BrokenPipeError:  # `... | head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
    seconds = time.perf_counter() - began
    (Console() if to_file else err).print(_table(summary, out, seconds))


def _table(summary: SimulationSummary, out: str, seconds: float) -> Table:
    """The summary as a rich table: counts per event type, then the dirt."""
    from rich.table import Table

    table = Table(title=f"simulated feed -> {out}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for event_type, count in sorted(summary.per_type.items()):
        table.add_row(event_type, f"{count:,}")
    table.add_section()
    for label, value in (("tickets", summary.tickets), ("valid events", summary.events),
                         ("delayed (out of order)", summary.delayed),
                         ("duplicates", summary.duplicates), ("invalid lines", summary.invalid),
                         ("lines written", summary.lines)):
        table.add_row(label, f"{value:,}")
    table.add_row("size", f"{summary.bytes / 1e6:,.1f} MB")
    table.add_row("time", f"{seconds:.1f} s")
    return table
