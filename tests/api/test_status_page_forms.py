"""The status page's forms: each allowed role publishes exactly the event the JSON API
publishes for the same command (same Idempotency-Key, same clock); other roles get 403,
a cross-origin post 403, a refusal the API's reason in one line; nothing published then.
HR and executives download the payroll with the session; the bytes are the API's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    HOME_ACTION,
    OPEN_DISPUTE,
    OTHER,
    RULED_DISPUTE,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
)
from tests.api.test_status_page import PAGE_NOW, page_client, sign_in

EVIL = {"Origin": "http://evil.example"}


@pytest.fixture
def bus() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def page(ledger_fixture: Fixture, principals: Principals,
         bus: FakePublisher) -> Iterator[TestClient]:
    with page_client(ledger_fixture, principals, publisher=bus) as client:
        yield client


def forms(fixture: Fixture) -> dict[str, tuple[str, str, dict, str, dict]]:
    """form -> (allowed principal, form URL, its fields, the API's URL, its JSON)."""
    reason = "the parcel was lost in the store"
    return {
        "dispute": ("logistics-desk", "/forms/dispute",
                    {"ticket": fixture.home_ticket, "reason": reason},
                    f"/api/v1/tickets/{fixture.home_ticket}/disputes", {"reason": reason}),
        "ruling": ("cc-lead", "/forms/ruling",
                   {"dispute_id": OPEN_DISPUTE, "outcome": "upheld", "to_department": OTHER,
                    "reason": "the store lost it"},
                   f"/api/v1/disputes/{OPEN_DISPUTE}/ruling",
                   {"outcome": "upheld", "to_department": OTHER, "reason": "the store lost it"}),
        "fix": ("logistics-desk", "/forms/fix",
                {"action_id": HOME_ACTION, "what_changed": "a second courier",
                 "changed_at": "2026-11-02T09:30"},
                f"/api/v1/corrective-actions/{HOME_ACTION}/fix",
                {"what_changed": "a second courier",
                 "changed_at": "2026-11-02T09:30:00+08:00"}),
    }


@pytest.mark.parametrize("form", ["dispute", "ruling", "fix"])
def test_a_form_publishes_the_event_the_json_api_publishes(
        page: TestClient, principals: Principals, bus: FakePublisher,
        ledger_fixture: Fixture, form: str) -> None:
    who, url, fields, api_url, body = forms(ledger_fixture)[form]
    sign_in(page, principals, who)
    answer = page.post(url, data={**fields, "key": "k-1"})
    assert answer.status_code == 200, answer.text
    assert 'id="form-result"' in answer.text and "Published" in answer.text
    [from_page] = bus.events
    api = page.post(api_url, json=body, headers={**bearer(principals, who),
                                                 "Idempotency-Key": "k-1"})
    assert api.status_code == 202, api.text
    from_page_again, from_api = bus.events[0], bus.events[1]
    assert from_page_again is from_page
    assert from_page.model_dump() == from_api.model_dump()
    assert from_page.time == PAGE_NOW


@pytest.mark.parametrize("form", ["dispute", "ruling", "fix"])
@pytest.mark.parametrize("who", ["billing-desk", "hr-payroll", "ceo", "cc-lead",
                                 "logistics-desk", "ops-admin"])
def test_other_roles_and_other_sites_are_refused(
        page: TestClient, principals: Principals, bus: FakePublisher,
        ledger_fixture: Fixture, form: str, who: str) -> None:
    allowed, url, fields, _, _ = forms(ledger_fixture)[form]
    sign_in(page, principals, who)
    if who == allowed:
        response = page.post(url, data=fields, headers=EVIL)
        assert response.status_code == 403 and "not sent from this site" in response.text
    else:
        response = page.post(url, data=fields)
        # billing-desk may dispute and fix, but not logistics' ticket or action
        assert response.status_code == 403, response.text
        assert 'id="form-result"' in response.text
    assert bus.events == []


def test_a_refusal_shows_the_apis_reason_in_one_line(
        page: TestClient, principals: Principals, bus: FakePublisher) -> None:
    sign_in(page, principals, "cc-lead")
    ruled = page.post("/forms/ruling", data={"dispute_id": RULED_DISPUTE,
                                             "outcome": "rejected", "reason": "no"})
    assert ruled.status_code == 409 and "was already ruled" in ruled.text
    bad = page.post("/forms/ruling", data={"dispute_id": OPEN_DISPUTE, "outcome": "upheld",
                                           "reason": "x"})
    assert bad.status_code == 422 and "to_department" in bad.text
    assert "Traceback" not in bad.text and bus.events == []
    assert page.get("/forms/ruling").headers["location"] == "/"


def test_without_a_session_a_form_goes_to_the_sign_in_form(
        page: TestClient, bus: FakePublisher) -> None:
    response = page.post("/forms/fix", data={"action_id": HOME_ACTION})
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert bus.events == []


@pytest.mark.parametrize("who", ["hr-payroll", "ceo"])
def test_hr_and_executives_download_the_payroll_with_the_session(
        page: TestClient, principals: Principals, ledger_fixture: Fixture, who: str) -> None:
    sign_in(page, principals, who)
    period = ledger_fixture.period
    assert f'href="/page/payroll/{PAGE_NOW:%Y-%m}.xlsx"' in page.get("/").text
    for suffix in (".csv", ".csv?detail=true", ".xlsx"):
        mine = page.get(f"/page/payroll/{period}{suffix}")
        api = page.get(f"/api/v1/payroll/{period}{suffix}", headers=bearer(principals, who))
        assert mine.status_code == 200 and mine.content == api.content
        assert mine.headers["content-disposition"] == api.headers["content-disposition"]
    assert page.get("/page/payroll/2026-13.csv").status_code == 404


@pytest.mark.parametrize("who", ["logistics-desk", "cc-lead", "ops-admin"])
def test_other_roles_get_no_payroll(page: TestClient, principals: Principals,
                                    ledger_fixture: Fixture, who: str) -> None:
    sign_in(page, principals, who)
    assert page.get(f"/page/payroll/{ledger_fixture.period}.csv").status_code == 403
    assert 'id="payroll"' not in page.get("/").text


@pytest.mark.parametrize(("who", "shown"), [
    ("ceo", {"action-home-1", "action-home-2", "action-other-1"}),
    ("cc-lead", {"action-home-1", "action-home-2", "action-other-1"}),
    ("logistics-desk", {"action-home-1", "action-home-2"}),
    ("hr-payroll", set())])
def test_the_corrective_actions_section_follows_the_apis_rule(
        page: TestClient, principals: Principals, who: str, shown: set[str]) -> None:
    import re  # noqa: PLC0415

    sign_in(page, principals, who)
    html = page.get("/?lang=en").text
    section = html[html.index('id="actions"'):html.index('id="scorecard"')]
    assert set(re.findall(r'data-action="([^"]+)"', section)) == shown
    if shown:  # the reviewed one: worked, its rates before and after
        assert "worked" in section and "0.97 → 0.14" in section
        assert ('action="/forms/fix"' in section) == (who == "logistics-desk")
    else:
        assert "Not shown to the HR role" in section
