"""The Grafana dashboards: generated, valid, wired to the provisioned datasource and to metrics
that exist. (That their queries return data is test_prometheus_live.py.)"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from streams.metrics import REGISTRY
from tests.deploy.conftest import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
SDK_PIN = "grafana-foundation-sdk==1769699998!10.1.0"


def load_generator() -> ModuleType:
    """deploy/grafana/generate.py, imported from its path (deploy/ is not a package)."""
    if importlib.util.find_spec("grafana_foundation_sdk") is None:
        pytest.fail(f"grafana-foundation-sdk is missing: pip install '{SDK_PIN}'", pytrace=False)
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def panels(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["panels"]


def test_committed_dashboards_equal_the_generator_output() -> None:
    rendered = load_generator().render()
    assert sorted(rendered) == [p.name for p in DASHBOARDS], "a dashboard file is extra/missing"
    for name, text in rendered.items():
        committed = (GRAFANA / "dashboards" / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run deploy/grafana/generate.py"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_valid(path: Path) -> None:
    board = json.loads(path.read_text(encoding="utf-8"))
    assert board["uid"] and board["title"] and board["panels"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)) and 0 not in ids, "panel ids must be unique and set"
    datasource_uid = _provisioned_datasource()["uid"]
    for panel in (p for p in board["panels"] if p["type"] != "row"):
        assert panel["title"], panel
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource_uid}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"], panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])


def test_sla_board_filters_every_query_by_the_department_variable() -> None:
    board = json.loads((GRAFANA / "dashboards" / "sla-board.json").read_text(encoding="utf-8"))
    (variable,) = board["templating"]["list"]
    assert variable["name"] == "department" and variable["includeAll"] and variable["multi"]
    assert variable["allValue"] == ".*"
    for panel in (p for p in board["panels"] if p["type"] != "row"):
        for target in panel["targets"]:
            assert 'department=~"$department"' in target["expr"], panel["title"]


def _board(name: str) -> dict:
    return json.loads((GRAFANA / "dashboards" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "multi"), [("scorecard.json", True),
                                             ("department.json", False)])
def test_the_monthly_boards_filter_every_query_by_the_department_variable(
        name: str, multi: bool) -> None:
    board = _board(name)
    (variable,) = board["templating"]["list"]
    assert variable["name"] == "department" and bool(variable.get("multi")) is multi
    for panel in (p for p in board["panels"] if p["type"] != "row"):
        for target in panel["targets"]:
            assert 'department=~"$department"' in target["expr"], panel["title"]


def test_the_scorecard_shows_this_month_and_compares_with_30_days_earlier() -> None:
    board = _board("scorecard.json")
    assert (board["uid"], board["time"]) == ("sla-scorecard", {"from": "now/M", "to": "now"})
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert all("[$__range]" in expr or expr.startswith("max by (department) (topk")
               for expr in exprs), "a figure neither over the range nor the month's volume"
    changes = [p["title"] for p in board["panels"] if "change" in p["title"]]
    assert len(changes) >= 6
    for panel in (p for p in board["panels"] if p["title"] in changes):
        assert all(" offset 30d" in t["expr"] for t in panel["targets"]), panel["title"]
    (ranking,) = [p for p in board["panels"] if p["type"] == "table"]
    assert len(ranking["targets"]) >= 12
    assert all(t["format"] == "table" and t["instant"] for t in ranking["targets"])
    assert ranking["options"]["sortBy"] == [{"displayName": "Attainment", "desc": True}]


def test_the_department_board_shows_working_time_quantiles_and_heatmaps() -> None:
    board = _board("department.json")
    assert board["uid"] == "sla-department"
    heatmaps = [p for p in board["panels"] if p["type"] == "heatmap"]
    assert {p["title"] for p in heatmaps} == {"Time to acknowledge: distribution",
                                              "Time to resolve: distribution"}
    assert all(t["format"] == "heatmap" for p in heatmaps for t in p["targets"])
    quantiles = [t["expr"] for p in board["panels"] for t in p.get("targets", [])
                 if t["expr"].startswith("histogram_quantile(0.9,")]
    assert any("sla_clock_working_seconds_bucket" in q and "priority" in q for q in quantiles)


def test_every_board_links_to_every_other_board() -> None:
    uids = {path.name: json.loads(path.read_text(encoding="utf-8"))["uid"]
            for path in DASHBOARDS}
    assert {"sla-scorecard", "sla-department"} <= set(uids.values())
    for name, uid in uids.items():
        urls = {link["url"] for link in _board(name)["links"]}
        assert urls == {f"/d/{other}" for other in set(uids.values()) - {uid}}, name


def _known_series() -> set[str]:
    """Every series name SLA Police exposes, the recorded ones, and Prometheus's ``up``."""
    names = {"up"}
    for family in REGISTRY.collect():
        names |= {family.name, f"{family.name}_total", f"{family.name}_bucket"}
        if family.type == "histogram":
            names |= {f"{family.name}_count", f"{family.name}_sum"}
    rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/sla-police.rules.yml").read_text())
    names |= {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    return names


def test_dashboards_query_only_metrics_that_exist() -> None:
    known = _known_series()
    for path in DASHBOARDS:
        for panel in panels(path):
            for target in panel.get("targets", []):
                used = set(re.findall(r"\b(sla[_:][a-z0-9_:]+|up)\b", target["expr"]))
                assert used, target["expr"]
                assert used <= known, f"{path.name} / {panel['title']}: {used - known}"


def _provisioned_datasource() -> dict:
    config = yaml.safe_load((GRAFANA / "provisioning/datasources/prometheus.yml").read_text())
    (datasource,) = config["datasources"]
    return datasource


def test_provisioning_points_at_compose_prometheus_and_the_mounted_dashboards() -> None:
    datasource = _provisioned_datasource()
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/sla-police.yml").read_text())
    (provider,) = providers["providers"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = {m.split(":")[1]: m.split(":")[0] for m in compose["services"]["grafana"]["volumes"]
              if m.startswith("./")}
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
