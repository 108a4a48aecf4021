"""``sla-police up --demo`` (what ``make run`` runs), as a user runs it: a real process tree
on the embedded broker, driven only through what it prints and the ports it serves.

It must start the worker and the API on the same ledger, print the demo principals' tokens
once (and write only their hashes), answer ``/health`` and an authenticated
``/api/v1/me``, show the demo traffic's penalties through the API, and leave no child
behind when it gets SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streams.testing import free_port
from tests.integration.stream_oracle import CONFIG_PATH

pytestmark = pytest.mark.integration

_TOKEN_LINE = re.compile(r"^\s+(demo-\S+)\s+(\S+)(?: (\S+))?\s+(slap_[A-Za-z0-9_-]{43})$")


def _until(check: Callable[[], object], what: str, timeout: float,
           alive: subprocess.Popen | None = None, log: Path | None = None) -> object:
    """``check()``'s first truthy value, polled; fails if ``alive`` exits or time is up."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if alive is not None and alive.poll() is not None:
            pytest.fail(f"up exited ({alive.returncode}) before {what}:\n"
                        f"{log.read_text() if log else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                     if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _descendants(pid: int) -> dict[int, str]:
    """{pid: command line} of every process under ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found[child] = _cmdline(child) or "?"
        todo += children.get(child, [])
    return found


def _cmdline(pid: int) -> str | None:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                .decode(errors="replace").strip())
    except OSError:
        return None


def _printed_tokens(printed: str, base: str) -> dict[str, tuple[str, str | None, str]]:
    """{name: (role, department, token)} of the demo principals ``up`` printed, after
    checking it printed the API's URLs and the executive's sign-in link."""
    for url in (f"{base}/api/v1 ", f"{base}/docs ", f"{base}/openapi.json ",
                f"status   {base}/\n"):
        assert url in printed, url
    tokens = {m[1]: (m[2], m[3], m[4]) for m in map(_TOKEN_LINE.match, printed.splitlines())
              if m}
    assert {name: role for name, (role, _d, _t) in tokens.items()} == {
        "demo-executive": "executive", "demo-hr": "hr",
        "demo-contact-center": "contact_center", "demo-cc-lead": "contact_center_lead",
        "demo-auditor": "auditor", "demo-ivr": "ivr", "demo-logistics": "department"}
    assert f"{base}/signin#token={tokens['demo-executive'][2]}" in printed
    return tokens


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path, int]]:
    """``sla-police up --demo`` on free ports; stdout in a file; killed if a test fails."""
    api_port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLA_")}
    env.update({"SLA_DATA_DIR": str(tmp_path / "var"), "SLA_TABLE_STORE": "memory://",
                "SLA_CONFIG": str(CONFIG_PATH)})
    out = tmp_path / "up.out"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "sla_police", "up", "--demo", "--speed", "120",
             "--api-port", str(api_port), "--web-port", str(web_port)],
            env=env, stdout=stdout, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        yield process, out, api_port
    finally:
        if process.poll() is None:
            for pid in _descendants(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def test_up_demo_serves_the_api_beside_the_worker_and_stops_whole(
        up: tuple[subprocess.Popen, Path, int], tmp_path: Path) -> None:
    process, out, port = up
    base = f"http://127.0.0.1:{port}"
    _until(lambda: "Ctrl-C stops everything." in out.read_text(), "up to print its URLs",
           180, process, out)
    tokens = _printed_tokens(out.read_text(), base)
    executive = tokens["demo-executive"][2]

    assert _get(f"{base}/health") == (200, {"status": "ok", "ledger": "ok"})
    assert _get(f"{base}/api/v1/me")[0] == 401
    for name, (role, department, token) in tokens.items():
        if role == "ivr":  # the IVR may only ask whether a caller is blocked
            assert _get(f"{base}/api/v1/me", token)[0] == 403
            assert _get(f"{base}/api/v1/callers/c-00001/block", token)[0] == 200
            continue
        assert _get(f"{base}/api/v1/me", token) == (
            200, {"name": name, "role": role, "department": department})

    # the demo's penalties, booked by the worker, are read by the API: one ledger
    page = _until(lambda: _get(f"{base}/api/v1/penalties", executive)[1].get("items"),
                  "the demo's first penalty through the API", 180, process, out)
    assert page and all(p["fine"] for p in page)
    own = _get(f"{base}/api/v1/penalties", tokens["demo-logistics"][2])[1]["items"]
    assert {p["department"] for p in own} <= {"logistics"}

    data = tmp_path / "var"
    stored = (data / "demo-principals.yaml").read_text()
    logs = (data / "api.log").read_text() + out.read_text().split("Ctrl-C", 1)[1]
    for _role, _department, token in tokens.values():
        assert token not in stored and token not in logs

    children = _descendants(process.pid)
    assert any("sla_police api" in cmd for cmd in children.values()), children
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    left = {pid: cmd for pid, cmd in children.items() if _cmdline(pid) == cmd}
    assert not left, f"still running after up stopped: {left}"
