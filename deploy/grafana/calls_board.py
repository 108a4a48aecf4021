"""The calls service floor board (issue 15): hang-up shares, blocks, QA.

For the contact-center lead: who hangs up (the agent share against the policy's band,
15 % to 35 % in the shipped policy), the norms broken, callers blocked now, blocks by rule
and by four eyes, refusals, and the QA queue with its compliance. Metric names come from
``streams/metrics.py`` (the calls section); no label carries a caller, agent or call id.
"""

from __future__ import annotations

from itertools import count

from board_blocks import (
    BAD_IF_ANY,
    new_dashboard,
    row_header,
    series_panel,
    stat_panel,
    thresholds,
)
from grafana_foundation_sdk.builders import dashboard as dash

__all__ = ["calls_board"]

ENDED = "sla_calls_ended_total"
#: The shipped policy's band for the agent share of hang-ups (``calls.hangup.agent_share``).
BAND = thresholds((None, "orange"), (0.15, "green"), (0.35, "red"))


def _share(window: str) -> str:
    agent = f'sum(increase({ENDED}{{ended_by="agent"}}[{window}]))'
    sides = f'sum(increase({ENDED}{{ended_by=~"agent|customer"}}[{window}]))'
    return f"{agent} / {sides}"


def _hangups_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Hang-ups: who ends the call"))
    board.with_panel(stat_panel(ids, "Agent share of hang-ups, last 7 days", [(
        _share("7d"), "agent share")], unit="percentunit", width=8, thresholds=BAND,
        description="agent / (agent + customer) hang-ups; system-ended calls left out. "
                    "Green inside the policy's band (15 % to 35 %)."))
    board.with_panel(series_panel(ids, "Agent share of hang-ups, rolling 24 h", [(
        _share("1d"), "agent share")], unit="percentunit", max_value=1, thresholds=BAND,
        width=16))
    board.with_panel(series_panel(ids, "Calls ended per hour by side", [(
        f"sum by (ended_by) (rate({ENDED}[$__rate_interval])) * 3600", "{{ended_by}}")]))
    board.with_panel(series_panel(ids, "Norm breaches per day by norm", [(
        "sum by (norm) (increase(sla_call_norm_breaches_total[1d]))", "{{norm}}")],
        thresholds=BAD_IF_ANY))


def _blocks_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Blocked callers"))
    board.with_panel(stat_panel(ids, "Blocks active", [(
        "sum(sla_caller_blocks_active)", "blocked callers")], width=6,
        description="Callers barred now (sum over workers)."))
    board.with_panel(stat_panel(ids, "Auto-blocks, last 24 h", [(
        'sum(increase(sla_caller_blocks_total{kind="auto"}[1d]))', "auto-blocks")], width=6))
    board.with_panel(series_panel(ids, "Blocks per day: by rule and by four eyes", [(
        "sum by (kind, rule) (increase(sla_caller_blocks_total[1d]))", "{{kind}} {{rule}}")],
        width=12))
    board.with_panel(series_panel(ids, "Block commands refused per day by reason", [(
        "sum by (why) (increase(sla_block_refusals_total[1d]))", "{{why}}")]))
    board.with_panel(series_panel(ids, "Blocks ended per day: expired or lifted", [(
        "sum by (why) (increase(sla_caller_unblocks_total[1d]))", "{{why}}")]))


def _qa_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Quality assurance"))
    compliant = '(sum(increase(sla_qa_verdicts_total{verdict="compliant"}[30d])) or vector(0))'
    board.with_panel(stat_panel(ids, "QA compliance, last 30 days", [(
        f"{compliant} / sum(increase(sla_qa_verdicts_total[30d]))", "compliant")],
        unit="percentunit", width=8,
        thresholds=thresholds((None, "red"), (0.8, "orange"), (0.95, "green")),
        description="compliant / reviewed over the verdicts recorded in the window."))
    board.with_panel(series_panel(ids, "QA items opened per week by selection", [(
        "sum by (selected_by) (increase(sla_qa_items_total[7d]))", "{{selected_by}}")],
        width=16))


def calls_board() -> dash.Dashboard:
    """The contact-center lead's board: hang-up norms, blocked callers, QA."""
    ids = count(1)
    board = new_dashboard("sla-calls", "SLA Police: calls service floor",
                          "Hang-up shares and norms, blocked callers, the QA queue.",
                          since="now-7d")
    for row in (_hangups_row, _blocks_row, _qa_row):
        row(ids, board)
    return board
