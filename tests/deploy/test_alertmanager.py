"""Alerts reach the right people: the Alertmanager configuration, its routing, and the wiring.

``amtool`` (Debian's ``prometheus-alertmanager``) checks the configuration and answers, for a
set of labels, which receiver Alertmanager would pick; every alert of the Prometheus rules is
put through it with its own labels. The wiring: Prometheus sends to the compose service that
runs Alertmanager with this file, and every runbook link of the rules opens a section that
exists in a file of the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import ROOT

CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.rules.yml"))
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

#: Who hears each alert: the pipeline's on-call, its operators, or the SLA board's readers.
EXPECTED_RECEIVER = {
    "SlaPoliceWorkerDown": "oncall",
    "SlaPoliceBreachEmitSlow": "oncall",
    "SlaPoliceDeadLettersIncreasing": "operations",
    "SlaPoliceNoInboundEvents": "operations",
    "SlaPoliceComplianceLow": "sla-board",
    "SlaPoliceFinesSurge": "sla-board",
}


def alerts() -> list[dict]:
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule]


def receiver_for(amtool: str, labels: dict[str, str]) -> str:
    """The receiver Alertmanager's routing tree picks for an alert with ``labels``."""
    args = [amtool, "config", "routes", "test", f"--config.file={CONFIG}",
            *(f"{k}={v}" for k, v in sorted(labels.items()))]
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_the_configuration_is_valid(amtool: str) -> None:
    result = subprocess.run([amtool, "check-config", str(CONFIG)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_of_the_rules_has_a_chosen_receiver() -> None:
    assert {rule["alert"] for rule in alerts()} == set(EXPECTED_RECEIVER)


@pytest.mark.parametrize("alert", sorted(EXPECTED_RECEIVER))
def test_each_alert_is_routed_to_its_audience(amtool: str, alert: str) -> None:
    rule = next(r for r in alerts() if r["alert"] == alert)
    labels = {"alertname": alert, **rule["labels"], "department": "logistics"}
    assert receiver_for(amtool, labels) == EXPECTED_RECEIVER[alert]


def test_an_unknown_alert_still_reaches_the_operators(amtool: str) -> None:
    assert receiver_for(amtool, {"alertname": "SomethingNew", "severity": "ticket"}) == (
        "operations")


def test_prometheus_sends_to_the_compose_alertmanager() -> None:
    prometheus = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = [t for am in prometheus["alerting"]["alertmanagers"]
               for sc in am["static_configs"] for t in sc["targets"]]
    service = COMPOSE["services"]["alertmanager"]
    assert targets == ["alertmanager:9093"]
    assert "./deploy/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" in (
        service["volumes"])
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in service["command"]
    assert "alertmanager" in COMPOSE["services"]["prometheus"]["depends_on"]


def test_workers_get_the_webhook_secret() -> None:
    env = COMPOSE["services"]["worker"]["environment"]
    assert env["SLA_WEBHOOK_SECRET"] == "${SLA_WEBHOOK_SECRET:-}"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lower case, punctuation dropped,
    spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    return {github_anchor(line.lstrip("#")) for line in path.read_text(encoding="utf-8")
            .splitlines() if line.startswith("#")}


@pytest.mark.parametrize("alert", sorted(EXPECTED_RECEIVER))
def test_runbook_links_open_a_section_of_a_repository_file(alert: str) -> None:
    rule = next(r for r in alerts() if r["alert"] == alert)
    file_part, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    target = ROOT / file_part
    assert target.is_file(), f"{alert}: {file_part} does not exist"
    assert anchor in anchors_of(target), f"{alert}: no section #{anchor} in {file_part}"
