"""schemathesis against the API's own OpenAPI document, with a valid token of each role, on
the ledger of a replayed simulated day: whatever it generates (valid and invalid queries,
paths and bodies), no answer is a 5xx, every status is one the document lists, and every
body matches its documented schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import ApiSettings, create_app, departments_of
from tests.api.conftest import CONFIG, PRINCIPALS, FakePublisher, Principals, bearer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

#: The document does not depend on the data: it is read from an app on an empty database;
#: the calls go to the fixture's app on the filled ledger.
_DOCUMENT_APP = create_app(ApiSettings("sqlite://", Path("unused"), FakePublisher(),
                                       departments_of(CONFIG)))
schema = schemathesis.openapi.from_asgi("/openapi.json", _DOCUMENT_APP)


#: One principal of each role: the role decides what an endpoint answers (the access matrix
#: checks every principal; a second desk or lead would fuzz the same code again).
FUZZED = sorted({role: name for name, (role, _) in sorted(PRINCIPALS.items(),
                                                           reverse=True)}.values())


@pytest.mark.parametrize("name", FUZZED)
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_breaks_the_api_or_its_contract(case, name: str, client: TestClient,
                                                   principals: Principals) -> None:
    case.call_and_validate(headers=bearer(principals, name), checks=CHECKS, app=client.app)
