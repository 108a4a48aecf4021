"""``sla-police api`` as an operator runs it: refuses to start without principals or a
migrated ledger (one line), and once serving, its logs (uvicorn's access log included)
name paths and principals, never a token."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sla_police.cli import app
from tests.api.conftest import Fixture, Principals, bearer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_refuses_to_start_without_a_principals_file(
        tmp_path: Path, ledger_fixture: Fixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_DATABASE_URL", ledger_fixture.database_url)
    monkeypatch.setenv("SLA_PRINCIPALS", str(tmp_path / "none.yaml"))
    result = CliRunner().invoke(app, ["api", "--port", "1"])
    assert result.exit_code == 2
    assert "no principals file" in result.stderr and "token create" in result.stderr


def test_it_refuses_to_start_on_a_ledger_never_migrated(
        tmp_path: Path, principals: Principals, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SLA_PRINCIPALS", str(principals.path))
    result = CliRunner().invoke(app, ["api", "--port", "1"])
    assert result.exit_code == 2
    assert "has no schema" in result.stderr and "ledger migrate" in result.stderr


def _wait_until_serving(base: str, process: subprocess.Popen) -> None:
    for _ in range(300):  # bounded: about 60 s on a loaded machine
        if process.poll() is not None:
            pytest.fail(f"sla-police api exited with {process.returncode}")
        try:
            httpx.get(f"{base}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("sla-police api did not start serving")


def test_the_server_logs_requests_but_never_a_token(
        tmp_path: Path, ledger_fixture: Fixture, principals: Principals) -> None:
    port, log = _free_port(), tmp_path / "api.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
    env |= {"SLA_DATABASE_URL": ledger_fixture.database_url,
            "SLA_PRINCIPALS": str(principals.path), "SLA_LOG_LEVEL": "DEBUG"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sla_police", "api", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process)
        headers = bearer(principals, "logistics-desk")
        me = httpx.get(f"{base}/api/v1/me", headers=headers, timeout=10)
        dispute = httpx.post(f"{base}/api/v1/tickets/{ledger_fixture.home_ticket}/disputes",
                             json={"reason": "not ours"}, headers=headers, timeout=10)
        bad = httpx.get(f"{base}/api/v1/me", headers={"Authorization": "Bearer slap_wrong"},
                        timeout=10)
        lookup = httpx.get(f"{base}/api/v1/callers/c-secret-7f3e/block",
                           headers=bearer(principals, "ivr-1"), timeout=10)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert (me.status_code, dispute.status_code, bad.status_code) == (200, 503, 401)
    assert lookup.status_code == 200 and lookup.json()["caller"] == "c-secret-7f3e"
    assert "SLA_KAFKA_BOOTSTRAP" in dispute.json()["detail"]
    text = log.read_text()
    assert "/api/v1/me" in text and "/disputes" in text  # the access log names paths
    for token in principals.tokens.values():
        assert token not in text and token[len("slap_"):][:12] not in text
    assert "slap_wrong" not in text and "Authorization" not in text
    assert "/api/v1/callers/<caller>/block" in text and "c-secret-7f3e" not in text
