"""The monthly scorecard: a simulated quarter, replayed with the shipped policy (its
recurrence threshold scaled to the quarter's traffic, and fixes declared for most of the
corrective actions it opens) and recorded in the ledger with business volumes, scores every
department and column exactly as an independent count over replay's outputs does
(tests/ledger/scorecard_oracle.py), on SQLite and PostgreSQL; with each month's change from
the one before."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ledger import Ledger
from ledger.scorecard import (
    MEASURES,
    previous_period,
    scorecard,
    scorecard_and_series,
    scorecard_series,
)
from ledger.tables import Attribution, ClockOutcome
from models import CloudEvent, parse_event
from sla.config import load_config
from sla.replay import replay, replay_lines
from sla.testing import fixed
from sla_police.simulator import SimulationOptions, simulate
from tests.ledger.cli import CONFIG
from tests.ledger.conftest import TIMEZONE, Backend
from tests.ledger.scorecard_oracle import expected

ZONE = ZoneInfo(TIMEZONE)
DEPARTMENTS = sorted(load_config(CONFIG).departments)
MONTHS = ("2026-09", "2026-10", "2026-11")


def volume(department: str, unit: str, count: int, *, day: date | None = None,
           period: str | None = None, at: datetime, event_id: str) -> dict:
    data = {"department": department, "unit": unit, "count": count}
    data.update({"day": day.isoformat()} if day else {"period": period})
    return {"specversion": "1.0", "id": event_id, "source": "oms", "type": "volume.reported",
            "time": at.isoformat(), "subject": department, "data": data}


def volume_reports(seed: int = 7) -> list[str]:
    """Daily parcels of logistics (with corrections), a monthly order count of billing that
    replaces its days, stores changing unit in November; the others report nothing."""
    rng, lines = random.Random(seed), []
    day = date(2026, 9, 1)
    while day < date(2026, 12, 1):
        at = datetime(day.year, day.month, day.day, 23, tzinfo=ZONE)
        lines.append(volume("logistics", "parcels", rng.randint(5000, 9000), day=day, at=at,
                            event_id=f"v-log-{day}"))
        if day.day == 10:  # a correction the next morning replaces the figure
            lines.append(volume("logistics", "parcels", 1, day=day, at=at + timedelta(hours=9),
                                event_id=f"v-log-{day}-fix"))
        lines.append(volume("billing", "orders", rng.randint(100, 900), day=day, at=at,
                            event_id=f"v-bil-{day}"))
        unit = "visits" if day >= date(2026, 11, 15) else "orders"
        lines.append(volume("stores", unit, rng.randint(50, 500), day=day, at=at,
                            event_id=f"v-sto-{day}"))
        day += timedelta(days=1)
    for period in MONTHS:
        year, mon = map(int, period.split("-"))
        lines.append(volume("billing", "orders", 25_000 + mon, period=period,
                            at=datetime(year, mon, 28, tzinfo=ZONE), event_id=f"v-bil-{period}"))
    return [json.dumps(line) for line in lines]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory):
    """The shipped policy with recurrence at the quarter's scale: 4 complaints of a
    category within a day open a corrective action."""
    text = Path(CONFIG).read_text(encoding="utf-8")
    assert text.count("threshold: 500") == 1
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(text.replace("threshold: 500", "threshold: 4"), encoding="utf-8")
    return load_config(path)


def with_fixes(log: list[str], policy, rounds: int = 3) -> list[str]:
    """``log`` and the fixes a department declares: of three actions in four (by the id's
    hash), 2 hours after the opening or, one time in three, 12 days after (past due). A fix
    lets the category open a new action after its review, so a few rounds of replay."""
    fixes: dict[str, str] = {}
    for _ in range(rounds):
        for event in replay_lines([*log, *fixes.values()], policy).outputs:
            if event.type != "corrective_action.opened" or event.data.action_id in fixes:
                continue
            digest = int(hashlib.sha256(event.data.action_id.encode()).hexdigest(), 16)
            if digest % 4:
                delay = timedelta(days=12) if digest % 3 == 0 else timedelta(hours=2)
                fixes[event.data.action_id] = fixed(
                    event.data.anchor_ticket, event.time + delay, event.data.action_id,
                    event.data.department, actor=f"{event.data.department}-head",
                    event_id=f"fix-{event.data.action_id}").to_json()
    return [*log, *fixes.values()]


@pytest.fixture(scope="module")
def quarter(policy) -> tuple[list[str], list[CloudEvent], list[CloudEvent], list[CloudEvent]]:
    """(inbound log lines, replay's outputs as recorded, the same in emission order,
    volume reports)."""
    options = SimulationOptions(days=91, seed=13, start=date(2026, 9, 1), calls_per_day=30,
                                reopen_rate=0.1, transfer_rate=0.1, dispute_rate=0.1,
                                invalid_rate=0.0)
    log = with_fixes([line.strip() for line in simulate(options)], policy)
    reports = volume_reports()
    recorded = replay_lines([*log, *reports], policy).outputs  # volumes are skipped
    events = [e for e in (parse_event(line) for line in log) if isinstance(e, CloudEvent)]
    emitted = replay(events, policy, sort=False).outputs
    volumes = [parse_event(line, accept="publish") for line in reports]
    return log, recorded, emitted, volumes  # type: ignore[return-value]


def complaints_of(log: list[str]) -> dict[str, str | None]:
    """ticket -> repeat_of, from the inbound complaints."""
    found = {}
    for line in log:
        event = parse_event(line)
        if isinstance(event, CloudEvent) and event.type == "complaint.received":
            found[event.subject] = event.data.repeat_of
    return found


def test_replay_keeps_the_csat_scores_and_ignores_the_volumes(quarter) -> None:
    log, recorded, _, volumes = quarter
    scores = [line for line in log if '"csat.recorded"' in line]
    kept = [e for e in recorded if e.type == "sla.csat_recorded"]
    assert kept and len(kept) <= len(scores)
    assert not [e for e in recorded if e.type == "event.rejected"]
    assert {e.data.caused_by for e in kept} <= {json.loads(s)["id"] for s in scores}
    assert len(volumes) == len(volume_reports())


def test_the_scorecard_of_a_quarter_equals_the_count_over_replays_outputs(
        backend: Backend, quarter) -> None:
    log, recorded, emitted, volumes = quarter
    ledger = backend.fresh_ledger()
    ledger.record([*recorded, *volumes])
    complaints = complaints_of(log)

    for period in MONTHS:
        card = scorecard(ledger.engine, period, zone=ZONE, currency="CNY",
                         departments=DEPARTMENTS)
        now = expected(emitted, complaints, volumes, period, ZONE, DEPARTMENTS)
        before = expected(emitted, complaints, volumes, previous_period(period), ZONE,
                          list(now))
        assert [row.department for row in card.rows] == sorted(
            now, key=lambda d: (now[d]["rank"] is None, now[d]["rank"] or 0, d))
        for row in card.rows:
            want = now[row.department]
            assert {**row.values, "volume_unit": row.volume_unit} == {
                m.name: want[m.name] for m in [*MEASURES]} | {"volume_unit": want["volume_unit"]}
            for m in MEASURES:
                was = before[row.department][m.name]
                assert row.change[m.name] == (None if want[m.name] is None or was is None
                                              else want[m.name] - was), (period, m.name)


def test_the_quarter_exercises_every_column(quarter) -> None:
    """The comparison above means something: each column is non-zero somewhere."""
    log, _, emitted, volumes = quarter
    complaints = complaints_of(log)
    totals: dict[str, Decimal] = {}
    for period in MONTHS:
        for values in expected(emitted, complaints, volumes, period, ZONE,
                               DEPARTMENTS).values():
            for m in MEASURES:
                totals[m.name] = totals.get(m.name, 0) + (values[m.name] or 0)
    assert [name for name, total in totals.items() if not total] == []


def test_month_over_month_change_and_rank(ledger: Ledger) -> None:
    """October: logistics meets 1 of 2 clocks, billing 2 of 2. November: logistics meets
    both, billing 1 of 2, and billing's score of 4 comes in."""
    from tests.ledger.events import clock_event  # noqa: PLC0415

    events = [clock_event("sla.met", "T-1", "logistics", "2026-10-05T10:00:00+08:00"),
              clock_event("sla.breached", "T-2", "logistics", "2026-10-06T10:00:00+08:00"),
              clock_event("sla.met", "T-3", "billing", "2026-10-07T10:00:00+08:00"),
              clock_event("sla.met", "T-4", "billing", "2026-10-31T23:59:00+08:00"),
              clock_event("sla.met", "T-5", "logistics", "2026-11-01T00:00:00+08:00"),
              clock_event("sla.met", "T-6", "logistics", "2026-11-02T10:00:00+08:00"),
              clock_event("sla.met", "T-7", "billing", "2026-11-03T10:00:00+08:00"),
              clock_event("sla.breached", "T-8", "billing", "2026-11-04T10:00:00+08:00")]
    ledger.record(events)
    card = scorecard(ledger.engine, "2026-11", zone=ZONE, currency="CNY",
                     departments=["logistics", "billing", "it"])

    assert [(r.department, r["rank"], r.change["rank"]) for r in card.rows] == [
        ("logistics", 1, -1), ("billing", 2, 1), ("it", None, None)]
    logistics, billing = card.row("logistics"), card.row("billing")
    assert (logistics["attainment"], logistics.change["attainment"]) == (
        Decimal("1.0000"), Decimal("0.5000"))
    assert (billing["breaches"], billing.change["breaches"]) == (1, 1)
    assert (billing["resolve_met"], billing.change["resolve_met"]) == (1, -1)
    assert card.row("it")["complaints"] == 0


def test_attributions_at_one_instant_are_followed_in_chain_order(ledger: Ledger) -> None:
    """A complaint reassigned, then transferred and reassigned again within one instant:
    its owner is the end of the chain (previous_department links), not of the ids' order
    (z-... sorts after a-...). The other complaint has a single attribution."""
    from tests.ledger.events import outbound  # noqa: PLC0415

    def attributed(event_id: str, ticket: str, department: str, reason: str, at: str,
                   previous: str | None = None) -> CloudEvent:
        return outbound("sla.attributed", {
            "department": department, "reason": reason, "attributed_at": at,
            "previous_department": previous}, id=event_id, subject=ticket, time=at)

    first, then = "2026-11-03T09:00:00+08:00", "2026-11-03T10:00:00+08:00"
    ledger.record([attributed("m-rule", "T-1", "logistics", "rule", first),
                   attributed("z-assign", "T-1", "billing", "assignment", then, "logistics"),
                   attributed("b-transfer", "T-1", "it", "transfer", then, "billing"),
                   attributed("a-assign", "T-1", "stores", "assignment", then, "it"),
                   attributed("c-rule", "T-2", "it", "rule", then)])
    card = scorecard(ledger.engine, "2026-11", zone=ZONE, currency="CNY",
                     departments=["logistics", "billing", "it", "stores"])
    assert {r.department: r["complaints"] for r in card.rows} == {
        "logistics": 0, "billing": 0, "it": 1, "stores": 1}
    assert card.row("it")["transfers_in"] == 1


def test_the_series_has_twelve_months_per_department_oldest_first(ledger: Ledger) -> None:
    from tests.ledger.events import clock_event  # noqa: PLC0415

    ledger.record([clock_event("sla.met", "T-1", "logistics", "2026-03-05T10:00:00+08:00")])
    series = scorecard_series(ledger.engine, "2026-11", zone=ZONE, currency="CNY",
                              departments=["billing"])

    assert sorted(series) == ["billing", "logistics"]
    months = [period for period, _ in series["logistics"]]
    assert months[0] == "2025-12" and months[-1] == "2026-11" and len(months) == 12
    assert [v["resolve_met"] for p, v in series["logistics"] if p == "2026-03"] == [1]


def test_the_pair_for_the_status_page_is_the_scorecard_and_the_series(
        backend: Backend, quarter) -> None:
    """scorecard_and_series scores each month once and says what the two functions say,
    also for a department that only the last month names (its change is from zeros)."""
    from tests.ledger.events import clock_event  # noqa: PLC0415

    _, recorded, _, volumes = quarter
    ledger = backend.fresh_ledger()
    ledger.record([*recorded, *volumes, clock_event(
        "sla.met", "T-NEW-1", "newcomer", "2026-11-20T10:00:00+08:00")])
    options: dict = dict(zone=ZONE, currency="CNY", departments=DEPARTMENTS)
    for period, months in (("2026-09", 1), ("2026-10", 3), ("2026-11", 12)):
        card, series = scorecard_and_series(ledger.engine, period, months=months, **options)
        assert card == scorecard(ledger.engine, period, **options)
        assert series == scorecard_series(ledger.engine, period, months=months, **options)
        assert [len(months_) for months_ in series.values()] == [months] * len(series)
    newcomer = card.row("newcomer")
    assert newcomer is not None and newcomer.change["resolve_met"] == 1
    assert series["newcomer"][-2][1]["resolve_met"] is None  # a gap in the chart, not a zero


def test_upgrading_to_0004_scores_the_events_recorded_before(backend: Backend, quarter) -> None:
    """A ledger at revision 0003 holding a month of events gets their attributions and
    ended clocks copied into the new tables: the same rows recording them now writes."""
    from alembic import command  # noqa: PLC0415

    from ledger.migrations import alembic_config  # noqa: PLC0415
    from ledger.rows import event_row  # noqa: PLC0415
    from ledger.tables import LedgerEvent  # noqa: PLC0415

    _, recorded, _, _ = quarter
    october = [e for e in recorded if e.time.astimezone(ZONE).month == 10
               and e.type in ("sla.attributed", "sla.met", "sla.breached", "sla.cancelled")]
    url = backend.fresh_url()
    with Ledger(url, timezone=ZONE) as old, old.engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0004")
        conn.execute(LedgerEvent.__table__.insert(),
                     [event_row(e, datetime(2026, 12, 1, tzinfo=ZONE)) for e in october])
    fresh = backend.fresh_ledger()
    fresh.record(october)
    with Ledger(url, timezone=ZONE) as upgraded:
        assert upgraded.migrate() == Ledger.head()
        for table in (Attribution, ClockOutcome):
            stmt = select(table).order_by(table.id)
            with upgraded.engine.connect() as a, fresh.engine.connect() as b:
                assert a.execute(stmt).all() == b.execute(stmt).all()
                assert len(a.execute(stmt).all()) > 100


def test_corrective_actions_by_month_and_overdue_at_the_months_end(ledger: Ledger) -> None:
    """An action opened 2 November, due the 9th: unfixed, it is overdue at November's end
    (and at December's), not before its due time while November is in progress; once a
    fix is declared (the 4th) nothing is overdue, and its review (the 18th) worked."""
    from tests.ledger.events import outbound  # noqa: PLC0415

    ledger.record([outbound("corrective_action.opened", id="a-opened")])

    def actions(period: str, as_of: datetime | None = None) -> list[int]:
        card = scorecard(ledger.engine, period, zone=ZONE, currency="CNY",
                         departments=["logistics"], as_of=as_of)
        row = card.row("logistics")
        assert row is not None
        return [row[name] for name in ("actions_opened", "actions_fixed", "actions_reviewed",
                                       "actions_worked", "actions_overdue")]

    assert actions("2026-10") == [0, 0, 0, 0, 0]
    assert actions("2026-11") == [1, 0, 0, 0, 1]
    assert actions("2026-11", datetime(2026, 11, 9, 10, 15, tzinfo=ZONE)) == [1, 0, 0, 0, 0]
    assert actions("2026-11", datetime(2026, 11, 9, 10, 16, tzinfo=ZONE)) == [1, 0, 0, 0, 1]
    december = scorecard(ledger.engine, "2026-12", zone=ZONE, currency="CNY")
    assert (december.row("logistics")["actions_overdue"],
            december.row("logistics").change["actions_opened"]) == (1, -1)
    ledger.record([outbound("sla.fix_declared", id="a-fix"),
                   outbound("corrective_action.reviewed", id="a-reviewed")])
    assert actions("2026-11") == [1, 1, 1, 1, 0]
    assert actions("2026-12") == [0, 0, 0, 0, 0]
