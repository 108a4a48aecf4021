"""Breaches and penalties by department for a month equal the ledger's own reports (the
penalties are the month's booked payroll, so a closed month's report never changes); the
month is the policy's (Asia/Shanghai), so a breach at 23:30 on 30 November UTC belongs to
December."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from api.routes.reports import month_bounds
from ledger import breach_counts, payroll_totals
from tests.api.conftest import (
    CONFIG,
    HOME,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
    open_ledger,
)
from tests.ledger.events import penalty, reversal


def test_the_penalty_report_is_the_months_payroll(client: TestClient, principals: Principals,
                                                  ledger_fixture: Fixture) -> None:
    with open_ledger(ledger_fixture.database_url) as ledger:
        totals = payroll_totals(ledger.engine, ledger_fixture.period)
    report = client.get(f"/api/v1/reports/penalties?period={ledger_fixture.period}",
                        headers=bearer(principals, "hr-payroll")).json()
    assert (report["period"], report["status"]) == (ledger_fixture.period, "open")
    assert [(r["department"], r["currency"], r["penalties"], r["reversed"],
             r["adjustments"], r["net_fine"], r["adjustment_fine"], r["net_points"])
            for r in report["rows"]] == [
        (t.department, t.currency, t.penalties, t.reversed, t.adjustments,
         format(t.net_fine, "f"), format(t.adjustment_fine, "f"), t.net_points)
        for t in totals]
    assert any(r["reversed"] for r in report["rows"])


def test_a_closed_month_keeps_its_report_when_a_reversal_comes_later(
        tmp_path: Path, principals: Principals) -> None:
    """October is closed, then a dispute upheld in November reverses an October penalty:
    October's report is unchanged, November carries the adjustment (as the CLI says)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_ledger(url) as ledger:
        ledger.migrate()
        ledger.record([penalty("p-oct", "T-1", HOME, "emp-7", "650", 2, period="2026-10")])
        ledger.close_period("2026-10", by="hr", now=datetime(2026, 11, 2, tzinfo=UTC))
    hr = bearer(principals, "hr-payroll")
    with _client(url, principals) as client:
        before = client.get("/api/v1/reports/penalties?period=2026-10", headers=hr).json()
        with open_ledger(url) as ledger:
            ledger.record([reversal("r-1", "p-oct", "T-1", department=HOME, fine="650",
                                    points=2, dispute_id="d-1",
                                    reversed_at="2026-11-03T10:00:00+08:00")])
        after = client.get("/api/v1/reports/penalties?period=2026-10", headers=hr).json()
        november = client.get("/api/v1/reports/penalties?period=2026-11", headers=hr).json()
    assert before == after and before["status"] == "closed"
    assert [(r["net_fine"], r["reversed"]) for r in before["rows"]] == [("650", 0)]
    assert [(r["department"], r["adjustments"], r["adjustment_fine"], r["net_fine"],
             r["net_points"]) for r in november["rows"]] == [(HOME, 1, "-650", "-650", -2)]


def test_the_breach_report_counts_the_policys_month(client: TestClient,
                                                    principals: Principals,
                                                    ledger_fixture: Fixture) -> None:
    since, until = month_bounds(ledger_fixture.period, "Asia/Shanghai")
    with open_ledger(ledger_fixture.database_url) as ledger:
        counts = breach_counts(ledger.engine, since, until)
    report = client.get(f"/api/v1/reports/breaches?period={ledger_fixture.period}",
                        headers=bearer(principals, "ceo")).json()
    assert [(r["department"], r["metric"], r["breaches"], r["tickets"])
            for r in report["rows"]] == [(c.department, c.metric, c.breaches, c.tickets)
                                         for c in counts]
    assert sum(r["breaches"] for r in report["rows"]) > 10


def test_a_month_is_counted_in_the_policys_timezone() -> None:
    since, until = month_bounds("2026-12", "Asia/Shanghai")
    assert since.astimezone(UTC) == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert until.astimezone(UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert month_bounds("2026-11", "Asia/Shanghai")[1] == since


def test_a_department_filter_keeps_one_department(client: TestClient, principals: Principals,
                                                  ledger_fixture: Fixture) -> None:
    for kind in ("penalties", "breaches"):
        url = f"/api/v1/reports/{kind}?period={ledger_fixture.period}&department={HOME}"
        rows = client.get(url, headers=bearer(principals, "cc-lead")).json()["rows"]
        assert rows and {r["department"] for r in rows} == {HOME}


def test_a_month_without_data_has_no_rows(client: TestClient, principals: Principals) -> None:
    for kind in ("penalties", "breaches"):
        report = client.get(f"/api/v1/reports/{kind}?period=2020-01",
                            headers=bearer(principals, "ceo"))
        assert report.status_code == 200 and report.json()["rows"] == []


def test_the_period_is_required(client: TestClient, principals: Principals) -> None:
    response = client.get("/api/v1/reports/penalties", headers=bearer(principals, "ceo"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "period"]


def _client(url: str, principals: Principals) -> TestClient:
    """The API on the ledger at ``url``."""
    settings = ApiSettings(database_url=url, principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           timezone=CONFIG.timezone)
    return TestClient(create_app(settings))
