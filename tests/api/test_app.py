"""The app around the routes: its document and docs page, what it answers when the ledger
is missing or unreachable (503, one sentence, never a traceback), and that it closes the
publisher when it stops."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api import ApiSettings, create_app, departments_of
from tests.api.conftest import CONFIG, FakePublisher, Principals, bearer


def _app(url: str, principals: Principals, publisher: FakePublisher):
    return create_app(ApiSettings(url, principals.path, publisher, departments_of(CONFIG)))


def test_the_document_and_the_docs_are_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "SLA Police API"
    assert all(path == "/health" or path.startswith("/api/v1/") for path in document["paths"])
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


def test_a_ledger_never_migrated_answers_503(tmp_path: Path, principals: Principals) -> None:
    app = _app(f"sqlite:///{tmp_path / 'empty.db'}", principals, FakePublisher())
    with TestClient(app) as client:
        response = client.get("/api/v1/penalties", headers=bearer(principals, "ceo"))
    assert response.status_code == 503
    assert response.json() == {"detail": "the ledger is unavailable; see the API's log"}


def test_an_unreachable_database_fails_health_and_reads(principals: Principals) -> None:
    app = _app("postgresql+psycopg://nobody@127.0.0.1:1/none", principals, FakePublisher())
    with TestClient(app) as client:
        health = client.get("/health")
        feed = client.get("/api/v1/penalties", headers=bearer(principals, "hr-payroll"))
    assert (health.status_code, health.json()) == (
        503, {"status": "unavailable", "ledger": "unreachable"})
    assert feed.status_code == 503


def test_the_publisher_is_closed_when_the_app_stops(tmp_path: Path,
                                                     principals: Principals) -> None:
    publisher = FakePublisher()
    with TestClient(_app(f"sqlite:///{tmp_path / 'l.db'}", principals, publisher)):
        assert not publisher.closed
    assert publisher.closed
