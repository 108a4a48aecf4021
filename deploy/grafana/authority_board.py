"""The **agent authority** board (``sla-authority``): the contact center policing its own
agents (issue 14). What agents grant customers per contact reason, how much of it is beyond
their authority, how long supervisors take to approve, and what the audits find.

Every series is by contact-reason top level or a fixed set: ``/metrics`` is public, so the
per-agent figures (over-generous flags, pilots) live in ``sla-police report authority`` and
the API, not here. Metric names come from ``streams/metrics.py``.
"""

from __future__ import annotations

from itertools import count

from board_blocks import (
    BAD_IF_ANY,
    bars_panel,
    new_dashboard,
    quantile,
    row_header,
    series_panel,
    stat_panel,
    thresholds,
)
from grafana_foundation_sdk.builders import dashboard as dash

__all__ = ["authority_board"]

_GRANTS, _AMOUNT = "sla_concessions_total", "sla_concession_amount_total"
_WAIT = "sla_approval_wait_working_seconds"


def _grants_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Grants: what agents give customers, by contact reason"))
    board.with_panel(stat_panel(ids, "Grants, last 24 h", [(
        f"sum(increase({_GRANTS}[1d]))", "grants")]))
    board.with_panel(stat_panel(ids, "Amount granted, last 24 h", [(
        f"sum by (currency) (increase({_AMOUNT}[1d]))", "{{currency}}")]))
    board.with_panel(stat_panel(ids, "Beyond authority, last 24 h", [(
        f'sum(increase({_GRANTS}{{authority="exceeded"}}[1d])) or vector(0)', "exceeded")],
        thresholds=BAD_IF_ANY, description="Grants above the agent's limit without an "
        "approval that covers them (authority.exceeded)."))
    board.with_panel(stat_panel(ids, "Share needing no approval", [(
        f"1 - sum(increase(sla_approvals_total[1d])) / sum(increase({_GRANTS}[1d]))",
        "alone")], unit="percentunit", description="Grants minus decided requests, over "
        "grants: the share agents settled within their own authority."))
    board.with_panel(bars_panel(ids, "Grants by contact reason, last 24 h", [(
        f"sum by (reason) (increase({_GRANTS}[1d]))", "{{reason}}")],
        description="Contact reason top level (delivery, billing, ...)."))
    board.with_panel(bars_panel(ids, "Amount per grant by contact reason, last 24 h", [(
        f"sum by (reason) (increase({_AMOUNT}[1d])) / sum by (reason) "
        f"(increase({_GRANTS}[1d]))", "{{reason}}")],
        description="Mean amount of one grant, in the policy's currency."))
    board.with_panel(series_panel(ids, "Grants/h by kind", [(
        f"sum by (kind) (rate({_GRANTS}[$__rate_interval])) * 3600", "{{kind}}")],
        width=24))


def _approvals_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Approvals: requests above the agent's limit"))
    board.with_panel(series_panel(ids, "Approval wait (working time)", [
        (quantile(0.5, _WAIT), "p50"), (quantile(0.9, _WAIT), "p90")], unit="s",
        thresholds=thresholds((None, "green"), (3600, "red")),
        description="Working seconds from concession.requested to its decision on the "
        "authority calendar; the red line is an hour."))
    board.with_panel(series_panel(ids, "Decisions/h by contact reason and decision", [(
        "sum by (reason, decision) (rate(sla_approvals_total[$__rate_interval])) * 3600",
        "{{reason}} {{decision}}")]))


def _audits_row(ids: count[int], board: dash.Dashboard) -> None:
    board.with_row(row_header(ids, "Audits: every large grant, and a sample of the others"))
    board.with_panel(stat_panel(ids, "Audit items opened, last 7 d", [(
        "sum by (selected_by) (increase(sla_audit_items_total[7d]))", "{{selected_by}}")],
        width=8))
    board.with_panel(stat_panel(ids, "Audit compliance, last 7 d", [(
        '(sum(increase(sla_audit_verdicts_total{verdict="compliant"}[7d])) or vector(0)) / '
        "sum(increase(sla_audit_verdicts_total[7d]))", "compliant")], unit="percentunit",
        width=8, thresholds=thresholds((None, "red"), (0.9, "orange"), (0.98, "green"))))
    board.with_panel(stat_panel(ids, "Non-compliant verdicts, last 7 d", [(
        'sum(increase(sla_audit_verdicts_total{verdict="non_compliant"}[7d])) or vector(0)',
        "non compliant")], width=8, thresholds=BAD_IF_ANY))


def authority_board() -> dash.Dashboard:
    """The contact-center manager's board for agent authority."""
    ids = count(1)
    board = new_dashboard("sla-authority", "SLA Police: agent authority",
                          "Concessions agents grant by contact reason, grants beyond "
                          "authority, approval waits and audit verdicts.")
    for row in (_grants_row, _approvals_row, _audits_row):
        row(ids, board)
    return board
