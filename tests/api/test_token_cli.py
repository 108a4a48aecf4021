"""``sla-police api token create / list / revoke``: the token is printed once, alone on
the last line; the file never holds it; mistakes are one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.principals import TOKEN_PREFIX, PrincipalRegistry, Role, read_principals
from sla_police.cli import app


def _cli(*args: str):
    return CliRunner().invoke(app, ["api", "token", *args])


def test_create_prints_the_token_alone_on_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    result = _cli("create", "--name", "logistics-desk", "--role", "department",
                  "--department", "logistics", "--principals", str(path))
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token.startswith(TOKEN_PREFIX) and " " not in token
    assert token not in path.read_text()
    principal = PrincipalRegistry(path).authenticate(token)
    assert (principal.name, principal.role, principal.department) == (
        "logistics-desk", Role.DEPARTMENT, "logistics")


def test_list_shows_principals_but_no_secret_and_revoke_removes_one(tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    tokens = [_cli("create", "--name", name, "--role", role, "--principals",
                   str(path)).stdout.splitlines()[-1]
              for name, role in (("hr-payroll", "hr"), ("ceo", "executive"))]
    listed = _cli("list", "--principals", str(path))
    assert listed.exit_code == 0
    assert "hr-payroll" in listed.stdout and "executive" in listed.stdout
    hashes = [p.token_sha256 for p in read_principals(path)]
    assert not any(secret[:16] in listed.stdout for secret in tokens + hashes)
    revoked = _cli("revoke", "--name", "ceo", "--principals", str(path))
    assert revoked.exit_code == 0 and "revoked principal ceo" in revoked.stdout
    registry = PrincipalRegistry(path)
    assert registry.authenticate(tokens[1]) is None
    assert registry.authenticate(tokens[0]).name == "hr-payroll"


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "x", "--role", "boss"], "--role 'boss'"),
    (["--name", "x", "--role", "department"], "department is required"),
    (["--name", "x", "--role", "hr", "--department", "logistics"], "refused for the others"),
    (["--name", "x", "--role", "department", "--department", "moon"], "not in the policy"),
    (["--name", "has space", "--role", "hr"], "principal name"),
    (["--name", "dup", "--role", "hr"], "exists"),
])
def test_create_refuses_mistakes_in_one_line(tmp_path: Path, args: list[str],
                                             message: str) -> None:
    path = tmp_path / "principals.yaml"
    assert _cli("create", "--name", "dup", "--role", "admin",
                "--principals", str(path)).exit_code == 0
    before = path.read_text()
    result = _cli("create", *args, "--principals", str(path))
    assert result.exit_code != 0
    assert message in result.stderr and "Traceback" not in result.output
    assert path.read_text() == before


def test_revoking_an_unknown_principal_says_so(tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    _cli("create", "--name", "a", "--role", "admin", "--principals", str(path))
    result = _cli("revoke", "--name", "b", "--principals", str(path))
    assert result.exit_code != 0 and "no principal named 'b'" in result.stderr


def test_the_principals_file_comes_from_sla_principals(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "from-env.yaml"
    monkeypatch.setenv("SLA_PRINCIPALS", str(path))
    assert _cli("create", "--name", "a", "--role", "admin").exit_code == 0
    assert [p.name for p in read_principals(path)] == ["a"]


@pytest.mark.parametrize("role", ["contact_center_lead", "ivr"])
def test_the_calls_roles_get_tokens(role: str, tmp_path: Path) -> None:
    path = tmp_path / "principals.yaml"
    created = _cli("create", "--name", f"the-{role}", "--role", role, "--principals", str(path))
    assert created.exit_code == 0, created.output
    [principal] = read_principals(path)
    assert principal.role == Role(role) and principal.department is None
    assert "contact_center_lead" in _cli("create", "--help").stdout
