"""The penalty feed: every filter returns what the ledger holds for it, the pages walk
the whole feed once in (assessed_at, id) order, bad queries are 422 naming the field, and
no response carries a customer reference."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.cursor import encode_cursor
from ledger.tables import Penalty
from tests.api.conftest import CALLS_FOR_LEAK_CHECK, Fixture, Principals, bearer, open_ledger


def _ledger_penalties(fixture: Fixture) -> list[Penalty]:
    with open_ledger(fixture.database_url) as ledger, ledger.engine.connect() as conn:
        return list(conn.execute(select(Penalty).order_by(Penalty.assessed_at, Penalty.id)))


def _walk(client: TestClient, headers: dict[str, str], query: str, limit: int) -> list[dict]:
    """Every item of the feed for ``query``, page by page."""
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/penalties?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert pages < 1000


def test_pages_walk_the_whole_feed_once_in_order(client: TestClient, principals: Principals,
                                                 ledger_fixture: Fixture) -> None:
    expected = [p.id for p in _ledger_penalties(ledger_fixture)]
    walked = _walk(client, bearer(principals, "hr-payroll"), "", limit=7)
    assert [item["id"] for item in walked] == expected
    assert len(expected) > 7 * 3


@pytest.mark.parametrize("field", ["period", "department", "employee", "rule", "status"])
def test_each_filter_returns_exactly_the_matching_penalties(
        field: str, client: TestClient, principals: Principals,
        ledger_fixture: Fixture) -> None:
    rows = _ledger_penalties(ledger_fixture)

    def value_of(row: Penalty) -> str | None:
        if field == "status":
            return "reversed" if row.reversal_id else "charged"
        return getattr(row, "assignee" if field == "employee" else field)

    values = sorted({v for v in map(value_of, rows) if v is not None})
    assert values, f"the fixture has no {field} to filter on"
    for value in values[:3]:
        walked = _walk(client, bearer(principals, "ceo"), f"&{field}={value}", limit=50)
        assert [i["id"] for i in walked] == [r.id for r in rows if value_of(r) == value]


def test_reversed_penalties_say_why(client: TestClient, principals: Principals) -> None:
    walked = _walk(client, bearer(principals, "hr-payroll"), "&status=reversed", limit=100)
    assert walked, "the simulated day has reversals (reassignments, upheld disputes)"
    assert all(item["reversed_at"] and item["reversal_id"] and item["reversal_reason"]
               for item in walked)


def test_amounts_are_exact_decimal_strings(client: TestClient, principals: Principals,
                                           ledger_fixture: Fixture) -> None:
    rows = {row.id: row for row in _ledger_penalties(ledger_fixture)}
    for item in _walk(client, bearer(principals, "hr-payroll"), "", limit=500):
        assert item["fine"] == format(rows[item["id"]].fine, "f")
        assert re.fullmatch(r"-?\d+(\.\d+)?", item["base_fine"])


@pytest.mark.parametrize(("query", "field"), [
    ("period=2026-13", "period"),
    ("period=November", "period"),
    ("period=0000-01", "period"),
    ("period=9999-12", "period"),
    ("status=paid", "status"),
    ("limit=0", "limit"),
    ("limit=1001", "limit"),
    ("department=Logistics!", "department"),
    ("department=nosuchdept", "department"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=" + "W10", "cursor"),  # base64 of [] : decodes, but is no cursor
])
def test_a_bad_query_is_422_naming_the_field(query: str, field: str, client: TestClient,
                                             principals: Principals) -> None:
    response = client.get(f"/api/v1/penalties?{query}", headers=bearer(principals, "ceo"))
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", field]]


def test_a_cursor_resumes_after_its_row(client: TestClient, principals: Principals,
                                        ledger_fixture: Fixture) -> None:
    rows = _ledger_penalties(ledger_fixture)
    cursor = encode_cursor(rows[4].assessed_at, rows[4].id)
    page = client.get(f"/api/v1/penalties?limit=3&cursor={cursor}",
                      headers=bearer(principals, "ceo")).json()
    assert [item["id"] for item in page["items"]] == [r.id for r in rows[5:8]]


def test_no_response_carries_a_customer_reference(client: TestClient, principals: Principals,
                                                  ledger_fixture: Fixture) -> None:
    refs = {json.loads(line)["data"]["customer_ref"]
            for line in ledger_fixture.input_log.read_text().splitlines()
            if '"complaint.received"' in line}
    assert len(refs) > 100
    for name in principals.tokens:
        for url in CALLS_FOR_LEAK_CHECK:
            body = client.get(url.format(home=ledger_fixture.home_ticket,
                                         period=ledger_fixture.period),
                              headers=bearer(principals, name)).text
            assert "customer_ref" not in body
            assert not {ref for ref in refs if ref in body}
