"""What the ``sla-police ledger`` commands share: options, opening the ledger, and turning a
database error into one clear line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from sla_police.commands._common import fail, load_config_or_exit

if TYPE_CHECKING:
    from ledger import Ledger

__all__ = ["CONFIG", "DATABASE_URL", "database_error", "open_ledger", "policy_timezone",
           "with_current_ledger"]

T = TypeVar("T")

DATABASE_URL = typer.Option(
    None, "--database-url", show_default=False,
    help="SQLAlchemy URL of the ledger. Default: SLA_DATABASE_URL (sqlite:///var/sla-police.db).",
)
CONFIG = typer.Option(
    None, "--config", "-c", show_default=False,
    help="SLA policy YAML whose time zone the months are counted in. Default: SLA_CONFIG.",
)


def policy_timezone(config: Path | None) -> str:
    """The time zone of the SLA policy at ``config`` (default SLA_CONFIG), or a clear exit."""
    return load_config_or_exit(config).timezone


def open_ledger(database_url: str | None, timezone: str) -> Ledger:
    """The ledger at ``database_url`` (default: the settings'), or a clear exit."""
    from sqlalchemy.exc import ArgumentError

    from ledger import Ledger, LedgerError
    from sla_police.settings import Settings

    url = database_url or Settings().database_url
    try:
        return Ledger(url, timezone=timezone)
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


def database_error(ledger: Ledger, exc: Exception) -> NoReturn:
    """Exit with the database's own reason, on one line."""
    reason = getattr(exc, "orig", None) or exc
    fail(f"ledger {ledger.url}: {' '.join(str(reason).split())}", code=1)


def with_current_ledger(database_url: str | None, timezone: str, work: Callable[[Ledger], T]) -> T:
    """``work(ledger)`` on the ledger at ``database_url`` once it is at the current revision;
    a ledger that is not, or a database error, is one clear line and an exit (the reports'
    shared path)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ledger import LedgerError

    ledger = open_ledger(database_url, timezone)
    with ledger:
        try:
            ledger.require_current()
            return work(ledger)
        except LedgerError as exc:
            fail(str(exc), code=1)
        except SQLAlchemyError as exc:
            database_error(ledger, exc)
