"""Months of the payroll: naming them, and closing and reopening them with a history.

A period is a calendar month ``YYYY-MM`` in the policy's time zone, the same months as a
penalty's ``period``. A period is open until it is closed; it can be reopened (with a
reason) and closed again; every close and reopen is kept in ``period_actions``, and the
newest action of a period decides its state. Only a month that has ended can be closed.
Closing freezes the month's payroll lines: corrections recorded afterwards are booked in
the first open month (:mod:`ledger.booking`).

The pure helpers (:func:`parse_period`, :func:`period_of`, :func:`first_open`) take their
time zone and clock as arguments; the functions on a connection are called by
:class:`ledger.writer.Ledger`, inside its write transaction.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from sqlalchemy import Connection, Engine, func, insert, select

from ledger.errors import PeriodError
from ledger.tables import PeriodAction

__all__ = [
    "PeriodRecord",
    "close_period",
    "closed_periods",
    "first_open",
    "next_period",
    "parse_period",
    "period_end",
    "period_history",
    "period_of",
    "reopen_period",
]

_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class PeriodRecord:
    """One close or reopen of a month, as recorded."""

    period: str
    action: Literal["close", "reopen"]
    actor: str
    at: datetime
    reason: str | None


def parse_period(text: str) -> str:
    """``text`` if it names a month like ``2026-11``, else :class:`PeriodError`."""
    if not _PERIOD.fullmatch(text):
        raise PeriodError(f"period {text!r} is not a month like 2026-11")
    return text


def period_of(moment: datetime, zone: tzinfo) -> str:
    """The month ``moment`` falls in, in ``zone``."""
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def next_period(period: str) -> str:
    """The month after ``period``."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def period_end(period: str, zone: tzinfo) -> datetime:
    """The first instant after ``period`` in ``zone`` (midnight starting the next month)."""
    year, month = (int(part) for part in next_period(period).split("-"))
    return datetime(year, month, 1, tzinfo=zone)


def first_open(period: str, closed: Collection[str]) -> str:
    """The first month at or after ``period`` that is not in ``closed``."""
    while period in closed:
        period = next_period(period)
    return period


def closed_periods(conn: Connection) -> frozenset[str]:
    """The months closed now: those whose newest action is a close."""
    newest = (select(PeriodAction.period, func.max(PeriodAction.id).label("last"))
              .group_by(PeriodAction.period).subquery())
    stmt = (select(PeriodAction.period)
            .join(newest, PeriodAction.id == newest.c.last)
            .where(PeriodAction.action == "close"))
    return frozenset(conn.execute(stmt).scalars())


def close_period(conn: Connection, period: str, *, actor: str, now: datetime,
                 zone: tzinfo) -> PeriodRecord:
    """Close ``period`` as ``actor`` at ``now``; refuse a month that has not ended (in
    ``zone``) or is already closed."""
    parse_period(period)
    end = period_end(period, zone)
    if now < end:
        raise PeriodError(f"period {period} has not ended yet: it can be closed from "
                          f"{end.isoformat()}")
    if period in closed_periods(conn):
        raise PeriodError(f"period {period} is already closed")
    return _append(conn, PeriodRecord(period, "close", actor, now, None))


def reopen_period(conn: Connection, period: str, *, actor: str, reason: str,
                  now: datetime) -> PeriodRecord:
    """Reopen the closed ``period`` as ``actor`` at ``now``, for ``reason`` (required)."""
    parse_period(period)
    if not reason.strip():
        raise PeriodError("a reason is required to reopen a period")
    if period not in closed_periods(conn):
        raise PeriodError(f"period {period} is not closed")
    return _append(conn, PeriodRecord(period, "reopen", actor, now, reason.strip()))


def _append(conn: Connection, record: PeriodRecord) -> PeriodRecord:
    if not record.actor.strip():
        raise PeriodError("say who closes or reopens the period")
    conn.execute(insert(PeriodAction).values(
        period=record.period, action=record.action, actor=record.actor, at=record.at,
        reason=record.reason))
    return record


def period_history(engine: Engine, period: str | None = None) -> list[PeriodRecord]:
    """Every close and reopen (of ``period``, if given), oldest first."""
    table = PeriodAction.__table__
    stmt = select(table.c.period, table.c.action, table.c.actor, table.c.at, table.c.reason)
    if period is not None:
        stmt = stmt.where(table.c.period == parse_period(period))
    with engine.connect() as conn:
        rows = conn.execute(stmt.order_by(table.c.id)).all()
    return [PeriodRecord(*row) for row in rows]
