"""``sla-police ledger close / reopen / periods``: closing the months HR has paid.

A closed month's payroll never changes: corrections recorded afterwards are booked as
adjustments in the first open month (:mod:`ledger.booking`). Months are counted in the
SLA policy's time zone, like a penalty's ``period``; closing and reopening are recorded
with who (``--by``, default the OS user) and when (the real clock), and kept as history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sla_police.commands._common import fail, wide_console
from sla_police.commands._ledger_common import (
    CONFIG,
    DATABASE_URL,
    database_error,
    open_ledger,
    policy_timezone,
)

if TYPE_CHECKING:
    from ledger import Ledger, PeriodRecord

__all__ = ["register"]

PERIOD = typer.Option(..., "--period", "-p", show_default=False,
                      help="the month, e.g. 2026-11, in the policy's time zone")
BY = typer.Option(None, "--by", show_default=False,
                  help="who does it, as recorded (default: the OS user)")


def register(app: typer.Typer) -> None:
    """Add ``close``, ``reopen`` and ``periods`` to the ``ledger`` group."""
    app.command("close")(close_command)
    app.command("reopen")(reopen_command)
    app.command("periods")(periods_command)


def close_command(period: str = PERIOD, by: str | None = BY, config: Path | None = CONFIG,
                  database_url: str | None = DATABASE_URL) -> None:
    """Close a month that has ended: its payroll lines never change again.

    Corrections recorded afterwards (a reversal of one of its penalties, a
    late penalty) are booked as adjustment lines in the first open month.
    Refused for a month that has not ended yet or is already closed.
    Recorded with who and when.
    """
    _check_period(period)
    record = _change(database_url, config,
                     lambda ledger: ledger.close_period(period, by=by or _os_user(),
                                                        now=datetime.now(UTC)))
    _print_done(record, "closed: its payroll lines are final")


def reopen_command(period: str = PERIOD,
                   reason: str | None = typer.Option(
                       None, "--reason", show_default=False,
                       help="why it is reopened (required; recorded)"),
                   by: str | None = BY, config: Path | None = CONFIG,
                   database_url: str | None = DATABASE_URL) -> None:
    """Reopen a closed month, saying why: later corrections land in it again.

    Lines already booked as adjustments in later months stay where they are.
    Close it again when done; the history keeps every close and reopen.
    """
    _check_period(period)
    if reason is None or not reason.strip():
        fail("reopening needs --reason: say why the month is reopened (it is recorded)")
    record = _change(database_url, config,
                     lambda ledger: ledger.reopen_period(period, by=by or _os_user(),
                                                         reason=reason, now=datetime.now(UTC)))
    _print_done(record, f"reopened ({record.reason})")


def periods_command(config: Path | None = CONFIG,
                    database_url: str | None = DATABASE_URL) -> None:
    """List every close and reopen of a month, oldest first, and what is closed."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger import LedgerError, period_history

    ledger = open_ledger(database_url, policy_timezone(config))
    with ledger:
        try:
            ledger.require_current()
            history, closed = period_history(ledger.engine), ledger.closed_periods()
        except LedgerError as exc:
            fail(str(exc), code=1)
        except SQLAlchemyError as exc:
            database_error(ledger, exc)
    wide_console().print(_history_table(history, sorted(closed), ledger))


def _check_period(period: str) -> None:
    from ledger import PeriodError, parse_period

    try:
        parse_period(period)
    except PeriodError as exc:
        fail(f"--period: {exc}")


def _change(database_url: str | None, config: Path | None,
            change: Any) -> PeriodRecord:
    """Run ``change(ledger)`` on a current schema; every refusal is one line, exit 1.
    The record comes back with its time in the policy's zone, for printing."""
    import dataclasses

    from sqlalchemy.exc import SQLAlchemyError

    from ledger import LedgerError

    ledger = open_ledger(database_url, policy_timezone(config))
    with ledger:
        try:
            ledger.require_current()
            record = change(ledger)
            return dataclasses.replace(record, at=record.at.astimezone(ledger.zone))
        except LedgerError as exc:
            fail(str(exc), code=1)
        except SQLAlchemyError as exc:
            database_error(ledger, exc)


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in a bare container
        return "unknown"


def _print_done(record: PeriodRecord, what: str) -> None:
    from rich.console import Console

    Console(soft_wrap=True).print(f"{record.period} {what} (by {record.actor} at "
                    f"{record.at.isoformat(timespec='seconds')})", highlight=False)


def _history_table(history: list[PeriodRecord], closed: list[str], ledger: Ledger) -> Any:
    from rich.table import Table

    table = Table(title=f"Closed and reopened months of {ledger.url}")
    for name in ("period", "action", "by", "at", "reason"):
        table.add_column(name)
    for record in history:
        at = record.at.astimezone(ledger.zone).isoformat(timespec="seconds")
        table.add_row(record.period, record.action, record.actor, at, record.reason or "")
    table.caption = (f"closed now: {', '.join(closed)}" if closed
                     else "no month is closed")
    return table
