"""The authority report's terminal tables: per contact reason, the flags, and one table per
pilot laid out as the business case (pilot agents | the rest, one measure a row)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sla_police.commands._common import wide_console

__all__ = ["print_flags", "print_report"]

_DASH = "-"


def _money(value: Decimal | None) -> str:
    return _DASH if value is None else f"{value:,.2f}"


def _share(value: Decimal | None) -> str:
    return _DASH if value is None else f"{value * 100:.1f}%"


def _wait(seconds: int | None) -> str:
    """Working time as ``1h30m`` (``25m``, ``7h00m``)."""
    if seconds is None:
        return _DASH
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def _of(part: int, whole: int, share: Decimal | None) -> str:
    return _DASH if not whole else f"{part}/{whole} ({_share(share)})"


def print_report(report: Any) -> None:
    """All three sections of ``report`` (:class:`ledger.authority.AuthorityReport`)."""
    from rich.table import Table

    table = Table(title=f"Agent authority {report.period}: per contact reason",
                  caption=f"amounts in {report.currency}; waits in working time (request to "
                          "decision); audits of the month's grants: compliant / verdicts; "
                          "CSAT: scores recorded in the month on tickets of the reason")
    for title in ("contact reason", "contacts", "grants", "amount", "needed approval",
                  "wait p50", "wait p90", "audited", "compliant", "CSAT"):
        table.add_column(title, justify="left" if title == "contact reason" else "right")
    for row in [*report.reasons, report.total]:
        table.add_row(
            row.contact_reason if row is not report.total else "[bold]all[/]",
            f"{row.contacts:,}", f"{row.grants:,}", _money(row.amount),
            _of(row.needed_approval, row.grants, row.approval_share), _wait(row.wait_p50),
            _wait(row.wait_p90), f"{row.audited}",
            _of(row.compliant, row.verdicts, row.audit_compliance),
            _DASH if row.csat_mean is None else f"{row.csat_mean} ({row.csat_responses})",
            end_section=row is report.reasons[-1] if report.reasons else False)
    console = wide_console()
    console.print(table)
    print_flags(report.period, report.flags, console)
    for pilot in report.pilots:
        console.print(_pilot_table(pilot, report.currency))
    if not report.pilots:
        console.print("No pilot ran in the month.")


def print_flags(period: str, flags: list[Any], console: Any = None) -> None:
    """The over-generous agents: :class:`~ledger.authority.FlagRow` or ``authority.flagged``."""
    from rich.table import Table

    console = console or wide_console()
    if not flags:
        console.print(f"No over-generous agent in {period}.")
        return
    table = Table(title=f"Over-generous agents {period} (for coaching)",
                  caption="against peers of the same level, contact reason and month: "
                          "median and score = (figure - median) / scaled MAD")
    for title in ("agent", "level", "team", "contact reason", "flagged on", "contacts",
                  "grants", "grant rate (peers)", "per grant (peers)", "scores", "raised"):
        table.add_column(title, justify="right" if title in ("contacts", "grants") else "left")
    for flag in flags:
        d = getattr(flag, "data", flag)
        raised = getattr(flag, "raised", None)
        table.add_row(
            d.agent, d.level, d.team or _DASH, d.contact_reason, ", ".join(d.metrics),
            f"{d.contacts}", f"{d.grants}", f"{d.grant_rate:.2f} ({d.peer_median_rate:.2f})",
            f"{_money(d.amount_per_grant)} ({_money(d.peer_median_amount)})",
            f"{d.rate_score:.1f} / {d.amount_score:.1f}",
            _DASH if raised is None else ("yes" if raised else "not yet"))
    console.print(table)


def _pilot_table(pilot: Any, currency: str) -> Any:
    from rich.table import Table

    table = Table(title=f"Pilot {pilot.pilot}, {pilot.first_day} to {pilot.last_day}: "
                        "its agents against the rest of their level",
                  caption=f"amounts in {currency}; approvals avoided: pilot grants above "
                          "the normal limit and within the pilot's (each would have needed "
                          "an approval)")
    table.add_column("measure")
    table.add_column("pilot agents", justify="right")
    table.add_column("the rest", justify="right")
    mine, rest = pilot.pilot_agents, pilot.rest
    for title, show in (
            ("agents", lambda g: f"{g.agents}"), ("contacts", lambda g: f"{g.contacts:,}"),
            ("grants", lambda g: f"{g.grants:,}"), ("amount", lambda g: _money(g.amount)),
            ("cost per contact", lambda g: _money(g.cost_per_contact)),
            ("CSAT", lambda g: _DASH if g.csat_mean is None
             else f"{g.csat_mean} ({g.csat_responses})"),
            ("repeat contacts", lambda g: f"{g.repeat_contacts} ({_share(g.repeat_rate)})"),
            ("approvals needed", lambda g: f"{g.approvals_needed}"),
            ("approvals avoided", lambda g: f"{g.approvals_avoided}"),
            ("audit compliance", lambda g: _of(g.compliant, g.verdicts, g.audit_compliance))):
        table.add_row(title, show(mine), show(rest))
    return table
