"""401 for every way of not proving who you are, on every endpoint; tokens kept as hashes
only; a revoked or newly created token takes effect on the next request."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.principals import (
    TOKEN_PREFIX,
    PrincipalError,
    PrincipalRegistry,
    Role,
    add_principal,
    hash_token,
    read_principals,
    remove_principal,
)
from tests.api.conftest import NOW, Fixture, Principals, bearer
from tests.api.test_access_matrix import CALLS, _url

UNPROVEN = {
    "no header": {},
    "empty bearer": {"Authorization": "Bearer "},
    "another scheme": {"Authorization": "Basic bG9naXN0aWNzOnNlY3JldA=="},
    "unknown token": {"Authorization": f"Bearer {TOKEN_PREFIX}not-a-token-anyone-holds"},
}


@pytest.mark.parametrize("how", sorted(UNPROVEN))
@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_every_endpoint_answers_401_with_a_bearer_challenge(
        call, how: str, client: TestClient, ledger_fixture: Fixture) -> None:
    response = client.request(call.method, _url(call, ledger_fixture), json=call.body,
                              headers=UNPROVEN[how])
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_an_unknown_token_is_told_apart_from_a_missing_one(client: TestClient) -> None:
    missing = client.get("/api/v1/me")
    unknown = client.get("/api/v1/me", headers=UNPROVEN["unknown token"])
    assert "error=" not in missing.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]


def test_health_is_open_and_names_nothing(client: TestClient, principals: Principals) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "ledger": "ok"}


def test_the_file_keeps_hashes_never_tokens(principals: Principals) -> None:
    text = principals.path.read_text()
    for token in principals.tokens.values():
        assert token.startswith(TOKEN_PREFIX) and len(token) >= len(TOKEN_PREFIX) + 43
        assert token not in text and token[len(TOKEN_PREFIX):] not in text
        assert hash_token(token) in text
    assert principals.path.stat().st_mode & 0o777 == 0o600


def test_tokens_are_new_every_time(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    tokens = {add_principal(path, f"p{i}", Role.HR, None, NOW)[1] for i in range(20)}
    assert len(tokens) == 20


def test_a_token_works_from_the_request_after_it_is_created_until_it_is_revoked(
        tmp_path) -> None:
    path = tmp_path / "principals.yaml"
    registry = PrincipalRegistry(path)
    assert registry.authenticate("slap_anything") is None  # no file yet: nobody
    principal, token = add_principal(path, "late-joiner", Role.EXECUTIVE, None, NOW)
    assert registry.authenticate(token) == principal
    remove_principal(path, "late-joiner")
    assert registry.authenticate(token) is None


def test_a_revoked_token_gets_401_at_once(client: TestClient, principals: Principals) -> None:
    _, token = add_principal(principals.path, "temp-exec", Role.EXECUTIVE, None, NOW)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["name"] == "temp-exec"
    remove_principal(principals.path, "temp-exec")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(principals, "ceo")).status_code == 200


@pytest.mark.parametrize(("text", "message"), [
    ("principals: {}\n", "no 'principals' list"),
    ("principals:\n- {name: a, role: boss, token_sha256: " + "0" * 64 + "}\n", "boss"),
    ("principals:\n- {name: a, role: department, token_sha256: " + "0" * 64 + "}\n",
     "department is required"),
    ("principals:\n- {name: a, role: hr}\n", "token_sha256"),
    ("principals: [\n", "not YAML"),
])
def test_a_broken_principals_file_is_refused_with_the_reason(tmp_path, text: str,
                                                              message: str) -> None:
    path = tmp_path / "principals.yaml"
    path.write_text(text)
    with pytest.raises(PrincipalError, match=message):
        read_principals(path)


def test_a_json_principals_file_is_read_too(tmp_path) -> None:
    path = tmp_path / "principals.json"
    digest = hash_token("slap_x")
    path.write_text('{"principals": [{"name": "cc", "role": "contact_center", '
                    f'"token_sha256": "{digest}"}}]}}')
    assert PrincipalRegistry(path).authenticate("slap_x").role is Role.CONTACT_CENTER


def test_a_principals_file_broken_while_serving_answers_503(
        client: TestClient, principals: Principals) -> None:
    saved = principals.path.read_text()
    try:
        principals.path.write_text("principals: [\n")
        response = client.get("/api/v1/me", headers=bearer(principals, "ceo"))
        assert response.status_code == 503
        assert "principals file" in response.json()["detail"]
    finally:
        principals.path.write_text(saved)
