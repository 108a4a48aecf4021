"""``sla-police replay`` and ``sla-police whatif``: the domain over a log, offline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from sla_police.commands._common import fail, load_config_or_exit, read_log

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
    app.command("whatif")(whatif_command)


def _parse_until(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--until {value!r} is not an RFC 3339 time (e.g. 2026-11-09T00:00:00+08:00)")
    if until.tzinfo is None:
        fail(f"--until {value!r} needs a UTC offset (e.g. +08:00)")
    return until


def replay_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL event log"),
    config: Path = typer.Option(None, "--config", "-c", help="SLA policy YAML [SLA_CONFIG]"),
    until: str = typer.Option(None, help="fire open clocks up to this time (default: last event)"),
    out: Path = typer.Option(None, "--out", "-o", help="write outbound events here as JSONL"),
) -> None:
    """Replay a log through the SLA engine in a virtual clock; print a per-department summary.

    Deterministic: the same log and config always write the same bytes.
    """
    from rich.console import Console

    from sla.replay import replay_lines
    from sla.summary import summarise
    from sla_police.commands._tables import summary_table

    console = Console(stderr=out is None)
    cfg = load_config_or_exit(config)
    result = replay_lines(read_log(events, console), cfg, until=_parse_until(until))
    if out is not None:
        out.write_text(result.jsonl(), encoding="utf-8")
    Console().print(summary_table(summarise(result.outputs), cfg.currency,
                                  title=f"Replay of {events.name} until {result.until}"))
    console.print(f"{result.events:,} events ({result.duplicates:,} duplicate ids ignored, "
                  f"{result.invalid:,} invalid lines dead-lettered) -> "
                  f"{len(result.outputs):,} outbound events"
                  + (f" written to {out}" if out else ""))


def whatif_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL event log"),
    config: Path = typer.Option(..., "--config", "-c", help="the current SLA policy"),
    against: Path = typer.Option(..., "--against", "-a", help="the proposed SLA policy"),
    until: str = typer.Option(None, help="fire open clocks up to this time (default: last event)"),
) -> None:
    """Replay history under the current and a proposed policy; compare per department."""
    from rich.console import Console

    from sla.replay import replay_lines
    from sla.summary import summarise
    from sla_police.commands._tables import whatif_table

    console = Console(stderr=True)
    current_cfg, proposed_cfg = load_config_or_exit(config), load_config_or_exit(against)
    lines = list(read_log(events, console))
    limit = _parse_until(until)
    current = summarise(replay_lines(lines, current_cfg, until=limit).outputs)
    proposed = summarise(replay_lines(lines, proposed_cfg, until=limit).outputs)
    Console().print(whatif_table(current, proposed, current_cfg.currency,
                                 title=f"What if {against.name} replaced {config.name}?"))
