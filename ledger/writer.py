"""The ledger's writer: the durable, idempotent record of SLA outcomes and penalties, for HR.

:meth:`Ledger.record` writes outbound events in one transaction per batch: it asks which
ids are already recorded (writers take turns, so the answer is exact), inserts the others
with one executemany per table, each an ``INSERT ... ON CONFLICT DO NOTHING``, so a
redelivered batch (after a crash, or a replay imported twice) changes nothing. A
``penalty.reversed`` marks its penalty reversed whichever arrives first: reversals are kept
in their own table and applied to every penalty that arrives or is reversed in a batch.
In the same transaction penalties and reversals are booked as payroll lines
(:mod:`ledger.booking`) against the months closed at that moment, and dispute rows are
merged (:mod:`ledger.disputes`), and so are audit items (:mod:`ledger.authority_rows`).
Closing and reopening a month (:mod:`ledger.periods`) take
the same write lock, so every event is booked either wholly before or wholly after a close.
The same code runs on SQLite (a file, the default) and PostgreSQL; ``tests/ledger`` runs
one contract suite against both. The reports read the same tables (:mod:`ledger.reports`,
:mod:`ledger.payroll`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ledger import periods
from ledger.authority_rows import AUTHORITY_ROWS, record_audits
from ledger.booking import AppliedReversal, book_assessments, book_reversals
from ledger.calls import record_calls
from ledger.corrective_actions import record_actions
from ledger.disputes import record_disputes
from ledger.errors import LedgerError
from ledger.rows import ROW_BUILDERS, SCORECARD_ROWS, event_row
from ledger.tables import LedgerEvent, Penalty, Reversal, register_sqlite_functions
from ledger.worklist import SNAPSHOT_TYPE, record_snapshots
from models.parse import KEPT_TYPES

__all__ = [
    "Ledger",
    "LedgerError",
    "RecordStats",
    "create_ledger_engine",
    "is_transient",
]

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_CHUNK = 1000  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
#: PostgreSQL: the advisory lock of the ledger's writers, one per schema (per ledger).
_WRITE_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtext('sla_police.ledger ' || current_schema()))")


@dataclass
class RecordStats:
    """What :meth:`Ledger.record` did: new and already-recorded events, per event type."""

    inserted: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    reversals_applied: int = 0
    #: corrections booked as adjustment lines because their month was closed
    adjustments: int = 0

    @property
    def total_inserted(self) -> int:
        return sum(self.inserted.values())

    @property
    def total_duplicates(self) -> int:
        return sum(self.duplicates.values())

    def add(self, other: RecordStats) -> RecordStats:
        """Fold ``other`` into this one (for callers that record in several calls)."""
        self.inserted.update(other.inserted)
        self.duplicates.update(other.duplicates)
        self.reversals_applied += other.reversals_applied
        self.adjustments += other.adjustments
        return self


def create_ledger_engine(url: str | URL) -> Engine:
    """An engine for the ledger at ``url`` (sqlite or postgresql).

    SQLite: the file's directory is created; SQLAlchemy emits BEGIN itself so DDL is
    transactional too; WAL lets reports read while a writer records; ``decimal_sum`` is
    installed on every connection.
    """
    url = make_url(url)
    backend = url.get_backend_name()
    if backend not in _INSERTS:
        raise LedgerError(f"unsupported ledger database {backend!r}: use sqlite or postgresql")
    if backend == "postgresql":
        timeout = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
        return create_engine(url, pool_pre_ping=True, connect_args=timeout)
    on_disk = url.database not in (None, "", ":memory:") and not url.query.get("uri")
    if on_disk:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN (below), not sqlite3
        register_sqlite_functions(dbapi_connection)
        if on_disk:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_transient(exc: BaseException) -> bool:
    """True for database errors that trying again can cure (lost server, locked file)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now.isoformat()} refused: give it a UTC offset")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Ledger:
    """The ledger on one database: one engine and its connection pool; close it when done.

    ``timezone`` is the policy's (``SlaConfig.timezone``): months, of penalties and of the
    payroll, are counted in it, so a reversal is dated in the same months as a penalty.
    """

    def __init__(self, url: str | URL, *, timezone: str | tzinfo) -> None:
        self.zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
        self.engine = create_ledger_engine(url)
        self._insert = _INSERTS[self.engine.dialect.name]

    #: Which errors of :meth:`record` and :meth:`migrate` are worth trying again.
    is_transient = staticmethod(is_transient)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @property
    def url(self) -> str:
        """The database URL, password hidden: safe to print."""
        return self.engine.url.render_as_string(hide_password=True)

    # -- schema ---------------------------------------------------------------------------

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest revision (idempotent); return it.

        Runs alembic ``upgrade head`` in one write transaction (see :meth:`_writing`), so
        two processes migrating at once do not trip over each other.
        """
        from alembic import command

        from ledger.migrations import alembic_config

        with self._writing() as conn:
            command.upgrade(alembic_config(connection=conn), "head")
        return self.head()

    def revision(self) -> str | None:
        """The schema revision of the database; ``None`` when it was never migrated."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head() -> str:
        """The newest schema revision this code knows."""
        from alembic.script import ScriptDirectory

        from ledger.migrations import alembic_config

        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head is not None, "the ledger has no migrations"
        return head

    def require_current(self) -> None:
        """Raise :class:`LedgerError` unless the schema is at :meth:`head`."""
        current = self.revision()
        if current != self.head():
            state = "has no schema" if current is None else f"is at revision {current}"
            raise LedgerError(f"the ledger at {self.url} {state}, not {self.head()}: "
                              "run `sla-police ledger migrate`")

    # -- periods --------------------------------------------------------------------------

    def close_period(self, period: str, *, by: str, now: datetime) -> periods.PeriodRecord:
        """Close the month ``period`` (it must have ended by ``now``, in the ledger's time
        zone, and be open); its payroll lines never change afterwards. Raises
        :class:`~ledger.errors.PeriodError` with the reason when refused."""
        _require_aware(now)
        with self._writing() as conn:
            return periods.close_period(conn, period, actor=by, now=now, zone=self.zone)

    def reopen_period(self, period: str, *, by: str, reason: str,
                      now: datetime) -> periods.PeriodRecord:
        """Reopen the closed month ``period`` for ``reason`` (required): corrections recorded
        from now on are booked in it again. Lines already booked elsewhere stay there."""
        _require_aware(now)
        with self._writing() as conn:
            return periods.reopen_period(conn, period, actor=by, reason=reason, now=now)

    def closed_periods(self) -> frozenset[str]:
        """The months closed now."""
        with self.engine.connect() as conn:
            return periods.closed_periods(conn)

    # -- reading back ---------------------------------------------------------------------

    def month_volumes(self, now: datetime) -> dict[str, tuple[str, int]]:
        """department -> (unit, volume) the ledger holds for the month of ``now`` (in the
        ledger's time zone), counted as the scorecard counts it: the newest report of each
        day or of the month wins, a month's report beats its days, the unit reported last is
        the one."""
        from ledger.scorecard import month_volumes

        _require_aware(now)
        return month_volumes(self.engine, periods.period_of(now, self.zone))

    # -- recording ------------------------------------------------------------------------

    def record(self, events: Iterable[Any], *, batch_size: int = 10_000) -> RecordStats:
        """Record outbound events, ``batch_size`` at a time, one transaction per batch.

        Idempotent: an event id already in the ledger (or earlier in the batch) is counted
        as a duplicate and changes nothing. A batch holding a non-outbound event raises
        :class:`ValueError` before it writes; earlier batches stay committed, which is
        harmless, since recording them again is a no-op.
        """
        stats = RecordStats()
        for batch in _batches(events, batch_size):
            strangers = sorted({e.type for e in batch if e.type not in KEPT_TYPES})
            if strangers:
                raise ValueError(f"not outbound event types (nor volumes): "
                                 f"{', '.join(strangers)}")
            with self._writing() as conn:
                stats.add(self._record_batch(conn, batch))
        return stats

    def record_calls(self, events: Iterable[Any]) -> int:
        """Record the calls events the ledger keeps (blocks, QA items and verdicts:
        :mod:`ledger.calls`) in one transaction; return how many were new. Idempotent."""
        with self._writing() as conn:
            return record_calls(conn, self._insert, events)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A transaction that holds the ledger's write lock from its first statement.

        SQLite: ``BEGIN IMMEDIATE``. PostgreSQL: a transaction-scoped advisory lock. Writers
        (recorders, migrations) take turns, so "is this id new?" is answered exactly; readers
        never wait.
        """
        with self.engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(_WRITE_LOCK)
            yield conn

    def _record_batch(self, conn: Connection, batch: list[Any]) -> RecordStats:
        """Insert one batch: the events whose ids are new into ledger_events and their own
        tables (one executemany each), apply the reversals they make applicable, book the
        payroll lines and merge the disputes they bring. Clock snapshots are state, not
        history: they update the worklist (:mod:`ledger.worklist`), and one that an equal or
        newer revision already replaced counts as a duplicate."""
        stats = RecordStats()
        snapshots = [item for item in batch if item.type == SNAPSHOT_TYPE]
        if snapshots:
            applied, stale = record_snapshots(conn, self._insert, snapshots)
            stats.inserted[SNAPSHOT_TYPE] += applied
            stats.duplicates[SNAPSHOT_TYPE] += stale
            batch = [item for item in batch if item.type != SNAPSHOT_TYPE]
        unique: dict[str, Any] = {}
        for item in batch:
            if item.id in unique:
                stats.duplicates[item.type] += 1
            else:
                unique[item.id] = item
        known = self._known_ids(conn, list(unique))
        new = [item for item in unique.values() if item.id not in known]
        stats.inserted.update(item.type for item in new)
        stats.duplicates.update(unique[event_id].type for event_id in known)
        if not new:
            return stats
        recorded_at = datetime.now(UTC)
        rows = [event_row(item, recorded_at) for item in new]
        conn.execute(self._insert(LedgerEvent).on_conflict_do_nothing(), rows)
        by_type: dict[str, list[Any]] = {}
        for item in new:
            by_type.setdefault(item.type, []).append(item)
        for builders in (ROW_BUILDERS, SCORECARD_ROWS, AUTHORITY_ROWS):
            for event_type, (table, build) in builders.items():
                if event_type in by_type:
                    conn.execute(self._insert(table).on_conflict_do_nothing(),
                                 [build(item) for item in by_type[event_type]])
        closed = periods.closed_periods(conn)
        assessed = sorted((item for item in new if item.type == "penalty.assessed"),
                          key=lambda item: item.id)
        stats.adjustments = book_assessments(conn, self._insert, assessed, closed, recorded_at)
        targets = {item.id for item in assessed}
        targets |= {item.data.penalty_id for item in new if item.type == "penalty.reversed"}
        applied = self._apply_reversals(conn, sorted(targets))
        stats.reversals_applied = len(applied)
        stats.adjustments += book_reversals(conn, self._insert, applied, closed, self.zone,
                                            recorded_at)
        record_disputes(conn, self._insert, new)
        record_actions(conn, self._insert, new)
        record_audits(conn, self._insert, new)
        return stats

    @staticmethod
    def _known_ids(conn: Connection, ids: list[str]) -> set[str]:
        """Which of ``ids`` the ledger already holds."""
        known: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            known.update(conn.execute(select(LedgerEvent.id).where(LedgerEvent.id.in_(chunk)))
                         .scalars())
        return known

    @staticmethod
    def _apply_reversals(conn: Connection, penalty_ids: list[str]) -> list[AppliedReversal]:
        """Copy each recorded reversal onto its penalty, if both are here and the penalty is
        not reversed yet (the earliest reversal wins, should there be two); return them."""
        applied: dict[str, AppliedReversal] = {}
        marks: dict[str, dict[str, Any]] = {}
        for start in range(0, len(penalty_ids), _CHUNK):
            stmt = (
                select(Penalty.id, Penalty.period, Penalty.ticket, Penalty.department,
                       Penalty.assignee, Penalty.charged_to, Penalty.rule, Penalty.currency,
                       Penalty.fine, Penalty.points, Reversal.id, Reversal.reversed_at,
                       Reversal.dispute_id, Reversal.reason)
                .join(Reversal, Reversal.penalty_id == Penalty.id)
                .where(Penalty.id.in_(penalty_ids[start:start + _CHUNK]),
                       Penalty.reversal_id.is_(None))
                .order_by(Penalty.id, Reversal.reversed_at, Reversal.id)
            )
            for row in conn.execute(stmt):
                (pid, period, ticket, department, assignee, charged_to, rule, currency, fine,
                 points, rid, reversed_at, dispute_id, reason) = row
                if pid in applied:
                    continue
                applied[pid] = AppliedReversal(
                    pid, period, ticket, department,
                    assignee if charged_to == "assignee" else None, rule, currency, fine,
                    points, rid, reversed_at, dispute_id)
                marks[pid] = {"pid": pid, "at": reversed_at, "rid": rid, "why": reason,
                              "dispute": dispute_id}
        if marks:
            table = Penalty.__table__
            conn.execute(
                update(table).where(table.c.id == bindparam("pid"))
                .values(reversed_at=bindparam("at"), reversal_id=bindparam("rid"),
                        reversal_reason=bindparam("why"), dispute_id=bindparam("dispute")),
                list(marks.values()))
        return list(applied.values())
