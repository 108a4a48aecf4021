"""Building blocks of the SLA Police dashboards (grafana-foundation-sdk): panels, thresholds,
PromQL helpers. Used by ``generate.py`` (SLA board, Pipeline health) and
``monthly_boards.py`` (monthly scorecard, department board); not a package, imported from
this directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import count

from grafana_foundation_sdk.builders import bargauge, heatmap, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import heatmap as heatmap_model
from grafana_foundation_sdk.models import prometheus as prom_model

__all__ = [
    "BAD_IF_ANY", "COMPLIANCE", "DATASOURCE_UID", "DEPT", "DS", "GOOD", "Target",
    "bars_panel", "board_links", "department_variable", "heatmap_panel", "net",
    "new_dashboard", "quantile", "row_header", "series_panel", "stat_panel", "table_panel",
    "targets", "thresholds", "top_panel",
]

#: The uid the provisioned Prometheus datasource has (provisioning/datasources/prometheus.yml).
DATASOURCE_UID = "prometheus"
DS = model.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
DEPT = 'department=~"$department"'

Target = tuple[str, str]  # (PromQL expression, legend format)

#: uid and title of every board, for the links between them.
BOARDS = {
    "sla-police-board": "SLA Police: SLA board",
    "sla-scorecard": "SLA Police: monthly scorecard",
    "sla-department": "SLA Police: department",
    "sla-police-pipeline": "SLA Police: Pipeline health",
    "sla-authority": "SLA Police: agent authority",
    "sla-calls": "SLA Police: calls service floor",
}


def targets(panel: object, queries: Iterable[Target], *, instant: bool,
            table_format: bool = False) -> None:
    """Attach Prometheus queries with refIds A, B, ... to ``panel``."""
    for ref, (expr, legend) in zip("ABCDEFGHIJKLMNOP", queries, strict=False):
        query = prom.Dataquery().expr(expr).legend_format(legend).ref_id(ref)
        if table_format:
            query.format(prom_model.PromQueryFormat.TABLE)
        panel.with_target(query.instant() if instant else query.range())  # type: ignore[attr-defined]


def thresholds(*steps: tuple[float | None, str]) -> dash.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (from minus infinity)."""
    return dash.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(
        [model.Threshold(value=value, color=color) for value, color in steps])


GOOD = thresholds((None, "green"))
BAD_IF_ANY = thresholds((None, "green"), (1, "orange"))
COMPLIANCE = thresholds((None, "red"), (0.9, "orange"), (0.95, "green"))


def stat_panel(ids: count[int], title: str, queries: Iterable[Target], *, unit: str = "short",
               width: int = 6, thresholds: dash.ThresholdsConfig = GOOD,
               time_from: str | None = None, description: str = "") -> stat.Panel:
    """A stat panel of instant queries, one value per series, last value shown."""
    panel = (stat.Panel().id(next(ids)).title(title).description(description).datasource(DS)
             .unit(unit).span(width).height(5).thresholds(thresholds)
             .color_mode(common.BigValueColorMode.VALUE)
             .graph_mode(common.BigValueGraphMode.NONE)
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"])))
    if time_from:
        panel.time_from(time_from)
    targets(panel, queries, instant=True)
    return panel


def series_panel(ids: count[int], title: str, queries: Iterable[Target], *,
                 unit: str = "short", width: int = 12, description: str = "",
                 max_value: float | None = None,
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
    targets(panel, queries, instant=False)
    return panel


def bars_panel(ids: count[int], title: str, queries: Iterable[Target], *, description: str,
               unit: str = "short", width: int = 12, height: int = 8,
               thresholds: dash.ThresholdsConfig = GOOD,
               max_value: float | None = None) -> bargauge.Panel:
    """A horizontal bar gauge of instant queries: one bar per series (a ranking)."""
    panel = (bargauge.Panel().id(next(ids)).title(title).description(description)
             .datasource(DS).span(width).height(height).unit(unit)
             .orientation(common.VizOrientation.HORIZONTAL)
             .display_mode(common.BarGaugeDisplayMode.GRADIENT).thresholds(thresholds)
             .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"])))
    if max_value is not None:
        panel.min(0).max(max_value)
    targets(panel, queries, instant=True)
    return panel


def top_panel(ids: count[int], title: str, target: Target, *,
              description: str) -> bargauge.Panel:
    """A horizontal bar gauge of one instant query, orange from 1, red from 10."""
    return bars_panel(ids, title, [target], description=description,
                      thresholds=thresholds((None, "green"), (1, "orange"), (10, "red")))


def table_panel(ids: count[int], title: str, columns: list[tuple[str, str, str]], *,
                description: str, sort_by: str) -> table.Panel:
    """A table of instant queries in table format, one row per department: ``columns`` are
    (header, PromQL by department, unit); the queries are merged on ``department``."""
    panel = (table.Panel().id(next(ids)).title(title).description(description).datasource(DS)
             .span(24).height(10)
             .sort_by([common_builders.TableSortByFieldState().display_name(sort_by)
                       .desc(True)]))
    targets(panel, [(expr, header) for header, expr, _ in columns], instant=True,
            table_format=True)
    names = {f"Value #{ref}": header for ref, (header, _, _) in zip(
        "ABCDEFGHIJKLMNOP", columns, strict=False)}
    panel.with_transformation(model.DataTransformerConfig(id_val="merge", options={}))
    panel.with_transformation(model.DataTransformerConfig(id_val="organize", options={
        "excludeByName": {"Time": True}, "renameByName": names,
        "indexByName": {"department": 0, **{name: i + 1 for i, name in enumerate(names)}}}))
    for header, _, unit in columns:
        panel.override_by_name(header, [model.DynamicConfigValue(id_val="unit", value=unit)])
    return panel


def heatmap_panel(ids: count[int], title: str, expr: str, *, description: str,
                  width: int = 12) -> heatmap.Panel:
    """A heatmap of a histogram's buckets (range query in heatmap format, one row per le)."""
    panel = (heatmap.Panel().id(next(ids)).title(title).description(description).datasource(DS)
             .span(width).height(8)
             .calculate(False)
             .y_axis(heatmap.YAxisConfig().unit("s"))
             .color(heatmap.HeatmapColorOptions().mode(heatmap_model.HeatmapColorMode.SCHEME)
                    .scheme("Oranges").steps(64))
             .cell_gap(1).show_legend().show_tooltip().show_y_histogram())
    query = (prom.Dataquery().expr(expr).legend_format("{{le}}").ref_id("A")
             .format(prom_model.PromQueryFormat.HEATMAP).range())
    panel.with_target(query)
    return panel


def row_header(ids: count[int], title: str) -> dash.Row:
    """A row header; rows need their own panel id, like any panel."""
    return dash.Row(title).id(next(ids))


def net(metric: str, window: str, by: str = "department", offset: str = "") -> str:
    """PromQL: increase of ``metric`` minus its ``_reversed`` twin, kept when never reversed
    (``offset``, e.g. ``" offset 30d"``, shifts both back in time)."""
    gross = f"sum by ({by}) (increase({metric}_total{{{DEPT}}}[{window}]{offset}))"
    reversed_ = f"sum by ({by}) (increase({metric}_reversed_total{{{DEPT}}}[{window}]{offset}))"
    return f"{gross} - ({reversed_} or {gross} * 0)"


def quantile(q: float, histogram: str, by: str = "le", selector: str = "",
             window: str = "$__rate_interval") -> str:
    """PromQL: the ``q`` quantile of ``histogram`` (its ``_bucket`` series) per ``by``."""
    matchers = f"{{{selector}}}" if selector else ""
    return (f"histogram_quantile({q}, sum by ({by}) "
            f"(rate({histogram}_bucket{matchers}[{window}])))")


def department_variable(*, multi: bool = True) -> dash.QueryVariable:
    """``$department``: the departments with SLA outcomes; several and "All" when ``multi``."""
    variable = (dash.QueryVariable("department").label("Department").datasource(DS)
                .query("label_values(sla_outcomes_total, department)")
                .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
                .sort(model.VariableSort.ALPHABETICAL_ASC))
    if multi:
        variable.multi(True).include_all(True).all_value(".*")
    return variable


def board_links(uid: str) -> list[dash.DashboardLink]:
    """Links to every other board, keeping the department selection and the time range
    (except into the scorecard, which opens on its own range: this month so far)."""
    return [dash.DashboardLink(title).type(model.DashboardLinkType.LINK).url(f"/d/{other}")
            .icon("dashboard").keep_time(other != "sla-scorecard").include_vars(True)
            .tooltip(f"Open {title}")
            for other, title in BOARDS.items() if other != uid]


def new_dashboard(uid: str, title: str, description: str, *, since: str = "now-24h",
                  until: str = "now") -> dash.Dashboard:
    """A read-only SLA Police dashboard linking to the other boards."""
    return (dash.Dashboard(title).uid(uid).description(description).tags(["sla-police"])
            .refresh("1m").time(since, until).timezone("browser").readonly()
            .links(board_links(uid)))
