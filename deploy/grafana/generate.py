"""Generate the Grafana dashboards in ``deploy/grafana/dashboards/`` with grafana-foundation-sdk.

The JSON files are committed (Grafana provisions them from disk); this script is their source.
Edit a panel here, then regenerate::

    .venv/bin/python deploy/grafana/generate.py          # rewrite the JSON files
    .venv/bin/python deploy/grafana/generate.py --check  # exit 1 if a file is stale

``tests/deploy/test_grafana.py`` fails when the committed JSON differs from this output, and
``tests/deploy/test_prometheus_live.py`` runs every query below against a real Prometheus.

Seven dashboards: the **SLA board** for executives (compliance, breaches, fines and points per
department, the last 24 hours) and **Pipeline health** for operators (throughput, rejections,
latencies), here; the **monthly scorecard** and the **department** board in
``monthly_boards.py``; **agent authority** (grants, approvals, audits) in
``authority_board.py``; the **calls service floor** in ``calls_board.py``. Panels and
helpers shared by all are in ``board_blocks.py``; every board links to the others. Metric
names come from ``streams/metrics.py``; the ``sla:*``
series from the recording rules in ``deploy/prometheus/rules/sla-police.rules.yml``.
"""

from __future__ import annotations

import json
import sys
from itertools import count
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.cog.encoder import JSONEncoder

sys.path.insert(0, str(Path(__file__).resolve().parent))  # board_blocks, monthly_boards
from authority_board import authority_board  # noqa: E402
from board_blocks import (  # noqa: E402
    BAD_IF_ANY,
    COMPLIANCE,
    DATASOURCE_UID,
    DEPT,
    department_variable,
    net,
    new_dashboard,
    quantile,
    row_header,
    series_panel,
    stat_panel,
    thresholds,
    top_panel,
)
from calls_board import calls_board  # noqa: E402
from monthly_boards import department_board, scorecard_board  # noqa: E402

__all__ = ["DASHBOARDS", "DATASOURCE_UID", "OUT_DIR", "main", "pipeline_health", "render",
           "sla_board"]

OUT_DIR = Path(__file__).resolve().parent / "dashboards"


# -- SLA board ----------------------------------------------------------------------------
def _compliance_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Compliance: share of ended SLA clocks that met their target"))
    ratio = (f"sla:compliance:ratio_1d{{{DEPT}}}", "{{department}}")
    board.with_panel(stat_panel(ids, "Compliance, last 24 h", [ratio], unit="percentunit",
                           width=24, thresholds=COMPLIANCE,
                           description="met / (met + breached) over the last day. Target 90%."))
    board.with_panel(series_panel(ids, "Compliance, rolling 24 h", [ratio], unit="percentunit",
                             max_value=1, thresholds=COMPLIANCE))
    board.with_panel(series_panel(ids, "Compliance by clock, rolling 24 h", [(
        f"sla:compliance_by_metric:ratio_1d{{{DEPT}}}", "{{department}} {{metric}}")],
        unit="percentunit", max_value=1, thresholds=COMPLIANCE))


def _breaches_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Breaches and warnings"))
    per_hour = "sum by (department, metric) (rate(sla_outcomes_total{{type=\"{}\", {}}}" \
               "[$__rate_interval])) * 3600"
    board.with_panel(series_panel(ids, "Breaches per hour by department and clock", [
        (per_hour.format("breached", DEPT), "{{department}} {{metric}}")]))
    board.with_panel(top_panel(ids, "Top departments by breaches (selected range)", (
        f'topk(5, sum by (department) (increase(sla_outcomes_total{{type="breached", {DEPT}}}'
        f"[$__range])))", "{{department}}"),
        description="The five departments with the most breaches in the dashboard's range."))
    board.with_panel(series_panel(ids, "Warnings per hour by department and clock", [
        (per_hour.format("warning", DEPT), "{{department}} {{metric}}")]))
    board.with_panel(stat_panel(ids, "Breaches today", [(
        f'sum by (department) (increase(sla_outcomes_total{{type="breached", {DEPT}}}'
        f"[$__range]))", "{{department}}")], width=12, time_from="now/d",
        thresholds=BAD_IF_ANY))


def _penalties_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Penalties, net of reversals"))
    fines, points = "sla_penalty_fines", "sla_penalty_points"
    for title, metric, unit in (("Fines", fines, "currencyCNY"), ("Points", points, "short")):
        for period, time_from in (("today", "now/d"), ("this month", "now/M")):
            board.with_panel(stat_panel(
                ids, f"{title} {period}", [(net(metric, "$__range"), "{{department}}")],
                unit=unit, time_from=time_from, thresholds=BAD_IF_ANY,
                description=f"{title} assessed minus {title.lower()} reversed, {period}."))
    board.with_panel(series_panel(ids, "Fines, rolling 24 h", [(
        f"sla:fines:increase1d{{{DEPT}}}", "{{department}} ({{currency}})")], unit="currencyCNY"))
    board.with_panel(series_panel(ids, "Points, rolling 24 h", [(
        f"sla:points:increase1d{{{DEPT}}}", "{{department}}")]))


def _clocks_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Open clocks"))
    board.with_panel(series_panel(ids, "Open SLA clocks", [(
        f"sum by (department, metric) (sla_open_clocks{{{DEPT}}})", "{{department}} {{metric}}")]))
    board.with_panel(stat_panel(ids, "Open SLA clocks now", [(
        f"sum by (department) (sla_open_clocks{{{DEPT}}})", "{{department}}")], width=12))


def sla_board() -> dash.Dashboard:
    """The executives' board: how each department keeps its SLAs and what it costs them."""
    ids = count(1)
    board = new_dashboard("sla-police-board", "SLA Police: SLA board",
                       "Compliance, breaches, fines and demerit points per department.")
    board.with_variable(department_variable())
    for row in (_compliance_row, _breaches_row, _penalties_row, _clocks_row):
        row(ids, board)
    return board


# -- Pipeline health ----------------------------------------------------------------------
def _workers_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Workers"))
    board.with_panel(stat_panel(ids, "Workers up", [('sum(up{job="sla-police"})', "up")],
                           thresholds=thresholds((None, "red"), (1, "green"))))
    board.with_panel(stat_panel(ids, "Worker versions", [(
        "count by (version, app_id) (sla_worker_info)", "{{app_id}} {{version}}")]))
    board.with_panel(stat_panel(ids, "Deadline index entries", [(
        "sum(sla_deadline_index_size)", "entries")]))
    board.with_panel(stat_panel(ids, "Dead letters, last hour", [(
        "sum(increase(sla_dead_letters_total[1h]))", "dead letters")], thresholds=BAD_IF_ANY))


def _inbound_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Inbound"))
    rate = "sum by ({}) (rate({}[$__rate_interval]))"
    for title, metric, by, legend in (
        ("Inbound events/s by topic and type", "sla_events_in_total", "topic, type",
         "{{topic}} {{type}}"),
        ("Rejected/s by reason", "sla_events_rejected_total", "topic, reason",
         "{{topic}} {{reason}}"),
        ("Dead letters/s by source topic", "sla_dead_letters_total", "topic", "{{topic}}"),
        ("Duplicates/s by topic", "sla_events_duplicate_total", "topic", "{{topic}}"),
    ):
        board.with_panel(series_panel(ids, title, [(rate.format(by, metric), legend)], unit="ops"))


def _latency_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Latency"))
    delay = "sla_breach_emit_delay_seconds"
    board.with_panel(series_panel(ids, "Breach emit delay (emitted minus due)", [
        (quantile(0.5, delay), "p50"), (quantile(0.99, delay), "p99")], unit="s", width=24,
        thresholds=thresholds((None, "green"), (1, "red")),
        description="Our promise: breaches within a second of their due time (red line)."))
    board.with_panel(series_panel(ids, "Event processing p99 by worker", [(
        quantile(0.99, "sla_event_processing_seconds", "le, instance"), "{{instance}}")],
        unit="s"))
    board.with_panel(series_panel(ids, "Timer tick p99 by worker", [(
        quantile(0.99, "sla_timer_tick_seconds", "le, instance"), "{{instance}}")], unit="s"))


def _outputs_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "State and outputs"))
    board.with_panel(series_panel(ids, "Deadline index size by worker", [(
        "sum by (instance) (sla_deadline_index_size)", "{{instance}}")], width=8))
    board.with_panel(series_panel(ids, "Ledger records/s: inserted vs duplicate", [(
        "sum by (result) (rate(sla_ledger_records_total[$__rate_interval]))", "{{result}}")],
        unit="ops", width=8))
    board.with_panel(series_panel(ids, "Webhook deliveries/s by result", [(
        "sum by (result) (rate(sla_webhook_deliveries_total[$__rate_interval]))",
        "{{result}}")], unit="ops", width=8))


def pipeline_health() -> dash.Dashboard:
    """The operators' board: is the pipeline up, fast, and fed clean input?"""
    ids = count(1)
    board = new_dashboard("sla-police-pipeline", "SLA Police: Pipeline health",
                       "Throughput, rejections, latencies and outputs of the SLA Police workers.")
    for row in (_workers_row, _inbound_row, _latency_row, _outputs_row):
        row(ids, board)
    return board


# -- output -------------------------------------------------------------------------------
DASHBOARDS = {"sla-board.json": sla_board, "pipeline-health.json": pipeline_health,
              "scorecard.json": scorecard_board, "department.json": department_board,
              "authority.json": authority_board, "calls.json": calls_board}


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
