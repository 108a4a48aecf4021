"""The worklist's table on both backends: the newest snapshot of a ticket wins whatever
order snapshots arrive in, a ticket whose clocks all ended leaves it, and the filters and
order are plain SQL over instants (no calendar needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger import Ledger
from ledger.worklist import WorklistFilter, worklist
from models.examples import example
from models.outbound import SlaClocksChanged

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Mon 09:00 in Shanghai


def snapshot(ticket: str, revision: int, *clocks: dict, department: str = "logistics",
             assignee: str | None = None) -> SlaClocksChanged:
    """A ``sla.clocks_changed`` of ``ticket`` holding ``clocks`` (see :func:`clock`)."""
    raw = example("sla.clocks_changed")
    raw.update(id=f"{ticket}-r{revision}", subject=ticket,
               time=(T0 + timedelta(minutes=revision)).isoformat())
    raw["data"].update(department=department, assignee=assignee, revision=revision,
                       changed_at=raw["time"], clocks=list(clocks))
    return SlaClocksChanged.model_validate(raw)


def clock(metric: str = "resolve", *, running: bool = True, due_in: float = 8,
          warn_in: float | None = 4, elapsed: int = 0, department: str = "logistics",
          policy: str = "standard") -> dict:
    """An open clock; ``due_in``/``warn_in`` hours after T0 while running."""
    due = T0 + timedelta(hours=due_in)
    warns = None if warn_in is None else T0 + timedelta(hours=warn_in)
    return {
        "department": department, "policy": policy, "metric": metric, "cycle": 1,
        "calendar": "office", "running": running, "started_at": T0.isoformat(),
        "elapsed_seconds": elapsed, "target_seconds": 7200, "target": "2h",
        "warn_at": [0.5], "due_at": due.isoformat() if running else None,
        "warns_at": warns.isoformat() if running and warns else None,
        "warned": elapsed >= 3600, "breached": elapsed >= 7200,
    }


def tickets(ledger: Ledger, spec: WorklistFilter | None = None,
            now: datetime = T0) -> list[tuple[str, str]]:
    rows, total = worklist(ledger.engine, spec or WorklistFilter(), now=now, limit=100)
    assert total == len(rows)
    return [(row.ticket, row.metric) for row in rows]


def test_the_newest_revision_of_a_ticket_wins_in_any_order(ledger: Ledger) -> None:
    first = snapshot("T-1", 1, clock("acknowledge"), clock("resolve"))
    second = snapshot("T-1", 2, clock("resolve", running=False, elapsed=600),
                      assignee="emp-7")
    stats = ledger.record([second])
    late = ledger.record([first, second])  # a redelivery of both, the older first

    assert (stats.inserted["sla.clocks_changed"], late.duplicates["sla.clocks_changed"]) == (1, 2)
    [row], _ = worklist(ledger.engine, WorklistFilter(), now=T0, limit=10)
    assert (row.metric, row.running, row.remaining_seconds, row.assignee) == (
        "resolve", False, 6600, "emp-7")


def test_a_ticket_whose_clocks_all_ended_leaves_the_worklist(ledger: Ledger) -> None:
    ledger.record([snapshot("T-1", 1, clock()), snapshot("T-2", 1, clock())])
    ledger.record([snapshot("T-1", 2)])

    assert tickets(ledger) == [("T-2", "resolve")]
    ledger.record([snapshot("T-1", 1, clock())])  # the old snapshot again: stays gone
    assert tickets(ledger) == [("T-2", "resolve")]


def test_running_clocks_come_first_by_breach_time_then_paused_ones_by_time_left(
        ledger: Ledger) -> None:
    ledger.record([
        snapshot("T-late", 1, clock(due_in=30)),
        snapshot("T-soon", 1, clock(due_in=1)),
        snapshot("T-paused-long", 1, clock(running=False, elapsed=100)),
        snapshot("T-paused-short", 1, clock(running=False, elapsed=7000)),
    ])

    assert [t for t, _ in tickets(ledger)] == [
        "T-soon", "T-late", "T-paused-short", "T-paused-long"]


def test_warned_and_breached_are_judged_at_the_readers_now(ledger: Ledger) -> None:
    ledger.record([
        snapshot("T-run", 1, clock(due_in=2, warn_in=1)),
        snapshot("T-paused-warned", 1, clock(running=False, elapsed=4000)),
        snapshot("T-paused-fresh", 1, clock(running=False, elapsed=10)),
    ])
    at = {"start": T0 + timedelta(minutes=10), "warned": T0 + timedelta(hours=1),
          "over": T0 + timedelta(hours=3)}

    def names(now: datetime, **flags: bool) -> set[str]:
        return {t for t, _ in tickets(ledger, WorklistFilter(**flags), now)}

    assert names(at["start"], warned=True) == {"T-paused-warned"}
    assert names(at["warned"], warned=True) == {"T-paused-warned", "T-run"}
    assert names(at["warned"], breached=True) == set()
    assert names(at["over"], breached=True) == {"T-run"}
    assert names(at["over"], breached=False) == {"T-paused-warned", "T-paused-fresh"}


def test_filters_by_department_metric_policy_and_assignee(ledger: Ledger) -> None:
    ledger.record([
        snapshot("T-1", 1, clock("acknowledge"), clock("resolve"), assignee="emp-1"),
        snapshot("T-2", 1, clock(policy="vip", department="billing"), department="billing"),
    ])

    assert tickets(ledger, WorklistFilter(department="billing")) == [("T-2", "resolve")]
    assert tickets(ledger, WorklistFilter(metric="acknowledge")) == [("T-1", "acknowledge")]
    assert tickets(ledger, WorklistFilter(policy="vip")) == [("T-2", "resolve")]
    assert len(tickets(ledger, WorklistFilter(assignee="emp-1"))) == 2


def test_pages_cross_from_running_to_paused_clocks_without_a_gap_or_a_repeat(
        ledger: Ledger) -> None:
    ledger.record([snapshot(f"T-run-{n}", 1, clock(due_in=n + 1)) for n in range(4)]
                  + [snapshot(f"T-paused-{n}", 1, clock(running=False, elapsed=7000 - n))
                     for n in range(3)])
    everything = tickets(ledger)

    pages = [worklist(ledger.engine, WorklistFilter(), now=T0, limit=3, offset=start)
             for start in (0, 3, 6, 9)]

    assert [total for _, total in pages] == [7, 7, 7, 7]
    assert [[r.ticket for r in rows] for rows, _ in pages] == [
        ["T-run-0", "T-run-1", "T-run-2"], ["T-run-3", "T-paused-0", "T-paused-1"],
        ["T-paused-2"], []]
    assert [(r.ticket, r.metric) for rows, _ in pages for r in rows] == everything
    paused_only, total = worklist(ledger.engine, WorklistFilter(), now=T0, limit=2, offset=5)
    assert ([r.ticket for r in paused_only], total) == (["T-paused-1", "T-paused-2"], 7)
