"""The ledger contract, run against every backend (a SQLite file and the real PostgreSQL).

What HR relies on: every outbound event is recorded once, whatever is redelivered or in
which order; a reversal reaches its penalty even when it arrives first; totals are exact
decimals net of reversals; the schema and the CLI behave the same on both backends.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from ledger import (
    BreachCount,
    Ledger,
    LedgerError,
    PenaltyTotal,
    breach_counts,
    penalties_for,
    penalty_totals,
    table_counts,
)
from ledger.tables import Base, Breach, DeadLetter, LedgerEvent
from models import OUTBOUND_TYPES, CloudEvent, parse_event
from models.examples import example
from sla_police.commands import ledger as ledger_commands

from .cli import CONFIG, run
from .conftest import TIMEZONE, Backend
from .events import breach, outbound, penalty, reversal

# -- events ---------------------------------------------------------------------------------


EXAMPLES = [outbound(event_type) for event_type in OUTBOUND_TYPES]
#: How many of ``EXAMPLES`` ``ledger_events`` keeps: all but the clock snapshot (state).
EXAMPLES_KEPT = len(EXAMPLES) - 1
#: The examples plus a second penalty and its reversal, a reversal whose penalty never
#: arrives, and an unreversed penalty of another department.
BATCH = [
    *EXAMPLES,
    penalty("pen-2", "T-2", "billing", "emp-billing-001", "0.10", 1),
    reversal("rev-2", "pen-2", "T-2"),
    reversal("rev-orphan", "pen-missing", "T-3"),
    penalty("pen-4", "T-4", "stores", None, "333.33", 3),
]


#: Columns that say when the ledger wrote a row (the wall clock), not what it wrote.
WRITE_TIMES = ("recorded_at", "booked_at")


def snapshot(ledger: Ledger, *, with_recorded_at: bool = False) -> dict[str, list[tuple]]:
    """Every row of every ledger table, sorted; write times left out unless asked."""
    tables = {}
    with ledger.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if with_recorded_at or c.name not in WRITE_TIMES]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            tables[table.name] = [tuple(row) for row in rows]
    return tables


# -- recording ------------------------------------------------------------------------------


def test_every_example_outbound_event_is_recorded(ledger: Ledger) -> None:
    stats = ledger.record(EXAMPLES)

    assert stats.inserted == Counter(list(OUTBOUND_TYPES))
    assert stats.total_duplicates == 0
    assert stats.reversals_applied == 1
    assert table_counts(ledger.engine) == {
        "ledger_events": len(OUTBOUND_TYPES) - 1, "breaches": 1, "penalties": 1,
        "reversals": 1, "dead_letters": 1, "ledger_lines": 1, "period_actions": 0,
        "disputes": 1, "attributions": 1, "clock_outcomes": 3, "csat_responses": 1,
        "volumes": 0, "clock_snapshots": 1, "open_clocks": 1,  # snapshots are state
        "corrective_actions": 1, "concessions": 1, "approvals": 1, "audit_items": 1,
        "authority_flags": 1, "caller_blocks": 0, "block_history": 0, "qa_items": 0,
        "call_records": 0, "block_requests": 0}
    with ledger.engine.connect() as conn:
        payloads = dict(conn.execute(select(LedgerEvent.id, LedgerEvent.payload)).all())
        breach_row = conn.execute(select(Breach)).one()
        letter = conn.execute(select(DeadLetter)).one()
    assert payloads == {event.id: event.to_json() for event in EXAMPLES
                        if event.type != "sla.clocks_changed"}
    assert breach_row.breached_at == datetime(2026, 11, 24, 2, 15, tzinfo=UTC)
    assert breach_row.breached_at.tzinfo is not None
    assert (breach_row.department, breach_row.metric, breach_row.assignee) == (
        "logistics", "resolve", "emp-logistics-017")
    assert (letter.topic, letter.kafka_partition, letter.kafka_offset) == ("complaints", 2, 1841)
    [fine] = penalties_for(ledger.engine, "T-20261120-0001")
    assert (fine.fine, fine.multiplier, fine.points, fine.breach_id) == (
        Decimal("1000"), Decimal("2"), 2, "2f0e-breach")
    assert (fine.reversal_id, fine.reversal_reason, fine.dispute_id) == (
        "7c1a-rev", "dispute upheld", "crm-11")
    assert fine.reversed_at == datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


def test_recording_the_same_events_again_changes_nothing(ledger: Ledger) -> None:
    ledger.record(BATCH)
    before = snapshot(ledger, with_recorded_at=True)

    again = ledger.record(BATCH)

    assert again.total_inserted == 0
    assert again.duplicates == Counter(event.type for event in BATCH)
    assert again.reversals_applied == 0
    assert snapshot(ledger, with_recorded_at=True) == before


def test_duplicates_within_one_batch_are_recorded_once(ledger: Ledger) -> None:
    stats = ledger.record([*EXAMPLES, *EXAMPLES[:3]])

    assert stats.total_inserted == len(EXAMPLES)
    assert stats.duplicates == Counter(event.type for event in EXAMPLES[:3])
    assert table_counts(ledger.engine)["ledger_events"] == EXAMPLES_KEPT


def test_a_reversal_that_arrives_first_is_applied_when_its_penalty_arrives(
        ledger: Ledger) -> None:
    early = ledger.record([reversal("rev-9", "pen-9", "T-9")])
    assert early.reversals_applied == 0
    assert penalties_for(ledger.engine, "T-9") == []
    assert table_counts(ledger.engine)["reversals"] == 1

    late = ledger.record([penalty("pen-9", "T-9", "billing", "emp-7", "120.50", 2)])

    assert late.reversals_applied == 1
    [row] = penalties_for(ledger.engine, "T-9")
    assert (row.reversal_id, row.dispute_id) == ("rev-9", "crm-11")
    assert row.reversed_at == datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    [total] = penalty_totals(ledger.engine, "2026-11")
    assert (total.gross_fine, total.net_fine, total.net_points) == (Decimal("120.50"), 0, 0)


def test_a_reversal_before_its_penalty_in_the_same_batch_is_applied(ledger: Ledger) -> None:
    stats = ledger.record([reversal("rev-9", "pen-9", "T-9"),
                           penalty("pen-9", "T-9", "billing", "emp-7", "5", 1)])

    assert stats.reversals_applied == 1
    assert penalties_for(ledger.engine, "T-9")[0].reversal_id == "rev-9"


def test_only_outbound_events_are_recorded(ledger: Ledger) -> None:
    inbound = parse_event(json.dumps(example("complaint.received")), accept="any")

    with pytest.raises(ValueError, match="complaint.received"):
        ledger.record([*EXAMPLES, inbound])

    assert table_counts(ledger.engine)["ledger_events"] == 0


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_batching_and_redelivery_yield_the_same_ledger(
        backend: Backend, data: st.DataObject) -> None:
    redelivered = data.draw(st.lists(st.sampled_from(BATCH), max_size=6), label="redelivered")
    events = data.draw(st.permutations([*BATCH, *redelivered]), label="order")
    batch_size = data.draw(st.integers(1, len(events)), label="batch_size")
    reference, shuffled = backend.fresh_ledger(), backend.fresh_ledger()
    try:
        reference.record(BATCH)
        stats = shuffled.record(events, batch_size=batch_size)
        assert snapshot(shuffled) == snapshot(reference)
        assert stats.total_inserted == len(BATCH)
        assert stats.total_duplicates == len(redelivered)
    finally:
        backend.discard(reference)
        backend.discard(shuffled)


# -- queries --------------------------------------------------------------------------------

PENALTIES = [
    penalty("p1", "T-1", "logistics", "emp-1", "0.10", 1),
    penalty("p2", "T-2", "logistics", "emp-1", "0.20", 2),
    penalty("p3", "T-3", "logistics", "emp-2", "333.33", 3),
    reversal("r3", "p3", "T-3"),
    penalty("p4", "T-4", "billing", "emp-9", "12.345", 1),
    penalty("p5", "T-5", "billing", None, "50", 0),
    penalty("p6", "T-6", "logistics", "emp-1", "999", 9, period="2026-10"),
    penalty("p7", "T-7", "logistics", "emp-2", "1.5", 1, currency="USD"),
]


def test_penalty_totals_by_department_are_exact_and_net_of_reversals(ledger: Ledger) -> None:
    ledger.record(PENALTIES)

    totals = penalty_totals(ledger.engine, "2026-11", by="department")

    assert totals == [
        PenaltyTotal("billing", "CNY", 2, 0, Decimal("62.345"), Decimal("62.345"), 1, 1),
        PenaltyTotal("logistics", "CNY", 3, 1, Decimal("333.63"), Decimal("0.30"), 6, 3),
        PenaltyTotal("logistics", "USD", 1, 0, Decimal("1.5"), Decimal("1.5"), 1, 1),
    ]
    assert str(totals[1].net_fine) == "0.30"  # a float sum would say 0.30000000000000004


def test_penalty_totals_by_assignee_keep_unassigned_penalties(ledger: Ledger) -> None:
    ledger.record(PENALTIES)

    totals = penalty_totals(ledger.engine, "2026-11", by="assignee")

    assert totals == [
        PenaltyTotal("emp-1", "CNY", 2, 0, Decimal("0.30"), Decimal("0.30"), 3, 3),
        PenaltyTotal("emp-2", "CNY", 1, 1, Decimal("333.33"), Decimal("0"), 3, 0),
        PenaltyTotal("emp-2", "USD", 1, 0, Decimal("1.5"), Decimal("1.5"), 1, 1),
        PenaltyTotal("emp-9", "CNY", 1, 0, Decimal("12.345"), Decimal("12.345"), 1, 1),
        PenaltyTotal(None, "CNY", 1, 0, Decimal("50"), Decimal("50"), 0, 0),
    ]


def test_penalty_totals_refuse_a_bad_period(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="2026-13"):
        penalty_totals(ledger.engine, "2026-13")
    assert penalty_totals(ledger.engine, "2025-01") == []


def test_breach_counts_per_department_and_metric_in_a_window(ledger: Ledger) -> None:
    ledger.record([
        breach("b1", "T-1", "logistics", "resolve", "2026-11-24T10:15:00+08:00"),
        breach("b2", "T-1", "logistics", "resolve", "2026-11-26T10:15:00+08:00", cycle=2),
        breach("b3", "T-2", "logistics", "acknowledge", "2026-11-25T09:00:00+08:00"),
        breach("b4", "T-3", "billing", "resolve", "2026-11-30T23:59:59+08:00"),
        breach("b5", "T-4", "billing", "resolve", "2026-12-01T00:00:00+08:00"),
    ])
    november = (datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
                datetime.fromisoformat("2026-12-01T00:00:00+08:00"))

    assert breach_counts(ledger.engine, *november) == [
        BreachCount("billing", "resolve", 1, 1),
        BreachCount("logistics", "acknowledge", 1, 1),
        BreachCount("logistics", "resolve", 2, 1),
    ]
    assert breach_counts(ledger.engine, since=november[1]) == [
        BreachCount("billing", "resolve", 1, 1)]
    assert sum(count.breaches for count in breach_counts(ledger.engine)) == 5


def test_times_without_an_offset_are_refused(ledger: Ledger) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        breach_counts(ledger.engine, since=datetime(2026, 11, 1))


def test_penalties_for_a_ticket_oldest_first(ledger: Ledger) -> None:
    later = outbound("penalty.assessed", {"assessed_at": "2026-11-25T10:00:00+08:00"},
                     id="pen-later")
    ledger.record([later, *EXAMPLES])

    ids = [p.id for p in penalties_for(ledger.engine, "T-20261120-0001")]
    assert ids == ["7c1a-pen", "pen-later"]
    assert penalties_for(ledger.engine, "T-nobody") == []


# -- schema ---------------------------------------------------------------------------------


def test_migrate_is_idempotent_and_the_schema_matches_the_models(ledger: Ledger) -> None:
    ledger.record(BATCH)
    before = snapshot(ledger, with_recorded_at=True)

    assert ledger.migrate() == ledger.head() == ledger.revision()
    assert ledger.migrate() == ledger.head()

    assert snapshot(ledger, with_recorded_at=True) == before
    with ledger.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_a_ledger_that_was_never_migrated_says_so(backend: Backend) -> None:
    with Ledger(backend.fresh_url(), timezone=TIMEZONE) as fresh:
        assert fresh.revision() is None
        with pytest.raises(LedgerError, match="sla-police ledger migrate"):
            fresh.require_current()


# -- command line ---------------------------------------------------------------------------


def write_jsonl(path: Path, events: list[CloudEvent], extra: tuple[str, ...] = ()) -> Path:
    path.write_text("".join(f"{line}\n" for line in [*(e.to_json() for e in events), *extra]),
                    encoding="utf-8")
    return path


def test_migrate_command_is_idempotent(backend: Backend) -> None:
    url = backend.fresh_url()

    first, second = run("migrate", "--database-url", url), run("migrate", "--database-url", url)

    assert first.exit_code == 0, first.output
    assert "migrated from empty to revision" in first.output
    assert second.exit_code == 0, second.output
    assert "already at revision" in second.output


def test_importing_a_file_twice_inserts_nothing_the_second_time(
        backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url()
    events = [*BATCH, *PENALTIES]
    log = write_jsonl(tmp_path / "outcomes.jsonl", [*events, *events[:4]], extra=("",))

    first = run("import", str(log), "--config", CONFIG, "--database-url", url)
    with Ledger(url, timezone=TIMEZONE) as ledger:
        after_first = snapshot(ledger, with_recorded_at=True)
    second = run("import", str(log), "--config", CONFIG, "--database-url", url)

    assert first.exit_code == 0, first.output
    assert re.search(rf"total\W+{len(events)}\W+4\b", first.output), first.output
    assert second.exit_code == 0, second.output
    assert re.search(rf"total\W+0\W+{len(events) + 4}\b", second.output), second.output
    with Ledger(url, timezone=TIMEZONE) as ledger:
        assert snapshot(ledger, with_recorded_at=True) == after_first
        assert table_counts(ledger.engine)["ledger_events"] == len(events) - 1  # snapshot


def test_import_skips_lines_that_are_not_outcomes_and_says_so(
        backend: Backend, tmp_path: Path) -> None:
    url = backend.fresh_url()
    inbound = json.dumps(example("complaint.received"))
    log = write_jsonl(tmp_path / "mixed.jsonl", EXAMPLES, extra=(inbound, "{not json"))

    result = run("import", str(log), "--config", CONFIG, "--database-url", url)

    assert result.exit_code == ledger_commands.EXIT_SOME_LINES_SKIPPED
    after = len(EXAMPLES)
    assert f"line {after + 1}: complaint.received is an input event" in result.output
    assert f"line {after + 2}: invalid JSON" in result.output
    with Ledger(url, timezone=TIMEZONE) as ledger:
        assert table_counts(ledger.engine)["ledger_events"] == EXAMPLES_KEPT


def test_report_csv_is_the_hr_feed_net_of_reversals(ledger: Ledger) -> None:
    ledger.record(PENALTIES)
    url = ledger.engine.url.render_as_string(hide_password=False)

    # the old spelling of --by employee --format csv
    result = run("report", "--period", "2026-11", "--by", "assignee", "--csv",
                 "--config", CONFIG, "--database-url", url)

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["department"], r["employee"], r["currency"], r["net_fine"], r["net_points"])
            for r in rows] == [
        ("billing", "", "CNY", "50", "0"), ("billing", "emp-9", "CNY", "12.345", "1"),
        ("logistics", "emp-1", "CNY", "0.30", "3"), ("logistics", "emp-2", "CNY", "0", "0"),
        ("logistics", "emp-2", "USD", "1.5", "1"),
    ]
    assert rows[3]["gross_fine"] == "333.33" and rows[3]["reversed"] == "1"


def test_report_table_and_its_refusals(ledger: Ledger, backend: Backend) -> None:
    ledger.record(PENALTIES)
    url = ledger.engine.url.render_as_string(hide_password=False)

    table = run("report", "--period", "2026-11", "--config", CONFIG, "--database-url", url)
    bad_period = run("report", "--period", "11-2026", "--database-url", url)
    unmigrated = run("report", "--period", "2026-11", "--config", CONFIG,
                     "--database-url", backend.fresh_url())

    assert table.exit_code == 0, table.output
    # penalties, reversed, adjustments, gross, adjustment and net fine, then points
    assert re.search(r"logistics\W+CNY\W+3\W+1\W+0\W+333\.63\W+0\W+0\.30\W+6\W+0\W+3\b",
                     table.output), table.output
    assert bad_period.exit_code == 2 and "not a month" in bad_period.output
    assert unmigrated.exit_code == 1
    assert "has no schema" in unmigrated.output  # (rich wraps errors: compare words)
    assert "run `sla-police ledger migrate`" in " ".join(unmigrated.output.split())


# -- engine (SQLite and configuration only) -------------------------------------------------


def test_the_sqlite_file_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "ledger.db"
    with Ledger(f"sqlite:///{path}", timezone=TIMEZONE) as ledger:
        ledger.migrate()
    assert path.is_file()


def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(LedgerError, match="sqlite or postgresql"):
        Ledger("mysql+pymysql://user@localhost/ledger", timezone=TIMEZONE)

