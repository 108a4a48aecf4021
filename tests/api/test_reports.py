"""Breaches and penalties by department for a month equal the ledger's own reports; the
month is the policy's (Asia/Shanghai), so a breach at 23:30 on 30 November UTC belongs to
December."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.routes.reports import month_bounds
from ledger import breach_counts, penalty_totals
from tests.api.conftest import HOME, Fixture, Principals, bearer, open_ledger


def test_the_penalty_report_is_the_ledgers_feed(client: TestClient, principals: Principals,
                                                ledger_fixture: Fixture) -> None:
    with open_ledger(ledger_fixture.database_url) as ledger:
        totals = penalty_totals(ledger.engine, ledger_fixture.period)
    report = client.get(f"/api/v1/reports/penalties?period={ledger_fixture.period}",
                        headers=bearer(principals, "hr-payroll")).json()
    assert report["period"] == ledger_fixture.period
    assert [(r["department"], r["currency"], r["penalties"], r["reversed"], r["net_fine"],
             r["net_points"]) for r in report["rows"]] == [
        (t.key, t.currency, t.penalties, t.reversed, format(t.net_fine, "f"), t.net_points)
        for t in totals]
    assert any(r["reversed"] for r in report["rows"])


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
