"""Every role against every endpoint: what each principal may read or do, and what it is
refused (403), including a department reading, listing or disputing another department's
tickets. A new endpoint without rows here fails the coverage test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    BURST_CALLER,
    CONFIG,
    FREE_CALLER,
    HOME,
    HOME_ACTION,
    OPEN_AUDIT,
    OPEN_DISPUTE,
    OTHER_ACTION,
    PENDING_REQUEST,
    PRINCIPALS,
    QA_BREACH,
    UPHELD_DISPUTE,
    FakePublisher,
    Fixture,
    Principals,
    bearer,
)

#: The contact center: its staff and its leads (who decide and lift blocks).
CONTACT_CENTER = {"cc-lead", "cc-head", "cc-head-2"}
LEADS = {"cc-head", "cc-head-2"}
READERS = {"logistics-desk", "billing-desk", "hr-payroll", "ceo", *CONTACT_CENTER}
#: Every principal but the IVR, which may only ask whether a caller is blocked.
EVERYONE = set(PRINCIPALS) - {"ivr-1"}
#: Who reads disputes: both departments (their own), executives and the contact center.
QUEUE_READERS = READERS - {"hr-payroll"}


@dataclass(frozen=True)
class Call:
    """One request and the principals allowed to make it (all others get 403)."""

    name: str
    method: str
    route: str               #: the OpenAPI path it exercises
    url: str                 #: with {home}, {other}, {period} filled from the fixture
    allowed: frozenset[str]
    body: dict[str, Any] | None = None
    status: int = 200


CALLS = [
    Call("me", "GET", "/api/v1/me", "/api/v1/me", frozenset(EVERYONE)),
    Call("worklist", "GET", "/api/v1/worklist", "/api/v1/worklist", frozenset(QUEUE_READERS)),
    Call("worklist of logistics", "GET", "/api/v1/worklist",
         f"/api/v1/worklist?department={HOME}&breached=false",
         frozenset(QUEUE_READERS - {"billing-desk"})),
    Call("principals", "GET", "/api/v1/principals", "/api/v1/principals",
         frozenset({"ops-admin"})),
    Call("penalty feed", "GET", "/api/v1/penalties", "/api/v1/penalties", frozenset(READERS)),
    Call("penalty feed of logistics", "GET", "/api/v1/penalties",
         f"/api/v1/penalties?department={HOME}", frozenset(READERS - {"billing-desk"})),
    Call("penalty report", "GET", "/api/v1/reports/penalties",
         "/api/v1/reports/penalties?period={period}", frozenset(READERS)),
    Call("penalty report of logistics", "GET", "/api/v1/reports/penalties",
         f"/api/v1/reports/penalties?period={{period}}&department={HOME}",
         frozenset(READERS - {"billing-desk"})),
    Call("breach report", "GET", "/api/v1/reports/breaches",
         "/api/v1/reports/breaches?period={period}", frozenset(READERS)),
    Call("breach report of logistics", "GET", "/api/v1/reports/breaches",
         f"/api/v1/reports/breaches?period={{period}}&department={HOME}",
         frozenset(READERS - {"billing-desk"})),
    Call("scorecard", "GET", "/api/v1/reports/scorecard",
         "/api/v1/reports/scorecard?month={period}", frozenset(READERS)),
    Call("payroll csv", "GET", "/api/v1/payroll/{period}.csv",
         "/api/v1/payroll/{period}.csv?detail=true", frozenset({"hr-payroll", "ceo"})),
    Call("payroll xlsx", "GET", "/api/v1/payroll/{period}.xlsx",
         "/api/v1/payroll/{period}.xlsx", frozenset({"hr-payroll", "ceo"})),
    Call("logistics ticket", "GET", "/api/v1/tickets/{ticket}", "/api/v1/tickets/{home}",
         frozenset(READERS - {"billing-desk"})),
    Call("billing ticket", "GET", "/api/v1/tickets/{ticket}", "/api/v1/tickets/{other}",
         frozenset(READERS - {"logistics-desk"})),
    Call("dispute logistics ticket", "POST", "/api/v1/tickets/{ticket}/disputes",
         "/api/v1/tickets/{home}/disputes", frozenset({"logistics-desk"}),
         {"reason": "the parcel never reached us"}, 202),
    Call("dispute billing ticket", "POST", "/api/v1/tickets/{ticket}/disputes",
         "/api/v1/tickets/{other}/disputes", frozenset({"billing-desk"}),
         {"reason": "not a billing matter"}, 202),
    Call("dispute queue", "GET", "/api/v1/disputes", "/api/v1/disputes",
         frozenset(QUEUE_READERS)),
    Call("dispute queue of logistics", "GET", "/api/v1/disputes",
         f"/api/v1/disputes?department={HOME}&status=open",
         frozenset(QUEUE_READERS - {"billing-desk"})),
    Call("open dispute of logistics", "GET", "/api/v1/disputes/{dispute_id}",
         f"/api/v1/disputes/{OPEN_DISPUTE}", frozenset(QUEUE_READERS - {"billing-desk"})),
    Call("dispute upheld from logistics to billing", "GET", "/api/v1/disputes/{dispute_id}",
         f"/api/v1/disputes/{UPHELD_DISPUTE}", frozenset(QUEUE_READERS)),
    Call("rule a dispute", "POST", "/api/v1/disputes/{dispute_id}/ruling",
         f"/api/v1/disputes/{OPEN_DISPUTE}/ruling", frozenset(CONTACT_CENTER),
         {"outcome": "upheld", "to_department": "stores", "reason": "store lost it"}, 202),
    Call("corrective actions", "GET", "/api/v1/corrective-actions",
         "/api/v1/corrective-actions", frozenset(QUEUE_READERS)),
    Call("corrective actions of logistics", "GET", "/api/v1/corrective-actions",
         f"/api/v1/corrective-actions?department={HOME}&status=open",
         frozenset(QUEUE_READERS - {"billing-desk"})),
    Call("fix a logistics action", "POST", "/api/v1/corrective-actions/{action_id}/fix",
         f"/api/v1/corrective-actions/{HOME_ACTION}/fix", frozenset({"logistics-desk"}),
         {"what_changed": "second courier", "changed_at": "2026-11-24T09:00:00+08:00"}, 202),
    Call("fix a billing action", "POST", "/api/v1/corrective-actions/{action_id}/fix",
         f"/api/v1/corrective-actions/{OTHER_ACTION}/fix", frozenset({"billing-desk"}),
         {"what_changed": "invoice check", "changed_at": "2026-11-24T09:00:00+08:00"}, 202),
    Call("authority report", "GET", "/api/v1/reports/authority",
         "/api/v1/reports/authority?period={period}",
         frozenset({"ceo", *CONTACT_CENTER, "qa-auditor"})),
    Call("audit queue", "GET", "/api/v1/audits", "/api/v1/audits?status=open",
         frozenset({"qa-auditor", *CONTACT_CENTER})),
    Call("audit verdict", "POST", "/api/v1/audits/{audit_id}/verdict",
         f"/api/v1/audits/{OPEN_AUDIT}/verdict", frozenset({"qa-auditor"}),
         {"verdict": "compliant", "note": "approval on file"}, 202),
    Call("a blocked caller", "GET", "/api/v1/callers/{caller}/block",
         f"/api/v1/callers/{BURST_CALLER}/block", frozenset({"ivr-1", *CONTACT_CENTER})),
    Call("a free caller", "GET", "/api/v1/callers/{caller}/block",
         f"/api/v1/callers/{FREE_CALLER}/block", frozenset({"ivr-1", *CONTACT_CENTER})),
    Call("active blocks", "GET", "/api/v1/blocks", "/api/v1/blocks?by=rule&period=day",
         frozenset(CONTACT_CENTER)),
    Call("block requests waiting", "GET", "/api/v1/block-requests", "/api/v1/block-requests",
         frozenset(CONTACT_CENTER)),
    Call("request a block", "POST", "/api/v1/blocks", "/api/v1/blocks",
         frozenset(CONTACT_CENTER), {"caller": "c-abusive", "period": "week",
                                     "reason": "abusive again",
                                     "evidence": ["call-c-abusive-0"]}, 202),
    Call("approve a block", "POST", "/api/v1/blocks/{request_id}/decision",
         f"/api/v1/blocks/{PENDING_REQUEST}/decision", frozenset(LEADS),
         {"decision": "approved"}, 202),
    Call("lift a block", "POST", "/api/v1/blocks/{block_id}/lift",
         "/api/v1/blocks/{block}/lift", frozenset(LEADS), {"reason": "called to apologise"},
         202),
    Call("QA queue", "GET", "/api/v1/qa-items", "/api/v1/qa-items?status=open&team=east",
         frozenset({"qa-auditor", *CONTACT_CENTER})),
    Call("QA verdict", "POST", "/api/v1/qa-items/{qa_id}/verdict",
         f"/api/v1/qa-items/{QA_BREACH}/verdict", frozenset({"qa-auditor"}),
         {"verdict": "non_compliant", "note": "hung up on a resolved call"}, 202),
    Call("QA report", "GET", "/api/v1/reports/qa",
         "/api/v1/reports/qa?from=2026-11-01&to=2026-11-30",
         frozenset({"qa-auditor", "ceo", *CONTACT_CENTER})),
    Call("calls report", "GET", "/api/v1/reports/calls",
         "/api/v1/reports/calls?change=2026-11-20&window=30d",
         frozenset({"ceo", *CONTACT_CENTER})),
]


def _url(call: Call, fixture: Fixture) -> str:
    return call.url.format(home=fixture.home_ticket, other=fixture.other_ticket,
                           period=fixture.period, block=fixture.burst_block)


@pytest.mark.parametrize("name", sorted(PRINCIPALS))
@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_each_role_may_do_what_it_is_for_and_nothing_else(
        call: Call, name: str, client: TestClient, principals: Principals,
        publisher: FakePublisher, ledger_fixture: Fixture) -> None:
    response = client.request(call.method, _url(call, ledger_fixture), json=call.body,
                              headers=bearer(principals, name))
    if name in call.allowed:
        assert response.status_code == call.status, response.text
        assert len(publisher.events) == (1 if call.method == "POST" else 0)
    else:
        assert response.status_code == 403, response.text
        assert response.json()["detail"]
        assert publisher.events == []


def test_the_matrix_covers_every_endpoint(client: TestClient) -> None:
    routes = {(method.upper(), path)
              for path, operations in client.get("/openapi.json").json()["paths"].items()
              for method in operations if path != "/health"}
    assert routes == {(call.method, call.route) for call in CALLS}


def test_a_department_sees_only_its_own_rows(client: TestClient, principals: Principals,
                                             ledger_fixture: Fixture) -> None:
    headers = bearer(principals, "logistics-desk")
    period = ledger_fixture.period
    feed = client.get("/api/v1/penalties?limit=1000", headers=headers).json()["items"]
    penalties = client.get(f"/api/v1/reports/penalties?period={period}", headers=headers)
    breaches = client.get(f"/api/v1/reports/breaches?period={period}", headers=headers)
    ticket = client.get(f"/api/v1/tickets/{ledger_fixture.home_ticket}", headers=headers)
    assert feed and {item["department"] for item in feed} == {HOME}
    assert {row["department"] for row in penalties.json()["rows"]} == {HOME}
    assert {row["department"] for row in breaches.json()["rows"]} == {HOME}
    card = client.get(f"/api/v1/reports/scorecard?month={period}", headers=headers).json()
    assert [row["department"] for row in card["rows"]] == [HOME]
    assert card["rows"][0]["values"]["rank"] is not None and card["ranked"] > 1
    assert {p["department"] for p in ticket.json()["penalties"]} == {HOME}


def test_without_a_department_filter_the_others_see_every_department(
        client: TestClient, principals: Principals, ledger_fixture: Fixture) -> None:
    for name in ("hr-payroll", "ceo", "cc-lead"):
        feed = client.get("/api/v1/penalties?limit=1000",
                          headers=bearer(principals, name)).json()["items"]
        assert len({item["department"] for item in feed}) > 2
        card = client.get(f"/api/v1/reports/scorecard?month={ledger_fixture.period}",
                          headers=bearer(principals, name)).json()
        assert {row["department"] for row in card["rows"]} == set(CONFIG.departments)
