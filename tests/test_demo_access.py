"""The demo's principals (``sla-police up --demo``): one of each kind of user, tokens that
work, only hashes on disk, replaced on each run; and the sign-in link's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from api.principals import PrincipalRegistry, Role, read_principals
from sla.config import load_config
from sla_police.demo_access import demo_department, signin_link, write_demo_principals
from tests.integration.stream_oracle import CONFIG_PATH

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_demo_principals_are_one_of_each_user_and_their_tokens_authenticate(
        tmp_path: Path) -> None:
    path = tmp_path / "demo-principals.yaml"
    made = write_demo_principals(path, load_config(CONFIG_PATH).departments, NOW)
    assert {(p.role, p.department) for p in made} == {
        (Role.EXECUTIVE, None), (Role.HR, None), (Role.CONTACT_CENTER, None),
        (Role.CONTACT_CENTER_LEAD, None), (Role.AUDITOR, None), (Role.IVR, None),
        (Role.DEPARTMENT, "logistics")}
    registry = PrincipalRegistry(path)
    for p in made:
        found = registry.authenticate(p.token)
        assert found is not None and (found.name, found.role) == (p.name, p.role)
    text = path.read_text()
    assert not any(p.token in text for p in made)
    assert path.stat().st_mode & 0o077 == 0


def test_each_demo_run_replaces_the_tokens_of_the_last(tmp_path: Path) -> None:
    path = tmp_path / "demo-principals.yaml"
    first = write_demo_principals(path, ["logistics", "billing"], NOW)
    second = write_demo_principals(path, ["logistics", "billing"], NOW)
    registry = PrincipalRegistry(path)
    assert all(registry.authenticate(p.token) is None for p in first)
    assert all(registry.authenticate(p.token) is not None for p in second)
    assert len(read_principals(path)) == 7


def test_the_demo_department_is_one_of_the_simulated_traffic_the_policy_knows() -> None:
    assert demo_department(["triage", "billing", "logistics"]) == "logistics"
    assert demo_department(["billing", "it"]) == "billing"
    assert demo_department(["audit"]) == "audit"  # none simulated: still a real department


def test_the_sign_in_link_keeps_the_token_in_the_fragment() -> None:
    link = signin_link("http://127.0.0.1:8080", "slap_abc")
    assert link == "http://127.0.0.1:8080/signin#token=slap_abc"
