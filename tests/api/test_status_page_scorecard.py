"""The status page's scorecard section (TestClient): the rows each role may see (the rule
of ``GET /api/v1/reports/scorecard``), the figures and ranks that endpoint gives, each
change marked better or worse as the CLI colours it, a 12-month SVG chart per shown
department in the page's language, and the app's cache: one computation per month and
TTL, counted with a fake around the real one and aged with an injected clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.page import ScorecardCache, ledger_scorecards
from api.page.scorecard import COLUMNS, cell
from ledger.scorecard import MEASURES, ScorecardRow
from tests.api.conftest import HOME, Fixture, Principals, bearer
from tests.api.test_status_page import PAGE_NOW, page_client, sign_in

MONTH = "2026-11"  # PAGE_NOW's month in the policy's time zone


@pytest.fixture
def page(ledger_fixture: Fixture, principals: Principals) -> Iterator[TestClient]:
    with page_client(ledger_fixture, principals) as client:
        yield client


def section(html: str) -> str:
    """The scorecard section's HTML ('' when the page has none)."""
    found = re.search(r'<section class="card" id="scorecard">.*?</section>', html, re.S)
    return found.group(0) if found else ""


def row_departments(html: str) -> list[str]:
    return re.findall(r'<tr data-department="([^"]+)"', html)


def cells(html: str, department: str) -> dict[str, str]:
    """measure -> the cell's figure (without its change) in ``department``'s row."""
    row = re.search(rf'<tr data-department="{department}">(.*?)</tr>', html, re.S).group(1)
    return dict(re.findall(r'<td class="num" data-measure="([a-z_0-9]+)">([^<]*)', row))


def api_rows(page: TestClient, principals: Principals, who: str) -> list[dict[str, Any]]:
    response = page.get(f"/api/v1/reports/scorecard?month={MONTH}",
                        headers=bearer(principals, who))
    assert response.status_code == 200
    body = response.json()
    return [row | {"ranked": body["ranked"]} for row in body["rows"]]


@pytest.mark.parametrize("who", ["ceo", "hr-payroll", "cc-lead"])
def test_hr_executives_and_the_contact_center_see_every_departments_row_and_chart(
        page: TestClient, principals: Principals, who: str) -> None:
    expected = api_rows(page, principals, who)
    sign_in(page, principals, who)
    html = section(page.get("/").text)
    assert row_departments(html) == [row["department"] for row in expected]
    assert len(expected) >= 5
    charts = re.findall(r'<figure class="trend" data-department="([^"]+)"><svg ', html)
    assert charts == [row["department"] for row in expected]  # one chart per row
    for row in expected:
        shown = cells(html, row["department"])
        assert shown["complaints"] == f"{row['values']['complaints']:,}"
        rank = row["values"]["rank"]
        assert shown["rank"] == ("–" if rank is None else f"{rank} / {row['ranked']}")


def test_a_department_sees_its_own_row_and_rank_and_no_other_department(
        page: TestClient, principals: Principals) -> None:
    [own] = api_rows(page, principals, "logistics-desk")
    everyone = api_rows(page, principals, "ceo")
    sign_in(page, principals, "logistics-desk")
    html = section(page.get("/").text)
    assert row_departments(html) == [HOME]
    assert re.findall(r'<figure class="trend" data-department="([^"]+)"', html) == [HOME]
    assert html.count("<svg ") == 1
    assert cells(html, HOME)["rank"] == f"{own['values']['rank']} / {own['ranked']}"
    assert own["ranked"] == sum(row["values"]["rank"] is not None for row in everyone) > 1
    others = {row["department"] for row in everyone} - {HOME}
    assert not [d for d in others if f"({d})" in html or f'"{d}"' in html]


def test_an_admin_gets_no_scorecard(page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "ops-admin")
    html = page.get("/").text
    assert section(html) == "" and "<svg" not in html


def test_the_section_speaks_chinese_and_keeps_to_the_pages_csp(
        page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "ceo")
    html = page.get("/?lang=zh").text
    part = section(html)
    assert "月度考核" in part and "SLA 达标率" in part and "SLA attainment" not in part
    assert "数据计算于 20:00" in part  # PAGE_NOW in Shanghai
    # style-src 'self' without 'unsafe-inline' blocks style attributes and <style>; the
    # SVG uses presentation attributes only, and no script comes with it
    assert not re.search(r"<style|\sstyle=|<script|\son[a-z]+=", html)


def test_a_better_or_worse_change_is_marked_as_the_cli_colours_it() -> None:
    values = {m.name: None for m in MEASURES}
    change = dict(values)
    values.update(rank=2, complaints=10, attainment=Decimal("0.9000"),
                  net_fine=Decimal("200.00"), csat_mean=Decimal("4.10"))
    change.update(rank=-1, complaints=3, attainment=Decimal("0.0250"),
                  net_fine=Decimal("-50.00"), csat_mean=Decimal("0"))
    row = ScorecardRow(MONTH, HOME, None, "CNY", values, change)
    kinds = dict(COLUMNS)
    shown = {m: cell(row, m, kinds[m], ranked=7) for m in values if m in kinds}
    assert (shown["rank"].text, shown["rank"].arrow, shown["rank"].verdict) == (
        "2 / 7", "▲", "better")  # moved up from 3rd
    assert (shown["complaints"].change, shown["complaints"].verdict) == ("+3", "worse")
    assert (shown["attainment"].text, shown["attainment"].change,
            shown["attainment"].verdict) == ("90.0%", "+2.5 pt", "better")
    assert (shown["net_fine"].arrow, shown["net_fine"].verdict) == ("▼", "better")
    assert shown["csat_mean"].change == "" and shown["breaches"].text == "–"


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_the_month_is_computed_once_per_ttl(ledger_fixture: Fixture,
                                            principals: Principals) -> None:
    months: list[str] = []
    clock = Clock(PAGE_NOW)
    with page_client(ledger_fixture, principals) as client:
        app = client.app
        real = ledger_scorecards(app.state.engine, app.state.settings)

        def counting(month: str) -> Any:
            months.append(month)
            return real(month)

        app.state.scorecards = ScorecardCache(counting, clock=clock, ttl=timedelta(minutes=5))
        sign_in(client, principals, "ceo")
        first = section(client.get("/").text)
        sign_in(client, principals, "logistics-desk")  # another principal, the same month
        clock.now += timedelta(minutes=4, seconds=59)
        second = section(client.get("/").text)
        assert months == [MONTH]
        assert "Figures as of 20:00" in first and "Figures as of 20:00" in second
        clock.now += timedelta(seconds=1)  # 5 minutes after: computed again
        third = section(client.get("/").text)
        assert months == [MONTH, MONTH] and "Figures as of 20:05" in third
        clock.now -= timedelta(hours=1)  # a clock set back does not keep stale figures
        client.get("/")
        assert months == [MONTH, MONTH, MONTH]
    assert row_departments(second) == [HOME] and len(row_departments(first)) > 1
