"""``sla-police replay`` and ``sla-police whatif``: the domain over a log, offline."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from sla_police.commands._common import (
    load_config_or_exit,
    open_output,
    parse_time_option,
    wide_console,
    writing,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
    app.command("whatif")(whatif_command)


def _parse_until(value: str | None) -> datetime | None:
    return parse_time_option("--until", value)


def replay_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL event log"),
    config: Path = typer.Option(None, "--config", "-c", help="SLA policy YAML [SLA_CONFIG]"),
    until: str = typer.Option(None, help="fire open clocks up to this time (default: last event)"),
    out: Path = typer.Option(None, "--out", "-o", help="write outbound events here as JSONL"),
    workers: int = typer.Option(0, help="processes to shard over (0: one per core)", min=0),
    bucket_mb: int = typer.Option(32, "--bucket-mb", min=1,
                                  help="log megabytes replayed at once per process (memory)"),
    temp_dir: Path = typer.Option(None, "--temp-dir", file_okay=False, exists=True,
                                  help="where the log is spilled and sorted (room for the "
                                       "log and twice the output; default: the system's "
                                       "temporary directory)"),
) -> None:
    """Replay a log through the SLA engine in a virtual clock; print a per-department summary.

    Deadlines fire at their exact due times, interleaved with events by time; open
    clocks fire up to --until. Calls lines (the calls topic's) go through the calls
    replay, up to the same instant, when the policy has a calls section. Deterministic:
    the same log and config always write the same bytes, whatever --workers is. The log
    is replayed from temporary bucket files and the output streamed to --out, so memory
    grows with the open tickets and --bucket-mb, not with the log.
    """
    import os
    import time
    from functools import partial

    from rich.console import Console

    from sla_police.bucketed_replay import replay_log
    from sla_police.commands._tables import summary_table

    console = Console(stderr=True)
    cfg = load_config_or_exit(config)
    limit = _parse_until(until)
    handle = open_output(out, binary=True) if out is not None else None  # refused before the work
    started = time.perf_counter()
    with console.status("replaying") as status:
        run = partial(replay_log, events, cfg, until=limit, workers=workers or os.cpu_count() or 1,
                      bucket_bytes=bucket_mb << 20, temp_dir=temp_dir, note=status.update)
        if handle is None:
            result = run(None)
        else:
            with writing(out), handle:
                result = run(handle)
    seconds = time.perf_counter() - started
    wide_console().print(summary_table(result.figures, cfg.currency,
                                           title=f"Replay of {events.name} until {result.until}"))
    console.print(f"{result.events:,} events ({result.duplicates:,} duplicate ids ignored, "
                  f"{result.invalid:,} invalid lines dead-lettered) -> "
                  f"{result.lines:,} outbound events"
                  + (f" written to {out}" if out else "")
                  + f" in {seconds:.1f} s ({result.events / max(seconds, 1e-9):,.0f} events/s)")
    calls = result.calls
    if calls is not None:
        console.print(f"{calls.events:,} calls events ({calls.invalid:,} invalid) -> "
                      f"{len(calls.outputs):,} calls outputs")


def _replay(lines: list[bytes], cfg, until: datetime | None, workers: int, console):
    """The sharded in-memory replay of ``lines`` (``whatif-authority`` reads its lines)."""
    import os

    from sla.parallel import replay_sharded

    workers = workers or os.cpu_count() or 1
    with console.status("replaying") as status:
        return replay_sharded(lines, cfg, until=until, workers=workers,
                              on_phase=lambda text: status.update(text))


def _figures(events: Path, cfg, until: datetime | None, workers: int, console):
    """Figures of the bucketed replay of ``events`` (nothing written, nothing merged)."""
    import os

    from sla_police.bucketed_replay import replay_log

    with console.status("replaying") as status:
        return replay_log(events, cfg, None, until=until, workers=workers or os.cpu_count() or 1,
                          note=status.update, figures_only=True).figures


def whatif_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL event log"),
    config: Path = typer.Option(..., "--config", "-c", help="the current SLA policy"),
    against: Path = typer.Option(..., "--against", "-a", help="the proposed SLA policy"),
    until: str = typer.Option(None, help="fire open clocks up to this time (default: last event)"),
    workers: int = typer.Option(0, help="processes to shard over (0: one per core)", min=0),
) -> None:
    """Replay history under the current and a proposed policy; compare per department.

    Judge a policy change on history before adopting it: breaches, fines and points
    per department under both, and the difference.
    """
    from rich.console import Console

    from sla_police.commands._tables import whatif_table

    console = Console(stderr=True)
    current_cfg, proposed_cfg = load_config_or_exit(config), load_config_or_exit(against)
    limit = _parse_until(until)
    current = _figures(events, current_cfg, limit, workers, console)
    proposed = _figures(events, proposed_cfg, limit, workers, console)
    wide_console().print(whatif_table(current, proposed, current_cfg.currency,
                                          title=f"What if {against.name} replaced {config.name}?"))
