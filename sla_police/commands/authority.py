"""``sla-police report authority`` and ``sla-police authority flag``: agent authority from
the ledger (issue 14).

The report's figures are :mod:`ledger.authority`'s, its files :mod:`ledger.authority_export`'s
(as the API's); the terminal tables are made here (:mod:`sla_police.commands._authority_tables`).
``authority flag`` raises the month's ``authority.flagged`` events (the same flags the
report shows) on the ``authority`` topic keyed by agent; their ids depend on the agent,
reason, month and level only, so running it twice adds nothing to the ledger.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from sla_police.commands._common import fail, load_config_or_exit, write_bytes
from sla_police.commands._ledger_common import CONFIG, DATABASE_URL, with_current_ledger

__all__ = ["register", "report_command"]

_FORMATS = ("table", "json", "csv")
PERIOD = typer.Option(..., "--period", "-p", show_default=False,
                      help="the month, e.g. 2026-11 (in the policy's time zone)")


def register(app: typer.Typer) -> None:
    """Add the ``authority`` group and its ``flag`` command (``report authority`` is added
    to the ``report`` group by :mod:`sla_police.commands.report`)."""
    group = typer.Typer(help="Agent authority: raise the month's over-generous flags.",
                        no_args_is_help=True)
    group.command("flag")(flag_command)
    app.add_typer(group, name="authority")


def report_command(
    period: str = PERIOD,
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv"),
    out: Path | None = typer.Option(None, "--out", "-o", show_default=False,
                                    help="write this file instead of standard output"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """Agent authority in a month: per contact reason, contacts, grants, amount, the share
    that needed approval, approval waits (p50, p90, working time), audit compliance and
    CSAT; the over-generous agents with the figures behind each flag; and each pilot's
    agents against the rest of their level (cost per contact, CSAT, repeats, approvals
    avoided, audit compliance).
    """
    _check_period(period)
    if fmt not in _FORMATS:
        fail(f"--format {fmt!r}: use table, json or csv")
    if fmt == "table" and out is not None:
        fail("--out writes files: use --format json or csv")
    policy, view = _policy(config)
    report = _with_ledger(database_url, policy, lambda ledger: _report(ledger, view, period))
    if fmt == "table":
        from sla_police.commands._authority_tables import print_report

        print_report(report)
        return
    from ledger.authority_export import report_csv, report_json

    write_bytes(report_json(report) if fmt == "json" else report_csv(report), out)


def flag_command(
    period: str = PERIOD,
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="show the flags, publish nothing"),
    config: Path | None = CONFIG,
    database_url: str | None = DATABASE_URL,
) -> None:
    """Compute the month's over-generous agents (the policy's authority.flags rule on the
    ledger's contacts and grants) and publish one authority.flagged per agent, contact
    reason and month to the authority topic (key = agent), for coaching. Running it
    again publishes the same ids: the ledger records each flag once.
    """
    _check_period(period)
    policy, view = _policy(config)
    flags = _with_ledger(database_url, policy, lambda ledger: _flags(ledger, view, period))
    from sla_police.commands._authority_tables import print_flags

    print_flags(period, flags)
    if dry_run or not flags:
        typer.echo("dry run: nothing published" if dry_run else "no flag to publish")
        return
    from sla_police.settings import Settings

    bootstrap = Settings().kafka_bootstrap
    if not bootstrap:
        fail("SLA_KAFKA_BOOTSTRAP is not set: point it at the cluster the ledger sink reads "
             "(or use --dry-run)", code=1)
    asyncio.run(_publish(bootstrap, flags))
    typer.echo(f"published {len(flags)} authority.flagged to topic authority")


def _check_period(period: str) -> None:
    from ledger import PeriodError, parse_period

    try:
        parse_period(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")


def _policy(config: Path | None) -> tuple[Any, Any]:
    """The policy and a view of its authority section, or one line saying it has none."""
    from sla.authority_view import PolicyView

    policy = load_config_or_exit(config)
    if policy.authority is None:
        fail("the policy has no authority section: add `authority:` (docs/config.md, "
             "\"Agent authority\") to report on agents' concessions", code=1)
    return policy, PolicyView(policy.authority)


def _with_ledger(database_url: str | None, policy: Any, work: Any) -> Any:
    """``work(ledger)`` on the current ledger, or one line saying why not."""
    return with_current_ledger(database_url, policy.timezone, work)


def _report(ledger: Any, view: Any, period: str) -> Any:
    from ledger.authority import authority_report

    return authority_report(ledger.engine, period, ledger.zone, view, datetime.now(UTC))


def _flags(ledger: Any, view: Any, period: str) -> list[Any]:
    from ledger.authority import month_flags, month_rows

    return month_flags(month_rows(ledger.engine, period, ledger.zone), view, datetime.now(UTC))


async def _publish(bootstrap: str, flags: list[Any]) -> None:
    from api import PublishError
    from sla_police.command_bus import KafkaCommandBus

    bus = KafkaCommandBus(bootstrap)
    try:
        for flag in flags:
            await bus.publish(flag)
    except PublishError as exc:
        fail(f"not published: {exc}", code=1)
    finally:
        await bus.close()
