"""Generate the Grafana dashboards in ``deploy/grafana/dashboards/`` with grafana-foundation-sdk.

The JSON files are committed (Grafana provisions them from disk); this script is their source.
Edit a panel here, then regenerate::

    .venv/bin/python deploy/grafana/generate.py          # rewrite the JSON files
    .venv/bin/python deploy/grafana/generate.py --check  # exit 1 if a file is stale

``tests/deploy/test_grafana.py`` fails when the committed JSON differs from this output, and
``tests/deploy/test_prometheus_live.py`` runs every query below against a real Prometheus.

Two dashboards: the **SLA board** for executives (compliance, breaches, fines and points per
department) and **Pipeline health** for operators (throughput, rejections, latencies). Metric
names come from ``streams/metrics.py``; the ``sla:*`` series from the recording rules in
``deploy/prometheus/rules/sla-police.rules.yml``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from itertools import count
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, stat, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

__all__ = ["DASHBOARDS", "DATASOURCE_UID", "OUT_DIR", "main", "pipeline_health", "render",
           "sla_board"]

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
#: The uid the provisioned Prometheus datasource has (provisioning/datasources/prometheus.yml).
DATASOURCE_UID = "prometheus"
DS = model.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
DEPT = 'department=~"$department"'

Target = tuple[str, str]  # (PromQL expression, legend format)


# -- building blocks ----------------------------------------------------------------------
def _targets(panel: object, targets: Iterable[Target], *, instant: bool) -> None:
    """Attach Prometheus queries with refIds A, B, ... to ``panel``."""
    for ref, (expr, legend) in zip("ABCDEFGH", targets, strict=False):
        query = prom.Dataquery().expr(expr).legend_format(legend).ref_id(ref)
        panel.with_target(query.instant() if instant else query.range())  # type: ignore[attr-defined]


def _thresholds(*steps: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from minus infinity)."""
    return dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(
        [model.Threshold(value=value, color=color) for value, color in steps])


_GOOD = _thresholds((None, "green"))
_BAD_IF_ANY = _thresholds((None, "green"), (1, "orange"))
_COMPLIANCE = _thresholds((None, "red"), (0.9, "orange"), (0.95, "green"))


def _stat(ids: count[int], title: str, targets: Iterable[Target], *, unit: str = "short",
          width: int = 6, thresholds: dash.ThresholdsConfig = _GOOD,
          time_from: str | None = None, description: str = "") -> stat.Panel:
    """A stat panel of instant queries, one value per series, last value shown."""
    panel = (stat.Panel().id(next(ids)).title(title).description(description).datasource(DS)
             .unit(unit).span(width).height(5).thresholds(thresholds)
             .color_mode(common.BigValueColorMode.VALUE)
             .graph_mode(common.BigValueGraphMode.NONE)
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"])))
    if time_from:
        panel.time_from(time_from)
    _targets(panel, targets, instant=True)
    return panel


def _series(ids: count[int], title: str, targets: Iterable[Target], *, unit: str = "short",
            width: int = 12, description: str = "", max_value: float | None = None,
            thresholds: dash.ThresholdsConfig | None = None) -> timeseries.Panel:
    """A time series panel of range queries with a table legend showing last and max."""
    legend = (common_builders.VizLegendOptions().display_mode(common.LegendDisplayMode.TABLE)
              .placement(common.LegendPlacement.BOTTOM).show_legend(True)
              .calcs(["lastNotNull", "max"]))
    panel = (timeseries.Panel().id(next(ids)).title(title).description(description)
             .datasource(DS).unit(unit).span(width).height(8).legend(legend).min(0)
             .fill_opacity(10).line_width(1))
    if max_value is not None:
        panel.max(max_value)
    if thresholds is not None:
        panel.thresholds(thresholds).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphTresholdsStyleMode.LINE))
    _targets(panel, targets, instant=False)
    return panel


def _top(ids: count[int], title: str, target: Target, *, description: str) -> bargauge.Panel:
    """A horizontal bar gauge of an instant query (a ranking)."""
    panel = (bargauge.Panel().id(next(ids)).title(title).description(description)
             .datasource(DS).span(12).height(8).unit("short")
             .orientation(common.VizOrientation.HORIZONTAL)
             .display_mode(common.BarGaugeDisplayMode.GRADIENT)
             .thresholds(_thresholds((None, "green"), (1, "orange"), (10, "red")))
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"])))
    _targets(panel, [target], instant=True)
    return panel


def _row(ids: count[int], title: str) -> dash.Row:
    """A row header; rows need their own panel id, like any panel."""
    return dash.Row(title).id(next(ids))


def _net(metric: str, window: str, by: str = "department") -> str:
    """PromQL: increase of ``metric`` minus its ``_reversed`` twin, kept when never reversed."""
    gross = f"sum by ({by}) (increase({metric}_total{{{DEPT}}}[{window}]))"
    reversed_ = f"sum by ({by}) (increase({metric}_reversed_total{{{DEPT}}}[{window}]))"
    return f"{gross} - ({reversed_} or {gross} * 0)"


def _quantile(q: float, histogram: str, by: str = "le") -> str:
    return f"histogram_quantile({q}, sum by ({by}) (rate({histogram}_bucket[$__rate_interval])))"


def _dashboard(uid: str, title: str, description: str) -> dash.Dashboard:
    return (dash.Dashboard(title).uid(uid).description(description).tags(["sla-police"])
            .refresh("1m").time("now-24h", "now").timezone("browser").readonly())


# -- SLA board ----------------------------------------------------------------------------
def _department_variable() -> dash.QueryVariable:
    return (dash.QueryVariable("department").label("Department").datasource(DS)
            .query("label_values(sla_outcomes_total, department)")
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(model.VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*"))


def _compliance_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Compliance: share of ended SLA clocks that met their target"))
    ratio = (f"sla:compliance:ratio_1d{{{DEPT}}}", "{{department}}")
    board.with_panel(_stat(ids, "Compliance, last 24 h", [ratio], unit="percentunit",
                           width=24, thresholds=_COMPLIANCE,
                           description="met / (met + breached) over the last day. Target 90%."))
    board.with_panel(_series(ids, "Compliance, rolling 24 h", [ratio], unit="percentunit",
                             max_value=1, thresholds=_COMPLIANCE))
    board.with_panel(_series(ids, "Compliance by clock, rolling 24 h", [(
        f"sla:compliance_by_metric:ratio_1d{{{DEPT}}}", "{{department}} {{metric}}")],
        unit="percentunit", max_value=1, thresholds=_COMPLIANCE))


def _breaches_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Breaches and warnings"))
    per_hour = "sum by (department, metric) (rate(sla_outcomes_total{{type=\"{}\", {}}}" \
               "[$__rate_interval])) * 3600"
    board.with_panel(_series(ids, "Breaches per hour by department and clock", [
        (per_hour.format("breached", DEPT), "{{department}} {{metric}}")]))
    board.with_panel(_top(ids, "Top departments by breaches (selected range)", (
        f'topk(5, sum by (department) (increase(sla_outcomes_total{{type="breached", {DEPT}}}'
        f"[$__range])))", "{{department}}"),
        description="The five departments with the most breaches in the dashboard's range."))
    board.with_panel(_series(ids, "Warnings per hour by department and clock", [
        (per_hour.format("warning", DEPT), "{{department}} {{metric}}")]))
    board.with_panel(_stat(ids, "Breaches today", [(
        f'sum by (department) (increase(sla_outcomes_total{{type="breached", {DEPT}}}'
        f"[$__range]))", "{{department}}")], width=12, time_from="now/d",
        thresholds=_BAD_IF_ANY))


def _penalties_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Penalties, net of reversals"))
    fines, points = "sla_penalty_fines", "sla_penalty_points"
    for title, metric, unit in (("Fines", fines, "currencyCNY"), ("Points", points, "short")):
        for period, time_from in (("today", "now/d"), ("this month", "now/M")):
            board.with_panel(_stat(
                ids, f"{title} {period}", [(_net(metric, "$__range"), "{{department}}")],
                unit=unit, time_from=time_from, thresholds=_BAD_IF_ANY,
                description=f"{title} assessed minus {title.lower()} reversed, {period}."))
    board.with_panel(_series(ids, "Fines, rolling 24 h", [(
        f"sla:fines:increase1d{{{DEPT}}}", "{{department}} ({{currency}})")], unit="currencyCNY"))
    board.with_panel(_series(ids, "Points, rolling 24 h", [(
        f"sla:points:increase1d{{{DEPT}}}", "{{department}}")]))


def _clocks_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Open clocks"))
    board.with_panel(_series(ids, "Open SLA clocks", [(
        f"sum by (department, metric) (sla_open_clocks{{{DEPT}}})", "{{department}} {{metric}}")]))
    board.with_panel(_stat(ids, "Open SLA clocks now", [(
        f"sum by (department) (sla_open_clocks{{{DEPT}}})", "{{department}}")], width=12))


def sla_board() -> dash.Dashboard:
    """The executives' board: how each department keeps its SLAs and what it costs them."""
    ids = count(1)
    board = _dashboard("sla-police-board", "SLA Police: SLA board",
                       "Compliance, breaches, fines and demerit points per department.")
    board.with_variable(_department_variable())
    for row in (_compliance_row, _breaches_row, _penalties_row, _clocks_row):
        row(ids, board)
    return board


# -- Pipeline health ----------------------------------------------------------------------
def _workers_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Workers"))
    board.with_panel(_stat(ids, "Workers up", [('sum(up{job="sla-police"})', "up")],
                           thresholds=_thresholds((None, "red"), (1, "green"))))
    board.with_panel(_stat(ids, "Worker versions", [(
        "count by (version, app_id) (sla_worker_info)", "{{app_id}} {{version}}")]))
    board.with_panel(_stat(ids, "Deadline index entries", [(
        "sum(sla_deadline_index_size)", "entries")]))
    board.with_panel(_stat(ids, "Dead letters, last hour", [(
        "sum(increase(sla_dead_letters_total[1h]))", "dead letters")], thresholds=_BAD_IF_ANY))


def _inbound_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Inbound"))
    rate = "sum by ({}) (rate({}[$__rate_interval]))"
    for title, metric, by, legend in (
        ("Inbound events/s by topic and type", "sla_events_in_total", "topic, type",
         "{{topic}} {{type}}"),
        ("Rejected/s by reason", "sla_events_rejected_total", "topic, reason",
         "{{topic}} {{reason}}"),
        ("Dead letters/s by source topic", "sla_dead_letters_total", "topic", "{{topic}}"),
        ("Duplicates/s by topic", "sla_events_duplicate_total", "topic", "{{topic}}"),
    ):
        board.with_panel(_series(ids, title, [(rate.format(by, metric), legend)], unit="ops"))


def _latency_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "Latency"))
    delay = "sla_breach_emit_delay_seconds"
    board.with_panel(_series(ids, "Breach emit delay (emitted minus due)", [
        (_quantile(0.5, delay), "p50"), (_quantile(0.99, delay), "p99")], unit="s", width=24,
        thresholds=_thresholds((None, "green"), (1, "red")),
        description="Our promise: breaches within a second of their due time (red line)."))
    board.with_panel(_series(ids, "Event processing p99 by worker", [(
        _quantile(0.99, "sla_event_processing_seconds", "le, instance"), "{{instance}}")],
        unit="s"))
    board.with_panel(_series(ids, "Timer tick p99 by worker", [(
        _quantile(0.99, "sla_timer_tick_seconds", "le, instance"), "{{instance}}")], unit="s"))


def _outputs_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(_row(ids, "State and outputs"))
    board.with_panel(_series(ids, "Deadline index size by worker", [(
        "sum by (instance) (sla_deadline_index_size)", "{{instance}}")], width=8))
    board.with_panel(_series(ids, "Ledger records/s: inserted vs duplicate", [(
        "sum by (result) (rate(sla_ledger_records_total[$__rate_interval]))", "{{result}}")],
        unit="ops", width=8))
    board.with_panel(_series(ids, "Webhook deliveries/s by result", [(
        "sum by (result) (rate(sla_webhook_deliveries_total[$__rate_interval]))",
        "{{result}}")], unit="ops", width=8))


def pipeline_health() -> dash.Dashboard:
    """The operators' board: is the pipeline up, fast, and fed clean input?"""
    ids = count(1)
    board = _dashboard("sla-police-pipeline", "SLA Police: Pipeline health",
                       "Throughput, rejections, latencies and outputs of the SLA Police workers.")
    for row in (_workers_row, _inbound_row, _latency_row, _outputs_row):
        row(ids, board)
    return board


# -- output -------------------------------------------------------------------------------
DASHBOARDS = {"sla-board.json": sla_board, "pipeline-health.json": pipeline_health}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard, exactly as committed."""
    return {name: json.dumps(build().build(), cls=JSONEncoder, indent=2, sort_keys=True,
                             ensure_ascii=False) + "\n"
            for name, build in DASHBOARDS.items()}


def main(argv: list[str] | None = None) -> int:
    """Write the dashboards, or with ``--check`` report stale files and exit 1."""
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for name, text in render().items():
        path = OUT_DIR / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if "--check" not in args:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "stale" if "--check" in args else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "dashboards up to date")
    return 1 if stale and "--check" in args else 0


if __name__ == "__main__":
    sys.exit(main())
