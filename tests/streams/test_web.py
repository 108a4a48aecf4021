"""A worker's ``/tickets/{id}/`` shows raw internal state, so it answers only a bearer token
the shell's check allows: no token or an unknown one is 401 with a challenge, a role that
may not is 403, unreadable principals 503; the token is never echoed back."""

from __future__ import annotations

import pytest

from streams.web import Access, ticket_access_denied

TOKEN = "slap_" + "x" * 43


def _verdicts(verdict: Access) -> tuple[list[str], object]:
    seen: list[str] = []

    def authorize(token: str) -> Access:
        seen.append(token)
        return verdict

    return seen, authorize


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", f"Basic {TOKEN}", TOKEN])
def test_without_a_bearer_token_the_answer_is_401_and_nothing_is_checked(
        header: str | None) -> None:
    seen, authorize = _verdicts(Access.ALLOWED)
    status, message, headers = ticket_access_denied(header, authorize)
    assert (status, headers) == (401, {"WWW-Authenticate": 'Bearer realm="sla-police"'})
    assert "bearer token is required" in message and seen == []


@pytest.mark.parametrize(("verdict", "status"), [
    (Access.UNKNOWN, 401), (Access.FORBIDDEN, 403), (Access.UNAVAILABLE, 503)])
def test_a_token_the_check_refuses(verdict: Access, status: int) -> None:
    seen, authorize = _verdicts(verdict)
    answer = ticket_access_denied(f"Bearer {TOKEN}", authorize)
    assert answer is not None and answer[0] == status
    assert TOKEN not in answer[1] and seen == [TOKEN]
    if status == 401:
        assert answer[2]["WWW-Authenticate"].endswith('error="invalid_token"')


def test_an_allowed_token_passes_whatever_the_schemes_case() -> None:
    seen, authorize = _verdicts(Access.ALLOWED)
    assert ticket_access_denied(f"bearer {TOKEN}", authorize) is None
    assert ticket_access_denied(f"Bearer {TOKEN}", authorize) is None
    assert seen == [TOKEN, TOKEN]
