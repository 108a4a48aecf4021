"""``sla-police simulate-calls``: seeded, deterministic call records, block requests and
their decisions around a calls policy change, as JSONL that ``sla-police publish`` sends to
the ``calls`` topic (:mod:`sla_police.simulator.calls`)."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path

import typer

from sla_police.commands._common import fail, open_output, writing

__all__ = ["register", "simulate_calls_command"]


def register(app: typer.Typer) -> None:
    """Add this module's command to the CLI."""
    app.command("simulate-calls")(simulate_calls_command)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r}: expected a date like 2026-11-01")


def simulate_calls_command(
    days: int = typer.Option(60, "--days", help="simulated days"),
    seed: int = typer.Option(0, "--seed", help="random seed: same arguments, same bytes"),
    out: str = typer.Option("-", "--out", "-o", help="output JSONL file ('-' for stdout)"),
    start: str = typer.Option("2026-10-02", "--start", help="first day, YYYY-MM-DD"),
    change: str = typer.Option("2026-11-01", "--change",
                               help="the day the new hang-up norms and blocks start"),
    calls_per_day: int = typer.Option(400, "--calls-per-day", help="ordinary calls a day"),
    agents: int = typer.Option(20, "--agents", help="agents taking calls"),
    agent_share_before: float = typer.Option(
        0.18, "--agent-share-before", help="share of hang-ups by the agent before the change"),
    agent_share_after: float = typer.Option(
        0.30, "--agent-share-after", help="share of hang-ups by the agent after the change"),
    nuisance_callers: int = typer.Option(
        4, "--nuisance-callers", help="planted callers whose bursts trip the automatic rule"),
    abusive_callers: int = typer.Option(
        2, "--abusive-callers", help="planted callers a lead blocks on request"),
    timezone: str = typer.Option("Asia/Shanghai", "--timezone", help="contact-center zone"),
) -> None:
    """Write calls (hang-ups by side before and after a policy change, planted nuisance and
    abusive callers, block requests decided by a lead) as JSONL in time order."""
    from sla_police.simulator.calls import CallsOptions, simulate_calls

    try:
        options = CallsOptions(
            days=days, seed=seed, start=_date(start, "--start"), change=_date(change, "--change"),
            calls_per_day=calls_per_day, agents=agents, agent_share_before=agent_share_before,
            agent_share_after=agent_share_after, nuisance_callers=nuisance_callers,
            abusive_callers=abusive_callers, timezone=timezone)
    except (ValueError, KeyError) as exc:
        fail(f"{exc.args[0] if exc.args else exc}")
    events = list(simulate_calls(options))
    text = "".join(event.to_json() + "\n" for event in events)
    if out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        handle = open_output(Path(out), newline="\n")
        with writing(Path(out)), handle:
            handle.write(text)
    _summary(events, options, out)


def _share(sides: Counter[tuple[bool, str]], after: bool) -> str:
    """The agent share of hang-ups (agent / (agent + customer)) before or after."""
    agent, customer = sides[(after, "agent")], sides[(after, "customer")]
    return f"{agent / (agent + customer) * 100:.1f} %" if agent + customer else "-"


def _summary(events: list, options, out: str) -> None:
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.table import Table

    zone = ZoneInfo(options.timezone)
    counts = Counter(event.type for event in events)
    sides = Counter((event.time.astimezone(zone).date() >= options.change, event.data.ended_by)
                    for event in events if event.type == "call.ended")
    table = Table(title=f"simulated calls -> {out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for event_type, count in sorted(counts.items()):
        table.add_row(event_type, f"{count:,}")
    table.add_section()
    table.add_row("agent share of hang-ups before the change", _share(sides, False))
    table.add_row("agent share of hang-ups after the change", _share(sides, True))
    Console(stderr=out == "-").print(table)
