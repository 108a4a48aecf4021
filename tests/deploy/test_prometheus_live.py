"""Every Grafana query returns data from a real Prometheus scraping real SLA Police metrics.

A simulated contact-center day is replayed offline (sla.replay) and every outbound event is fed
to the streams.metrics helpers, as the stream agents do. A small HTTP server on 127.0.0.1
serves streams.metrics.render(); the real ``prometheus`` binary scrapes it every second with
deploy/prometheus/prometheus.local.yml (target and intervals rewritten) and the rules loaded.
Half the events are fed before the first scrape and half after, so counters *increase* between
scrapes, as in production. Then every PromQL expression of every dashboard JSON file runs
through the HTTP API, with the Grafana variables substituted, and must return a number.
"""

from __future__ import annotations

import json
import math
import random
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from models import Rejection, parse_event
from models.topics import inbound_topic_for
from sla.config import load_config
from sla.replay import ReplayResult, replay_lines
from sla_police import __version__
from sla_police.simulator import SimulationOptions, simulate
from streams import metrics
from tests.deploy.conftest import ROOT

pytestmark = pytest.mark.integration

DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
#: Grafana's variables, as Grafana would expand them for a 1-day range with "All" selected.
VARIABLES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1d", "department": ".*"}
DEADLINE = 30.0  # seconds any single wait may take


# -- the metrics, driven like the stream agents do ----------------------------------------
def _simulated_day() -> tuple[list[str], ReplayResult, ReplayResult]:
    """A small seeded day with more invalid input than usual, so every rejection kind shows.

    Returns the log, its replay, and the replay of its first half: the engine's state at
    midday, when clocks are still open (by the end of the simulation every ticket is closed).
    """
    options = SimulationOptions(days=1, seed=3, calls_per_day=300, invalid_rate=0.05)
    lines = list(simulate(options))
    config = load_config(ROOT / "deploy" / "config" / "sla-police.yaml")
    return lines, replay_lines(lines, config), replay_lines(lines[: len(lines) // 2], config)


def _feed_inbound(lines: list[str], seen: set[str]) -> None:
    for line in lines:
        with metrics.EVENT_PROCESSING.time():
            parsed = parse_event(line)
        if isinstance(parsed, Rejection):
            continue  # counted when its event.rejected is observed
        topic = inbound_topic_for(parsed.type)
        if parsed.id in seen:
            metrics.observe_duplicate(topic)
        else:
            seen.add(parsed.id)
            metrics.observe_inbound(topic, parsed.type)


def _feed_outputs(result: ReplayResult, part: int, rng: random.Random) -> None:
    """Observe every other output (``part`` 0 or 1) as the publishing agent would."""
    for n, event in enumerate(result.outputs[part::2]):
        metrics.observe_outcome(event)
        if event.type == "sla.breached":
            emitted = event.data.due_at + timedelta(seconds=rng.uniform(0.005, 0.6))
            metrics.observe_breach_delay(event, emitted)
        metrics.observe_ledger_record(event.type, inserted=n % 10 != 0)
        if event.type == "notification.requested":
            metrics.observe_webhook_delivery(event.data.department,
                                             "delivered" if n % 7 else "failed")
    for _ in range(20):
        metrics.TIMER_TICK.observe(rng.uniform(0.0005, 0.02))


def _set_state(state: ReplayResult) -> None:
    """The gauges the timer agent sets from the engine's state."""
    open_clocks = Counter((c.department, c.metric) for t in state.tickets.values()
                          for c in t.clocks)
    metrics.set_open_clocks(open_clocks)
    metrics.DEADLINE_INDEX_SIZE.set(sum(open_clocks.values()))


def _feed(lines: list[str], result: ReplayResult, part: int, seen: set[str],
          state: ReplayResult) -> None:
    """Feed half ``part`` (0 or 1) of the inbound lines and of the outputs, then ``state``."""
    _feed_inbound(lines[part::2], seen)
    _feed_outputs(result, part, random.Random(part))
    _set_state(state)


# -- the servers --------------------------------------------------------------------------
class _MetricsHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        body, content_type = metrics.render()
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet: one line per scrape is noise in the test output."""


@contextmanager
def metrics_server() -> Iterator[int]:
    """Serve streams.metrics.render() at 127.0.0.1:PORT/metrics; yields PORT."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _local_config(tmp: Path, target_port: int) -> Path:
    """prometheus.local.yml scraping ``target_port`` every second, rules by absolute path."""
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.local.yml").read_text())
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["rule_files"] = [str(ROOT / "deploy/prometheus" / p) for p in config["rule_files"]]
    (job,) = config["scrape_configs"]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{target_port}"]}]
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def prometheus(binary: str, tmp: Path, target_port: int) -> Iterator[str]:
    """Run the real Prometheus on a free loopback port until ready; yields its base URL."""
    port, log = _free_port(), (tmp / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [binary, f"--config.file={_local_config(tmp, target_port)}",
         f"--storage.tsdb.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: proc.poll() is None and _ready(base), "Prometheus to be ready", tmp)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(condition, what: str, tmp: Path) -> None:
    """Poll ``condition`` every 0.2 s for at most DEADLINE seconds."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    log = (tmp / "prometheus.log").read_text(errors="replace")[-2000:]
    pytest.fail(f"timed out after {DEADLINE} s waiting for {what}; Prometheus log:\n{log}")


# -- queries ------------------------------------------------------------------------------
def _query(base: str, expr: str) -> list[dict]:
    response = httpx.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10)
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"
    return body["data"]["result"]


def _query_range(base: str, expr: str) -> list[dict]:
    now = time.time()
    params = {"query": expr, "start": now - 60, "end": now, "step": 1}
    body = httpx.get(f"{base}/api/v1/query_range", params=params, timeout=10).json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"
    return body["data"]["result"]


def _scrapes(base: str) -> int:
    result = _query(base, 'count_over_time(up{job="sla-police"}[5m])')
    return int(float(result[0]["value"][1])) if result else 0


def substitute(expr: str) -> str:
    """Expand Grafana's ``$var`` / ``${var}`` references; an unknown one fails the test."""
    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in VARIABLES, f"unknown Grafana variable ${name} in {expr}"
        return VARIABLES[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, expr)


def dashboard_targets() -> list[tuple[str, str, str, bool]]:
    """(dashboard file, panel title, expression, instant?) of every panel target."""
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                found.append((path.name, panel["title"], target["expr"],
                              bool(target.get("instant"))))
    return found


def _has_number(result: list[dict], key: str) -> bool:
    values = [v for series in result
              for v in ([series[key]] if key == "value" else series[key])]
    return any(math.isfinite(float(v[1])) for v in values)


# -- the test -----------------------------------------------------------------------------
def test_every_dashboard_query_returns_data(prometheus_bin: str, tmp_path: Path) -> None:
    started = time.monotonic()
    lines, result, midday = _simulated_day()
    assert midday.tickets and any(t.clocks for t in midday.tickets.values())
    metrics.set_worker_info(__version__, "sla-police")
    seen: set[str] = set()
    _feed(lines, result, 0, seen, midday)
    with metrics_server() as port, prometheus(prometheus_bin, tmp_path, port) as base:
        _wait(lambda: _scrapes(base) >= 1, "the first scrape", tmp_path)
        _feed(lines, result, 1, seen, result)
        after = _scrapes(base)
        _wait(lambda: _scrapes(base) >= after + 2, "two scrapes after the second half", tmp_path)
        _wait(lambda: _query(base, "sla:compliance:ratio_1d"), "the recording rules", tmp_path)
        failures = _failing_targets(base) + _unhealthy_rules(base)
        departments = httpx.get(f"{base}/api/v1/label/department/values",
                                params={"match[]": "sla_outcomes_total"}, timeout=10).json()
    assert dashboard_targets(), "no dashboard query found"
    assert failures == [], "queries without data, or failing rules:\n" + "\n".join(failures)
    assert set(departments["data"]) >= {"logistics", "billing", "triage"}
    assert time.monotonic() - started < 120


def _unhealthy_rules(base: str) -> list[str]:
    """Loaded rules whose last evaluation on the real server failed (or never happened)."""
    groups = httpx.get(f"{base}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    config = yaml.safe_load((ROOT / "deploy/prometheus/rules/sla-police.rules.yml").read_text())
    expected = sum(len(group["rules"]) for group in config["groups"])
    assert len(rules) == expected, "the rule files were not all loaded"
    return [f"rule {rule['name']}: {rule['health']} {rule.get('lastError', '')}"
            for rule in rules if rule["health"] != "ok"]


def _failing_targets(base: str) -> list[str]:
    """Every dashboard target as Grafana would run it; the ones without a finite number."""
    failures = []
    for name, title, expr, instant in dashboard_targets():
        promql = substitute(expr)
        ok = _has_number(_query(base, promql), "value")
        if not instant:
            ok = ok and _has_number(_query_range(base, promql), "values")
        if not ok:
            failures.append(f"{name} / {title}: {promql}")
    return failures


def test_substitute_expands_grafana_variables() -> None:
    assert substitute('rate(x{d=~"$department"}[$__rate_interval])') == 'rate(x{d=~".*"}[1m])'
    assert substitute("increase(x[${__range}])") == "increase(x[1d])"
