"""The boards' metrics: working time and CSAT histograms fed by ``observe_outcome``, and the
business volume the ledger sink reads back from a real (SQLite) ledger.

The registry is shared by the whole process: every assertion is on the change a call makes
(histogram counts and sums), except for the volume gauge, which its writer replaces whole.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ledger import Ledger
from models import CloudEvent
from models.examples import example
from models.parse import ALL_TYPES
from streams import metrics
from streams.ledger_sink import LedgerSink
from streams.metrics import REGISTRY

WORKING = "sla_clock_working_seconds"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def outbound(event_type: str, **data: object) -> CloudEvent:
    raw = example(event_type)
    raw["data"] = {**raw["data"], **data}
    return ALL_TYPES[event_type].model_validate(raw)


def _working(outcome: str, priority: str = "P3", metric: str = "resolve") -> dict[str, str]:
    return {"department": "logistics", "metric": metric, "priority": priority,
            "outcome": outcome}


def _snapshot(labels: dict[str, str]) -> tuple[float, float, float, float]:
    """count, sum, and the buckets le=1800 and le=3600 of one working-time series."""
    return (value(f"{WORKING}_count", **labels), value(f"{WORKING}_sum", **labels),
            value(f"{WORKING}_bucket", le="1800.0", **labels),
            value(f"{WORKING}_bucket", le="3600.0", **labels))


def test_a_met_clock_is_observed_at_the_working_seconds_it_took() -> None:
    labels = _working("met")
    before = _snapshot(labels)
    met = outbound("sla.met", metric="resolve", elapsed_seconds=2700, priority="P3")
    metrics.observe_outcome(met)
    count, total, le_1800, le_3600 = _snapshot(labels)
    assert (count - before[0], total - before[1]) == (1, 2700)
    assert (le_1800 - before[2], le_3600 - before[3]) == (0, 1)  # in the 30 min to 1 h bucket


def test_a_breached_clock_is_observed_at_its_target_a_lower_bound() -> None:
    labels = _working("breached")
    before, met_before = _snapshot(labels), _snapshot(_working("met"))
    breach = outbound("sla.breached", elapsed_seconds=999_999, target_seconds=3600)
    metrics.observe_outcome(breach)
    count, total, _, le_3600 = _snapshot(labels)
    assert (count - before[0], total - before[1], le_3600 - before[3]) == (1, 3600, 1)
    assert _snapshot(_working("met")) == met_before


def test_only_met_and_breached_are_observed_and_a_missing_priority_is_none() -> None:
    assert metrics.observe_working_time(outbound("sla.warning")) is None
    assert metrics.observe_working_time(outbound("sla.cancelled")) is None
    labels = _working("met", priority="none", metric="acknowledge")
    before = value(f"{WORKING}_count", **labels)
    assert metrics.observe_working_time(
        outbound("sla.met", priority=None, metric="acknowledge", elapsed_seconds=30)) == 30.0
    assert value(f"{WORKING}_count", **labels) == before + 1
    assert value(f"{WORKING}_bucket", le="60.0", **labels) >= 1


def test_warnings_and_cancellations_leave_the_working_time_alone() -> None:
    def counts() -> float:
        return sum(s.value for family in metrics.CLOCK_WORKING_TIME.collect()
                   for s in family.samples if s.name.endswith("_count"))

    before = counts()
    metrics.observe_outcome(outbound("sla.warning"))
    metrics.observe_outcome(outbound("sla.cancelled"))
    assert counts() == before


@pytest.mark.parametrize("score", [1, 3, 5])
def test_a_csat_score_is_observed_for_the_department_holding_the_ticket(score: int) -> None:
    dept = {"department": "billing"}
    before = (value("sla_csat_score_count", **dept), value("sla_csat_score_sum", **dept),
              value("sla_csat_score_bucket", le=f"{score - 1}.0", **dept),
              value("sla_csat_score_bucket", le=f"{score}.0", **dept))
    metrics.observe_outcome(outbound("sla.csat_recorded", department="billing", score=score))
    assert value("sla_csat_score_count", **dept) == before[0] + 1
    assert value("sla_csat_score_sum", **dept) == before[1] + score
    assert value("sla_csat_score_bucket", le=f"{score - 1}.0", **dept) == before[2]
    assert value("sla_csat_score_bucket", le=f"{score}.0", **dept) == before[3] + 1


def test_set_business_volumes_replaces_every_series() -> None:
    metrics.set_business_volumes({"logistics": ("parcels", 10), "billing": ("invoices", 7)})
    metrics.set_business_volumes({"logistics": ("orders", 12)})
    assert value("sla_business_volume_month", department="logistics", unit="orders") == 12
    assert REGISTRY.get_sample_value("sla_business_volume_month",
                                     {"department": "logistics", "unit": "parcels"}) is None
    assert REGISTRY.get_sample_value("sla_business_volume_month",
                                     {"department": "billing", "unit": "invoices"}) is None


# -- the ledger sink's read-back ----------------------------------------------------------
def volume(event_id: str, department: str, count: int, *, at: str, unit: str = "parcels",
           day: str | None = None, period: str | None = None) -> bytes:
    raw = example("volume.reported")
    data = {"department": department, "unit": unit, "count": count}
    data |= {"day": day} if day else {"period": period}
    raw |= {"id": event_id, "subject": department, "time": at, "data": data}
    return json.dumps(raw).encode()


@pytest.fixture
def sink(tmp_path: Path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}", timezone="Asia/Shanghai")
    yield LedgerSink(ledger, wait_initial=0.01, wait_max=0.01)
    ledger.close()


def exposed() -> dict[tuple[str, str], float]:
    return {(s.labels["department"], s.labels["unit"]): s.value
            for family in metrics.BUSINESS_VOLUME.collect() for s in family.samples}


async def test_the_sink_exposes_the_month_the_ledger_holds_newest_report_winning(sink) -> None:
    metrics.set_business_volumes({"stale": ("parcels", 1)})
    assert await sink.refresh_volumes() is False  # not migrated yet: nothing is touched
    assert exposed() == {("stale", "parcels"): 1}
    await sink.migrate()
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    await sink.record([
        volume("d19", "logistics", 100, day="2026-11-19", at="2026-11-20T01:00:00+08:00"),
        volume("d20", "logistics", 200, day="2026-11-20", at="2026-11-21T01:00:00+08:00"),
        volume("d20-fix", "logistics", 250, day="2026-11-20", at="2026-11-21T09:00:00+08:00"),
        volume("oct", "logistics", 9999, day="2026-10-31", at="2026-11-01T01:00:00+08:00"),
        volume("b-m", "billing", 40, period="2026-11", at="2026-11-21T02:00:00+08:00",
               unit="invoices"),
        volume("b-d", "billing", 3, day="2026-11-20", at="2026-11-21T03:00:00+08:00",
               unit="invoices"),
    ])
    assert await sink.refresh_volumes(now) is True
    # days summed, the correction beats the first report, October left out; billing's
    # month report beats its day
    assert exposed() == {("logistics", "parcels"): 350, ("billing", "invoices"): 40}
    # a new month in the policy's zone (Asia/Shanghai: 2026-12-01 00:30 local) has nothing
    assert await sink.refresh_volumes(datetime(2026, 11, 30, 16, 30, tzinfo=UTC)) is True
    assert exposed() == {}


async def test_a_batch_with_volumes_refreshes_the_gauge_itself(sink) -> None:
    await sink.migrate()
    metrics.set_business_volumes({})
    today = datetime.now(UTC).astimezone(sink.writer.zone).date().isoformat()
    await sink.record([volume("today", "network", 42, day=today, at=datetime.now(UTC)
                              .isoformat(), unit="subscribers")])
    assert exposed() == {("network", "subscribers"): 42}


async def test_an_unreadable_ledger_keeps_the_values_exposed(sink) -> None:
    await sink.migrate()
    metrics.set_business_volumes({"logistics": ("parcels", 5)})
    sink.writer.engine.dispose()
    Path(sink.writer.engine.url.database).unlink()
    Path(sink.writer.engine.url.database).mkdir()  # a directory: sqlite cannot open it
    assert await sink.refresh_volumes() is False
    assert exposed() == {("logistics", "parcels"): 5}
