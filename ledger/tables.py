"""Ledger tables: the durable record of SLA outcomes, penalties, reversals and dead letters.

Every outbound event is kept once in ``ledger_events`` (its canonical JSON, keyed by the
event id); the events HR and executives query are also flattened into their own table
(``breaches``, ``penalties``, ``reversals``, ``dead_letters``) so plain SQL answers "what did
logistics pay in November". The tables are the same on SQLite and PostgreSQL, with two
column types that make both backends agree exactly:

* :class:`UtcDateTime` stores every time in UTC (SQLite has no time zones); it comes back
  tz-aware. The original offset stays in ``ledger_events.payload``.
* :class:`ExactDecimal` keeps amounts exact: NUMERIC on PostgreSQL, the decimal text on
  SQLite (whose NUMERIC is a float). Sum it with :class:`decimal_sum`, which is ``sum`` on
  PostgreSQL and an exact aggregate registered on each SQLite connection.

The schema itself is created by the alembic revisions in :mod:`ledger.migrations`;
these classes describe it (a test checks the two agree). :data:`ROW_BUILDERS` says how an
event becomes a row; :class:`ledger.writer.Ledger` writes them and :mod:`ledger.reports`
queries them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, MetaData, Numeric, String, Text, TypeDecorator
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

__all__ = [
    "Base",
    "Breach",
    "DeadLetter",
    "DecimalSum",
    "ExactDecimal",
    "ROW_BUILDERS",
    "LedgerEvent",
    "Penalty",
    "Reversal",
    "UtcDateTime",
    "decimal_sum",
    "event_row",
    "register_sqlite_functions",
]

UTC = dt.UTC


class _SqliteUtcText(sqlite.DATETIME):
    """SQLite ``DATETIME`` whose values :class:`UtcDateTime` has already converted: its text
    is SQLAlchemy's own format (``2026-11-24 02:15:00.000000``), made by ``isoformat`` in C
    rather than field by field in Python (a third of the time of a large batch)."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A tz-aware time stored in UTC: ``timestamptz`` on PostgreSQL, UTC text on SQLite.

    Naive datetimes are refused: a time without an offset is ambiguous, and SQLite would
    store it silently. Values always come back in UTC, so both backends compare equal;
    SQLite's fixed-width text sorts and compares in time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _SqliteUtcText()
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a UTC offset")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: unconstrained NUMERIC on PostgreSQL, decimal text on SQLite.

    SQLite's NUMERIC affinity turns ``0.1`` into a binary float, so fines would drift; text
    keeps the very digits of the event (``'1000'``, ``'12.50'``) and stays readable.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(str(value))


class decimal_sum(FunctionElement[Decimal]):  # noqa: N801  (reads like the SQL function)
    """``SUM`` of an :class:`ExactDecimal` expression, exact on both backends; NULL if empty."""

    type = ExactDecimal()
    inherit_cache = True
    name = "decimal_sum"


@compiles(decimal_sum)
def _sum_elsewhere(element: decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sum({compiler.process(element.clauses, **kw)})"


@compiles(decimal_sum, "sqlite")
def _sum_on_sqlite(element: decimal_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"decimal_sum({compiler.process(element.clauses, **kw)})"


class DecimalSum:
    """The SQLite aggregate behind :class:`decimal_sum`: adds decimal text exactly."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: object) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(str(value))

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """Install ``decimal_sum`` on a raw ``sqlite3`` connection (call it on every connect)."""
    dbapi_connection.create_aggregate("decimal_sum", 1, DecimalSum)


class Base(DeclarativeBase):
    """Declarative base of the ledger; constraint names are stable for migrations."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    })
    type_annotation_map = {dt.datetime: UtcDateTime(), Decimal: ExactDecimal(), str: String()}


EventIdColumn = String(200)
TicketColumn = String(128)
DepartmentColumn = String(64)


class LedgerEvent(Base):
    """Every outbound event, once: the audit trail and the source of every other table."""

    __tablename__ = "ledger_events"
    __table_args__ = (Index(None, "subject", "time"), Index(None, "type", "time"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(TicketColumn, comment="the ticket")
    department: Mapped[str | None] = mapped_column(DepartmentColumn)
    time: Mapped[dt.datetime]
    payload: Mapped[str] = mapped_column(Text, comment="canonical CloudEvent JSON")
    recorded_at: Mapped[dt.datetime] = mapped_column(comment="when the ledger first saw it")


class Breach(Base):
    """One row per ``sla.breached``: which department missed which clock, and when."""

    __tablename__ = "breaches"
    __table_args__ = (Index(None, "breached_at"), Index(None, "department", "breached_at"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    policy: Mapped[str]
    metric: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int]
    started_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    breached_at: Mapped[dt.datetime]
    target_seconds: Mapped[int]
    assignee: Mapped[str | None]
    priority: Mapped[str | None]
    category: Mapped[str | None]


class Penalty(Base):
    """One row per ``penalty.assessed``; the ``reversed_at``/``reversal_*`` columns are filled
    from :class:`Reversal` whichever of the two arrives first."""

    __tablename__ = "penalties"
    __table_args__ = (Index(None, "period", "department"), Index(None, "period", "assignee"))

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, index=True)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    assignee: Mapped[str | None]
    charged_to: Mapped[str] = mapped_column(String(16), comment="department or assignee")
    rule: Mapped[str]
    trigger: Mapped[str] = mapped_column(String(16), comment="breach or complaint")
    breach_id: Mapped[str | None] = mapped_column(EventIdColumn, index=True)
    metric: Mapped[str | None] = mapped_column(String(16))
    base_fine: Mapped[Decimal]
    multiplier: Mapped[Decimal]
    capped_amount: Mapped[Decimal]
    fine: Mapped[Decimal] = mapped_column(comment="base_fine * multiplier - capped_amount")
    points: Mapped[int]
    currency: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(16), comment="month the cap counts in, YYYY-MM")
    assessed_at: Mapped[dt.datetime]
    reversed_at: Mapped[dt.datetime | None]
    reversal_id: Mapped[str | None] = mapped_column(EventIdColumn)
    reversal_reason: Mapped[str | None]
    dispute_id: Mapped[str | None] = mapped_column(EventIdColumn, comment="the upheld dispute")


class Reversal(Base):
    """One row per ``penalty.reversed``, kept even before its penalty is in the ledger."""

    __tablename__ = "reversals"

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    penalty_id: Mapped[str] = mapped_column(EventIdColumn, index=True)
    ticket: Mapped[str] = mapped_column(TicketColumn)
    department: Mapped[str] = mapped_column(DepartmentColumn)
    assignee: Mapped[str | None]
    rule: Mapped[str]
    fine: Mapped[Decimal]
    points: Mapped[int]
    currency: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str]
    dispute_id: Mapped[str | None] = mapped_column(EventIdColumn)
    caused_by: Mapped[str | None] = mapped_column(EventIdColumn)
    reversed_at: Mapped[dt.datetime]


class DeadLetter(Base):
    """One row per ``event.rejected``: an input SLA Police refused, and why."""

    __tablename__ = "dead_letters"
    __table_args__ = (Index(None, "rejected_at"),)

    id: Mapped[str] = mapped_column(EventIdColumn, primary_key=True)
    ticket: Mapped[str] = mapped_column(TicketColumn, comment="message key, or 'unknown'")
    reason: Mapped[str] = mapped_column(Text)
    topic: Mapped[str]
    kafka_partition: Mapped[int | None]
    kafka_offset: Mapped[int | None] = mapped_column(BigInteger)
    kafka_key: Mapped[str | None]
    raw: Mapped[str] = mapped_column(Text, comment="the payload as received")
    raw_encoding: Mapped[str] = mapped_column(String(16), comment="utf-8 or base64")
    rejected_at: Mapped[dt.datetime]


def _clock_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "ticket": event.subject, "department": data.department,
        "policy": data.policy, "metric": data.metric, "cycle": data.cycle,
        "started_at": data.started_at, "due_at": data.due_at, "breached_at": data.breached_at,
        "target_seconds": data.target_seconds, "assignee": data.assignee,
        "priority": data.priority, "category": data.category,
    }


def _penalty_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "ticket": event.subject, "department": data.department,
        "assignee": data.assignee, "charged_to": data.charged_to, "rule": data.rule,
        "trigger": data.trigger, "breach_id": data.breach_id, "metric": data.metric,
        "base_fine": data.base_fine, "multiplier": data.multiplier,
        "capped_amount": data.capped_amount, "fine": data.fine, "points": data.points,
        "currency": data.currency, "period": data.period, "assessed_at": data.assessed_at,
        "reversed_at": None, "reversal_id": None, "reversal_reason": None, "dispute_id": None,
    }


def _reversal_row(event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "id": event.id, "penalty_id": data.penalty_id, "ticket": event.subject,
        "department": data.department, "assignee": data.assignee, "rule": data.rule,
        "fine": data.fine, "points": data.points, "currency": data.currency,
        "reason": data.reason, "dispute_id": data.dispute_id, "caused_by": data.caused_by,
        "reversed_at": data.reversed_at,
    }


def _dead_letter_row(event: Any) -> dict[str, Any]:
    data = event.data
    rejected_at = data.rejected_at
    if rejected_at.tzinfo is None:  # the model allows naive times here; they are UTC
        rejected_at = rejected_at.replace(tzinfo=UTC)
    return {
        "id": event.id, "ticket": event.subject, "reason": data.reason, "topic": data.topic,
        "kafka_partition": data.partition, "kafka_offset": data.offset, "kafka_key": data.key,
        "raw": data.raw, "raw_encoding": data.raw_encoding, "rejected_at": rejected_at,
    }


def event_row(event: Any, recorded_at: dt.datetime) -> dict[str, Any]:
    """The ``ledger_events`` row of any outbound event."""
    return {
        "id": event.id, "type": event.type, "subject": event.subject,
        "department": getattr(event.data, "department", None), "time": event.time,
        "payload": event.to_json(), "recorded_at": recorded_at,
    }


#: Event type -> (its own table, how an event of that type becomes a row of it).
ROW_BUILDERS: dict[str, tuple[type[Base], Callable[[Any], dict[str, Any]]]] = {
    "sla.breached": (Breach, _clock_row),
    "penalty.assessed": (Penalty, _penalty_row),
    "penalty.reversed": (Reversal, _reversal_row),
    "event.rejected": (DeadLetter, _dead_letter_row),
}
