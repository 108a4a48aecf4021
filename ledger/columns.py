"""Column types that make SQLite and PostgreSQL agree exactly, and an exact ``SUM``.

* :class:`UtcDateTime` stores every time in UTC (SQLite has no time zones); it comes back
  tz-aware. The original offset stays in ``ledger_events.payload``.
* :class:`ExactDecimal` keeps amounts exact: NUMERIC on PostgreSQL, the decimal text on
  SQLite (whose NUMERIC is a float). Sum it with :class:`decimal_sum`, which is ``sum`` on
  PostgreSQL and an exact aggregate registered on each SQLite connection.

:mod:`ledger.tables` re-exports them (the alembic revisions name them ``ml.UtcDateTime``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, TypeDecorator
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

__all__ = [
    "DecimalSum",
    "ExactDecimal",
    "UtcDateTime",
    "decimal_sum",
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

