"""The monthly scorecard and the department board (grafana-foundation-sdk), for ``generate.py``.

**SLA Police: monthly scorecard** (uid ``sla-scorecard``): per department, over the
dashboard's time range (this month so far by default, ``now/M``) and its change from 30 days
earlier (``offset 30d``): attainment per clock, breaches, breaches per 1,000 units of
business volume, CSAT mean and responses, fines and points net of reversals, and a table
ranking the departments by attainment. Prometheus only: it is the executives' live view of
``docs/scorecard.md``; the ledger's scorecard (``sla-police report scorecard``) stays the one
of record.

**SLA Police: department** (uid ``sla-department``, one ``$department``): how long its clocks
take in working time (p50 and p90 by priority, heatmaps of the histogram's buckets),
attainment, open clocks, warnings and breaches, fines and points, CSAT.

A change is "this range minus the same range 30 days earlier". For counts (breaches, fines,
points, responses) nothing 30 days earlier counts as zero; for ratios and means (attainment,
per 1,000 units, CSAT mean) there is no comparison then, shown as a change of 0.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

from board_blocks import (
    COMPLIANCE,
    DEPT,
    GOOD,
    bars_panel,
    department_variable,
    heatmap_panel,
    net,
    new_dashboard,
    quantile,
    row_header,
    series_panel,
    stat_panel,
    table_panel,
    thresholds,
)
from grafana_foundation_sdk.builders import dashboard as dash

__all__ = ["department_board", "scorecard_board"]

RANGE = "$__range"
BEFORE = " offset 30d"  # the month-over-month comparison
WORKING = "sla_clock_working_seconds"
#: Changes: up is good (attainment, CSAT) or up is bad (breaches, fines).
UP_GOOD = thresholds((None, "red"), (0, "green"))
UP_BAD = thresholds((None, "green"), (0.000001, "red"))
LEGEND = "{{department}}"


# -- PromQL of the scorecard ----------------------------------------------------------------
def ended(types: str, by: str = "department", off: str = "", where: str = "") -> str:
    """Clocks ended with an outcome in ``types`` (regex) over the range, per ``by``."""
    return (f'sum by ({by}) (increase(sla_outcomes_total{{type=~"{types}", {DEPT}{where}}}'
            f"[{RANGE}]{off}))")


def attainment(by: str = "department", off: str = "", where: str = "") -> str:
    """met / (met + breached); 0, not missing, when every ended clock breached."""
    total = ended("met|breached", by, off, where)
    return f"({ended('met', by, off, where)} or {total} * 0) / {total}"


def breaches(off: str = "") -> str:
    """Breached clocks; 0 for a department whose ended clocks all met their target."""
    return f"({ended('breached', off=off)} or {ended('met|breached', off=off)} * 0)"


def volume(off: str = "") -> str:
    """The month's business volume at the end of the range: max over the workers (each
    exposes every department), one unit per department (topk: during a change of unit two
    workers may briefly disagree)."""
    return (f"topk by (department) (1, max by (department, unit) "
            f"(sla_business_volume_month{{{DEPT}}}{off}))")


def per_1000(off: str = "") -> str:
    return f"1000 * {breaches(off)} / on (department) group_left (unit) {volume(off)}"


def csat_responses(off: str = "") -> str:
    return f"sum by (department) (increase(sla_csat_score_count{{{DEPT}}}[{RANGE}]{off}))"


def csat_mean(off: str = "") -> str:
    total = f"sum by (department) (increase(sla_csat_score_sum{{{DEPT}}}[{RANGE}]{off}))"
    return f"{total} / {csat_responses(off)}"


def fines(off: str = "") -> str:
    return net("sla_penalty_fines", RANGE, offset=off)


def points(off: str = "") -> str:
    return net("sla_penalty_points", RANGE, offset=off)


def change(measure: Callable[[str], str], *, counted: bool) -> str:
    """This range minus 30 days earlier; see the module docstring for a missing earlier."""
    now, before = f"({measure()})", f"({measure(off=BEFORE)})"
    if counted:
        return f"{now} - ({before} or {now} * 0)"
    return f"({now} - {before}) or {now} * 0"


# -- the scorecard ----------------------------------------------------------------------------
def _ranking(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Ranking: every department, this range"))
    ack = attainment(where=', metric="acknowledge"')
    res = attainment(where=', metric="resolve"')
    columns = [
        ("Attainment", attainment(), "percentunit"),
        ("Δ attainment", change(attainment, counted=False), "percentunit"),
        ("Acknowledge", ack, "percentunit"), ("Resolve", res, "percentunit"),
        ("Breaches", breaches(), "short"),
        ("Δ breaches", change(breaches, counted=True), "short"),
        ("Breaches per 1,000 units", per_1000(), "short"),
        ("Volume", f"max by (department) ({volume()})", "short"),
        ("CSAT mean", csat_mean(), "short"),
        ("Δ CSAT mean", change(csat_mean, counted=False), "short"),
        ("CSAT responses", csat_responses(), "short"),
        ("Net fines", fines(), "currencyCNY"),
        ("Δ net fines", change(fines, counted=True), "currencyCNY"),
        ("Net points", points(), "short"),
        ("Δ net points", change(points, counted=True), "short"),
    ]
    board.with_panel(table_panel(
        ids, "Departments ranked by attainment", columns, sort_by="Attainment",
        description="Attainment = met / (met + breached) clocks ended in the range. Δ: "
        "change from the same range 30 days earlier."))


def _attainment_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "SLA attainment"))
    board.with_panel(bars_panel(
        ids, "Attainment", [(f"sort_desc({attainment()})", LEGEND)], unit="percentunit",
        width=8, thresholds=COMPLIANCE, max_value=1,
        description="Share of the clocks ended in the range that met their target."))
    board.with_panel(bars_panel(
        ids, "Attainment by clock", [(attainment("department, metric"),
                                      "{{department}} {{metric}}")],
        unit="percentunit", width=8, thresholds=COMPLIANCE, max_value=1,
        description="The same for acknowledge and resolve clocks."))
    board.with_panel(stat_panel(
        ids, "Attainment, change from 30 days earlier",
        [(change(attainment, counted=False), LEGEND)], unit="percentunit", width=8,
        thresholds=UP_GOOD, description="0 when no clock ended 30 days earlier."))


def _breaches_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Breaches and business volume"))
    board.with_panel(bars_panel(
        ids, "Breaches", [(f"sort_desc({breaches()})", LEGEND)], width=6,
        thresholds=thresholds((None, "green"), (1, "orange"), (10, "red")),
        description="Acknowledge and resolve clocks breached in the range."))
    board.with_panel(stat_panel(
        ids, "Breaches, change", [(change(breaches, counted=True), LEGEND)],
        thresholds=UP_BAD, description="Breaches minus those of the range 30 days earlier."))
    board.with_panel(bars_panel(
        ids, "Breaches per 1,000 units of volume",
        [(f"sort_desc({per_1000()})", "{{department}} (per 1,000 {{unit}})")], width=6,
        description="Breaches in the range per 1,000 units of the month's business volume "
        "so far (volume.reported; a day late, so early in a month it runs high). Needs "
        "the range to be this month; no bar without a volume report."))
    board.with_panel(stat_panel(
        ids, "Per 1,000 units, change", [(change(per_1000, counted=False),
                                          "{{department}} ({{unit}})")],
        unit="short", thresholds=UP_BAD, description="0 when there is no earlier figure."))


def _csat_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Customer satisfaction (CSAT, 1 to 5)"))
    board.with_panel(bars_panel(
        ids, "CSAT mean", [(f"sort_desc({csat_mean()})", LEGEND)], width=6, max_value=5,
        thresholds=thresholds((None, "red"), (3, "orange"), (4, "green")),
        description="Mean score recorded in the range, for the department holding the "
        "ticket."))
    board.with_panel(stat_panel(
        ids, "CSAT mean, change", [(change(csat_mean, counted=False), LEGEND)],
        unit="short", thresholds=UP_GOOD, description="0 when no score 30 days earlier."))
    board.with_panel(stat_panel(
        ids, "CSAT responses", [(csat_responses(), LEGEND)], description="Scores recorded."))
    board.with_panel(stat_panel(
        ids, "CSAT responses, change", [(change(csat_responses, counted=True), LEGEND)],
        thresholds=GOOD, description="Responses minus those of 30 days earlier."))


def _penalties_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Penalties, net of reversals"))
    for title, measure, unit in (("Net fines", fines, "currencyCNY"),
                                 ("Net points", points, "short")):
        board.with_panel(stat_panel(
            ids, title, [(measure(), LEGEND)], unit=unit, thresholds=UP_BAD,
            description=f"{title[4:].capitalize()} assessed in the range minus those "
            "reversed."))
        board.with_panel(stat_panel(
            ids, f"{title}, change", [(change(measure, counted=True), LEGEND)], unit=unit,
            thresholds=UP_BAD, description="Minus the same range 30 days earlier."))


def scorecard_board() -> dash.Dashboard:
    """The executives' month: how each department did, against 30 days earlier and peers."""
    ids = count(1)
    board = new_dashboard(
        "sla-scorecard", "SLA Police: monthly scorecard",
        "Per department, this month so far (or the range chosen) and its change from 30 "
        "days earlier: attainment, breaches per volume, CSAT, net fines and points.",
        since="now/M", until="now")
    board.with_variable(department_variable())
    for row in (_ranking, _attainment_row, _breaches_row, _csat_row, _penalties_row):
        row(ids, board)
    return board


# -- the department board -----------------------------------------------------------------
def _working_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Working time (seconds on the clock's calendar)"))
    for metric, verb in (("acknowledge", "acknowledge"), ("resolve", "resolve")):
        where = f'metric="{metric}", {DEPT}'
        board.with_panel(series_panel(ids, f"Time to {verb}: p50 and p90 by priority", [
            (quantile(q, WORKING, "le, priority", where), f"p{int(q * 100)} {{{{priority}}}}")
            for q in (0.5, 0.9)], unit="s", description=(
                "From the working-time histogram over met and breached clocks (a breach "
                "counts at its target: a quantile above the share met is a lower bound).")))
    for metric in ("acknowledge", "resolve"):
        board.with_panel(heatmap_panel(
            ids, f"Time to {metric}: distribution",
            f'sum by (le) (increase({WORKING}_bucket{{metric="{metric}", {DEPT}}}'
            "[$__rate_interval]))",
            description="Clocks ended per working-time bucket (met and breached)."))
    board.with_panel(bars_panel(
        ids, "p90 working time in the range, by clock and priority",
        [(quantile(0.9, WORKING, "le, metric, priority", DEPT, RANGE),
          "{{metric}} {{priority}}")], unit="s", width=24, height=6,
        description="Bucket-interpolated 90th percentile of the clocks ended in the range."))


def _clocks_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Attainment and open clocks"))
    board.with_panel(stat_panel(
        ids, "Attainment in the range, by clock", [(attainment("metric"), "{{metric}}")],
        unit="percentunit", width=6, thresholds=COMPLIANCE,
        description="met / (met + breached) of the clocks ended in the range."))
    board.with_panel(series_panel(ids, "Attainment, rolling 24 h", [(
        f"sla:compliance_by_metric:ratio_1d{{{DEPT}}}", "{{metric}}")], unit="percentunit",
        width=6, max_value=1, thresholds=COMPLIANCE))
    board.with_panel(series_panel(ids, "Open clocks", [(
        f"sum by (metric) (sla_open_clocks{{{DEPT}}})", "{{metric}}")], width=6))
    board.with_panel(stat_panel(ids, "Open clocks now", [(
        f"sum(sla_open_clocks{{{DEPT}}})", "open")], width=6))


def _breaches_dept_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Warnings and breaches"))
    board.with_panel(series_panel(ids, "Warnings and breaches per hour, by clock", [(
        f'sum by (type, metric) (rate(sla_outcomes_total{{type=~"warning|breached", {DEPT}}}'
        "[$__rate_interval])) * 3600", "{{type}} {{metric}}")]))
    board.with_panel(bars_panel(ids, "Breaches in the range, by clock and priority", [(
        f'sum by (metric, priority) (increase({WORKING}_count{{outcome="breached", {DEPT}}}'
        f"[{RANGE}]))", "{{metric}} {{priority}}")],
        thresholds=thresholds((None, "green"), (1, "orange"), (10, "red")),
        description="From the working-time histogram's count of breached clocks."))


def _money_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Penalties and customer satisfaction"))
    board.with_panel(stat_panel(ids, "Net fines in the range", [(fines(), LEGEND)],
                                unit="currencyCNY", thresholds=UP_BAD))
    board.with_panel(stat_panel(ids, "Net points in the range", [(points(), LEGEND)],
                                thresholds=UP_BAD))
    board.with_panel(stat_panel(
        ids, "CSAT in the range", [(csat_mean(), "mean"), (csat_responses(), "responses")],
        description="Mean score (1 to 5) and the number of scores recorded."))
    satisfied = (f'sum(increase(sla_csat_score_bucket{{le="3.0", {DEPT}}}[{RANGE}])) / '
                 f"sum(increase(sla_csat_score_count{{{DEPT}}}[{RANGE}]))")
    board.with_panel(stat_panel(
        ids, "Satisfied (4 or 5) in the range", [(f"1 - ({satisfied})", "satisfied")],
        unit="percentunit", thresholds=thresholds((None, "red"), (0.6, "orange"),
                                                  (0.8, "green"))))
    board.with_panel(series_panel(ids, "CSAT mean, rolling 24 h", [(
        f"sum(increase(sla_csat_score_sum{{{DEPT}}}[1d])) / "
        f"sum(increase(sla_csat_score_count{{{DEPT}}}[1d]))", "mean")], width=24))


def department_board() -> dash.Dashboard:
    """A department head's board: its working times, attainment, breaches, money, CSAT."""
    ids = count(1)
    board = new_dashboard(
        "sla-department", "SLA Police: department",
        "One department: working time to acknowledge and to resolve, attainment, open "
        "clocks, warnings and breaches, fines and points, CSAT.")
    board.with_variable(department_variable(multi=False))
    for row in (_working_row, _clocks_row, _breaches_dept_row, _money_row):
        row(ids, board)
    return board
