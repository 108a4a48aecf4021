"""The Prometheus configuration and rules are valid, and the rules' unit tests pass (promtool).

The unit tests (deploy/prometheus/tests/*.yml) fire and silence every alert and check every
recording rule on synthetic series; this module also checks that none is left untested.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.deploy.conftest import ROOT

PROM = ROOT / "deploy" / "prometheus"
RULES = sorted((PROM / "rules").glob("*.rules.yml"))
UNIT_TESTS = sorted((PROM / "tests").glob("*.yml"))


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a command with a time limit; the result carries its output for the assertion."""
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_configs_are_valid(promtool: str) -> None:
    for config in ("prometheus.yml", "prometheus.local.yml"):
        result = run(promtool, "check", "config", PROM / config)
        assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_valid(promtool: str) -> None:
    assert RULES, "no rule file found"
    result = run(promtool, "check", "rules", *RULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass(promtool: str) -> None:
    assert UNIT_TESTS, "no promtool unit test found"
    result = run(promtool, "test", "rules", *UNIT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def _rules() -> list[dict]:
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]]


def _unit_tests() -> list[dict]:
    return [test for path in UNIT_TESTS for test in yaml.safe_load(path.read_text())["tests"]]


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    fired, silent = set(), set()
    for test in _unit_tests():
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else silent).add(case["alertname"])
    assert alerts - fired == set(), "alerts never tested firing"
    assert alerts - silent == set(), "alerts never tested silent"


def test_every_recording_rule_is_tested() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    exprs = " ".join(case["expr"] for test in _unit_tests()
                     for case in test.get("promql_expr_test", []))
    alert_exprs = " ".join(rule["expr"] for rule in _rules() if "alert" in rule)
    untested = {name for name in recorded if name not in exprs and name not in alert_exprs}
    assert untested == set()


def test_every_alert_has_severity_summary_and_runbook() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").lower()
    for rule in (r for r in _rules() if "alert" in r):
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
        anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
        assert anchor == rule["alert"].lower()
        assert f"### {rule['alert'].lower()}" in docs, f"{rule['alert']} is not in the runbook"
