"""``sla-police whatif-authority``: proposed concession limits judged on history."""

from __future__ import annotations

from pathlib import Path

import typer

from sla_police.commands._common import fail, load_config_or_exit, read_log, wide_console

__all__ = ["register"]

#: Outbound types the what-if reads (the others are not parsed back).
_WANTED = (b'"type":"approval.recorded"', b'"type":"concession.recorded"')


def register(app: typer.Typer) -> None:
    """Add this module's command to the CLI."""
    app.command("whatif-authority")(whatif_authority_command)


def whatif_authority_command(
    events: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL event log"),
    limits: Path = typer.Option(..., "--limits", "-l", help="proposed limits: a YAML file "
                                "with limits: (and optionally pilots:) in the policy's "
                                "authority syntax"),
    policy: Path = typer.Option(None, "--policy", "-c", help="the current policy [SLA_CONFIG]"),
    minutes: float = typer.Option(6.0, "--minutes-per-approval", min=0,
                                  help="supervisor minutes spent on one approval"),
    workers: int = typer.Option(0, help="processes to shard over (0: one per core)", min=0),
) -> None:
    """Replay history with the current policy, then show per contact reason what proposed
    limits would change: approvals no longer needed, supervisor hours saved, and the extra
    exposure (requests declined today that the new limits would allow)."""
    from rich.console import Console

    from sla.authority_whatif import parse_proposed, whatif_authority
    from sla.config import ConfigError
    from sla_police.commands.replay import _replay

    console = Console(stderr=True)
    cfg = load_config_or_exit(policy)
    if cfg.authority is None:
        fail("the current policy has no authority section: nothing to compare")
    try:
        proposed = parse_proposed(_read_text(limits), cfg.authority, str(limits))
    except ConfigError as exc:
        fail(f"invalid proposed limits:\n{exc}", code=1)
    result = _replay(list(read_log(events, console)), cfg, None, workers, console)
    rows = whatif_authority(cfg.authority, proposed, _authority_outputs(result.lines),
                            minutes)
    wide_console().print(_table(rows, cfg.currency, f"What if {limits.name} set the limits?"))
    console.print(f"{minutes:g} supervisor minutes per approval; exposure: the amounts asked "
                  "for in requests declined today that the proposed limits allow alone")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")


def _authority_outputs(lines: list[str]):
    from models import parse_event

    for line in lines:
        raw = line.encode()
        if any(marker in raw for marker in _WANTED):
            yield parse_event(raw, accept="any")


def _table(rows, currency: str, title: str):
    from rich.table import Table

    table = Table(title=title)
    for name in ("contact reason", "approvals", "no longer needed", "hours saved",
                 "declined", "now allowed", f"exposure ({currency})"):
        table.add_column(name, justify="left" if name == "contact reason" else "right")
    totals = [0, 0, 0.0, 0, 0, 0]
    for row in rows:
        figures = (row.approvals, row.approvals_avoided, row.hours_saved, row.declined,
                   row.exposure_count, row.exposure_amount)
        totals = [t + f for t, f in zip(totals, figures, strict=True)]
        table.add_row(row.contact_reason, *_cells(figures))
    table.add_section()
    table.add_row("total", *_cells(totals))
    return table


def _cells(figures) -> list[str]:
    approvals, avoided, hours, declined, count, amount = figures
    return [f"{approvals:,}", f"{avoided:,}", f"{hours:,.1f}", f"{declined:,}", f"{count:,}",
            f"{amount:,.2f}"]
