"""``sla-police up``'s API child (:mod:`sla_police.api_process`), as a real process: it
serves the ledger, policy and principals it is given, stops when told, and a start that
fails (the port is taken) says why instead of leaving ``up`` waiting."""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.principals import Role, add_principal
from ledger import Ledger
from sla_police.api_process import ApiProcess, ApiProcessError, ApiTarget
from streams.testing import free_port
from tests.integration.stream_oracle import CONFIG_PATH


def _target(tmp_path: Path, port: int) -> ApiTarget:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger(url, timezone="Asia/Shanghai") as ledger:
        ledger.migrate()
    return ApiTarget(host="127.0.0.1", port=port, database_url=url, config=CONFIG_PATH,
                     principals=tmp_path / "principals.yaml",
                     kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path)


def test_the_child_serves_the_given_stores_and_stops(tmp_path: Path) -> None:
    target = _target(tmp_path, free_port())
    token = add_principal(target.principals, "ceo", Role.EXECUTIVE, None,
                          datetime(2026, 11, 25, tzinfo=UTC))[1]
    child = ApiProcess(target, tmp_path / "api.log").start()
    try:
        assert child.wait_ready() == {"status": "ok", "ledger": "ok"}
        request = urllib.request.Request(f"{target.base_url}/api/v1/me",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["name"] == "ceo"
        pid = child.pid
    finally:
        child.stop()
    assert pid is not None and not Path(f"/proc/{pid}").exists() and child.pid is None
    assert token not in (tmp_path / "api.log").read_text()


def test_a_port_in_use_fails_the_start_with_the_childs_reason(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        target = _target(tmp_path, taken.getsockname()[1])
        add_principal(target.principals, "ceo", Role.EXECUTIVE, None,
                      datetime(2026, 11, 25, tzinfo=UTC))
        child = ApiProcess(target, tmp_path / "api.log").start()
        with pytest.raises(ApiProcessError, match="exited with code") as failure:
            child.wait_ready()
    assert "address already in use" in str(failure.value).lower()


def test_a_wildcard_bind_is_reached_on_loopback(tmp_path: Path) -> None:
    base = dict(port=8080, database_url="sqlite://", config=CONFIG_PATH,
                principals=tmp_path / "p.yaml", kafka_bootstrap="k:9092", data_dir=tmp_path)
    assert ApiTarget(host="0.0.0.0", **base).base_url == "http://127.0.0.1:8080"
    assert ApiTarget(host="::", **base).base_url == "http://[::1]:8080"
