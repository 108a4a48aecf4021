"""The status page at ``/`` through the app (TestClient): the session cookie's flags,
signing in and out, the redirect to the sign-in form, the language, and what each role
sees, on the API tests' ledger (a simulated day replayed and imported)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from api.page import ClosestClock, signin_link
from api.page.session import LANG_COOKIE, SESSION_COOKIE
from sla.calendar import build_calendars
from tests.api.conftest import (
    CONFIG,
    HOME,
    OTHER,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
)

#: 20:00 in Shanghai on the simulated day: "today" has clocks met and breached.
PAGE_NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
NAMES = departments_of(CONFIG)


@contextmanager
def page_client(fixture: Fixture, principals: Principals, base_url: str = "http://testserver",
                **overrides: Any) -> Iterator[TestClient]:
    """The app on the test ledger at :data:`PAGE_NOW`; redirects are not followed."""
    options: dict[str, Any] = dict(
        database_url=fixture.database_url, principals_path=principals.path,
        publisher=FakePublisher(), departments=NAMES, timezone=CONFIG.timezone,
        clock=lambda: PAGE_NOW, dispute_deadline=CONFIG.dispute_deadline,
        calendars=build_calendars(CONFIG.calendars))
    with TestClient(create_app(ApiSettings(**(options | overrides))), base_url=base_url,
                    follow_redirects=False) as client:
        yield client


@pytest.fixture
def page(ledger_fixture: Fixture, principals: Principals) -> Iterator[TestClient]:
    with page_client(ledger_fixture, principals) as client:
        yield client


def sign_in(client: TestClient, principals: Principals, name: str) -> None:
    response = client.post("/signin", data={"token": principals.tokens[name]})
    assert response.status_code == 303 and response.headers["location"] == "/"


def rows_departments(html: str) -> set[str]:
    return set(re.findall(r'<tr data-department="([^"]+)"', html))


def test_without_a_session_the_page_redirects_to_the_sign_in_form(page: TestClient) -> None:
    response = page.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    form = page.get("/signin")
    assert form.status_code == 200 and 'id="signin-form"' in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store"


def test_signing_in_sets_an_httponly_strict_cookie_that_only_the_page_reads(
        page: TestClient, principals: Principals) -> None:
    response = page.post("/signin", data={"token": principals.tokens["ceo"]})
    cookie = response.headers["set-cookie"]
    assert response.status_code == 303 and cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert page.get("/").status_code == 200
    assert page.get("/api/v1/me").status_code == 401  # the JSON API wants a bearer token


def test_over_https_the_cookie_is_secure(ledger_fixture: Fixture,
                                         principals: Principals) -> None:
    with page_client(ledger_fixture, principals, base_url="https://testserver") as client:
        response = client.post("/signin", data={"token": principals.tokens["ceo"]})
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(("data", "status", "sentence"), [
    ({"token": "slap_not-a-token"}, 401, "This token is not valid"),
    ({"token": "  "}, 400, "Enter a token."),
    ({}, 400, "Enter a token."),
])
def test_a_bad_token_gets_the_form_again_with_a_sentence(
        page: TestClient, data: dict[str, str], status: int, sentence: str) -> None:
    response = page.post("/signin", data=data)
    assert response.status_code == status and sentence in response.text
    assert 'id="signin-form"' in response.text and "Traceback" not in response.text
    assert "set-cookie" not in response.headers


def test_a_form_posted_from_another_site_is_refused(page: TestClient,
                                                    principals: Principals) -> None:
    response = page.post("/signin", data={"token": principals.tokens["ceo"]},
                         headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "set-cookie" not in response.headers


def test_signing_out_forgets_the_cookie(page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "ceo")
    response = page.post("/signout")
    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert 'sla_session=""' in response.headers["set-cookie"]
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert page.get("/").status_code == 303


def test_a_cookie_whose_token_no_longer_works_is_dropped(page: TestClient) -> None:
    page.cookies.set(SESSION_COOKIE, "slap_revoked-or-never-issued")
    response = page.get("/")
    assert response.status_code == 303 and 'sla_session=""' in response.headers["set-cookie"]


def test_the_language_from_the_query_is_remembered(page: TestClient,
                                                  principals: Principals) -> None:
    sign_in(page, principals, "ceo")
    chinese = page.get("/?lang=zh")
    assert chinese.status_code == 200 and "达标率" in chinese.text
    assert f"{LANG_COOKIE}=zh" in chinese.headers["set-cookie"]
    assert '<html lang="zh-CN">' in page.get("/").text  # the cookie, no query
    english = page.get("/?lang=en")
    assert "Attainment" in english.text and "达标率" not in english.text
    assert NAMES[HOME] in english.text  # the policy has one display name per department


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-US,en;q=0.9,zh;q=0.8", "en"),
    ("fr-FR, zh;q=0.5", "zh-CN"), ("en;q=0.3, zh-TW;q=0.7", "zh-CN"), ("de", "en"), ("", "en"),
])
def test_without_a_choice_accept_language_decides(page: TestClient, header: str,
                                                  expected: str) -> None:
    response = page.get("/signin", headers={"Accept-Language": header})
    assert f'<html lang="{expected}">' in response.text
    assert "set-cookie" not in response.headers


def test_a_department_sees_its_own_department_only(page: TestClient,
                                                   principals: Principals) -> None:
    sign_in(page, principals, "logistics-desk")
    html = page.get("/").text
    assert rows_departments(html) == {HOME}
    for key, name in NAMES.items():
        assert (name in html) == (key == HOME), key
    assert 'id="disputes"' in html and "dispute" in html.lower()
    assert re.search(r'<section class="card" id="disputes">.*?<tr data-department', html,
                     re.S), "the open dispute of the fixture is shown"


def test_every_department_for_an_executive_and_no_disputes_for_hr(
        page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "ceo")
    html = page.get("/").text
    assert set(NAMES) <= rows_departments(html)
    assert '<meta http-equiv="refresh" content="15">' in html
    sign_in(page, principals, "hr-payroll")
    hr = page.get("/").text
    disputes = hr[hr.index('id="disputes"'):]
    assert "Not shown to the HR role." in disputes and "<table>" not in disputes


def test_an_admin_reads_no_business_data(page: TestClient, principals: Principals) -> None:
    sign_in(page, principals, "ops-admin")
    html = page.get("/").text
    assert "reads no business data" in html and "<table>" not in html


def test_closest_to_breach_shows_the_first_rows_of_the_worklist(
        page: TestClient, principals: Principals) -> None:
    for who in ("ceo", "logistics-desk"):
        first = page.get("/api/v1/worklist?limit=1", headers=bearer(principals, who)).json()
        [ticket] = [item["ticket"] for item in first["items"]]
        sign_in(page, principals, who)
        section = page.get("/").text.split('id="closest"', 1)[1].split("</section>", 1)[0]
        assert f'data-ticket="{ticket}"' in section, who
        departments = set(re.findall(r'data-department="([^"]+)"', section))
        assert departments == ({HOME} if who == "logistics-desk" else departments) != set()
    sign_in(page, principals, "hr-payroll")
    section = page.get("/").text.split('id="closest"', 1)[1].split("</section>", 1)[0]
    assert "data-ticket" not in section  # HR's business is pay, not tickets


def test_a_plugged_in_worklist_is_shown_within_the_principals_department(
        ledger_fixture: Fixture, principals: Principals) -> None:
    asked: list[str | None] = []

    def closest(_engine: Any, department: str | None, now: datetime,
                limit: int) -> list[ClosestClock]:
        asked.append(department)
        due = now + timedelta(minutes=30)
        return [ClosestClock("T-HOME-1", HOME, "resolve", "p3", due, 1800, warned=True),
                ClosestClock("T-OTHER-1", OTHER, "resolve", "p3", due, -60)]

    with page_client(ledger_fixture, principals, closest_to_breach=closest) as client:
        sign_in(client, principals, "logistics-desk")
        own = client.get("/").text
        sign_in(client, principals, "ceo")
        everyone = client.get("/").text
    assert asked == [HOME, None]
    assert "T-HOME-1" in own and "T-OTHER-1" not in own  # dropped even if the plug errs
    assert "T-HOME-1" in everyone and "T-OTHER-1" in everyone and "-1m" in everyone


def test_an_unreachable_ledger_is_a_short_page_not_a_traceback(
        tmp_path: Path, ledger_fixture: Fixture, principals: Principals) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'ledger.db'}"
    with page_client(ledger_fixture, principals, database_url=url) as client:
        sign_in(client, principals, "ceo")
        response = client.get("/")
    assert response.status_code == 503 and "unavailable" in response.text
    assert "Traceback" not in response.text and "<html" in response.text


def test_the_page_is_not_in_the_openapi_document(page: TestClient) -> None:
    paths = page.get("/openapi.json").json()["paths"]
    assert not {"/", "/signin", "/signout"} & set(paths)


def test_the_sign_in_link_carries_the_token_in_the_fragment() -> None:
    assert signin_link("http://127.0.0.1:8080/", "slap_a-b_c") == \
        "http://127.0.0.1:8080/signin#token=slap_a-b_c"


def test_the_static_files_are_served_and_nothing_else(page: TestClient) -> None:
    assert page.get("/page/static/page.css").headers["content-type"].startswith("text/css")
    assert "form.submit()" in page.get("/page/static/signin.js").text
    assert page.get("/page/static/../app.py").status_code == 404
    assert page.get("/page/static/secrets.txt").status_code == 404


def test_the_ivr_has_no_status_page(principals, ledger_fixture) -> None:
    """The IVR's token only asks whether a caller is blocked: signing in with it is refused."""
    from tests.api.conftest import FakePublisher

    settings = ApiSettings(database_url=ledger_fixture.database_url,
                           principals_path=principals.path, publisher=FakePublisher(),
                           departments=departments_of(CONFIG))
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        response = client.post("/signin", data={"token": principals.tokens["ivr-1"]},
                               headers={"Origin": "http://testserver"},
                               follow_redirects=False)
        assert response.status_code == 403 and "ivr role" in response.text
        client.cookies.set(SESSION_COOKIE, principals.tokens["ivr-1"])
        assert client.get("/", follow_redirects=False).status_code == 303
