"""``sla-police check-config``: validate the SLA policy file and summarise it.

Exit 0 with a summary when the file is valid; exit 1 listing every problem as
``file:line:col: path: message`` otherwise, so it can gate a deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Column, Table

    from sla.specs import CalendarSpec, SlaConfig, Span

__all__ = ["check_config", "register"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the CLI."""
    app.command("check-config")(check_config)


def check_config(
    file: Path | None = typer.Argument(
        None, help="policy file; default: SLA_CONFIG or deploy/config/sla-police.yaml",
        show_default=False,
    ),
) -> None:
    """Validate the SLA policy file: every problem with its line, or a summary."""
    from rich.console import Console
    from rich.markup import escape

    from sla.config import ConfigError, load_config

    if file is None:
        from sla_police.settings import Settings

        file = Settings().config
    try:
        config = load_config(file)
    except ConfigError as exc:
        errors = Console(stderr=True, soft_wrap=True, highlight=False)
        for issue in exc.issues:
            errors.print(issue.format(exc.source), markup=False)
        count = len(exc.issues)
        errors.print(f"[red]{count} problem{'s' if count != 1 else ''}[/] in "
                     f"{escape(exc.source)}")
        raise typer.Exit(1) from None
    _summary(Console(highlight=False), config)


def _table(first: str, *headers: str | Column, title: str) -> Table:
    """A compact table whose first (name) column never wraps."""
    from rich import box
    from rich.table import Column, Table

    return Table(Column(first, no_wrap=True), *headers, title=title, box=box.SIMPLE_HEAD,
                 title_justify="left")


def _summary(console: Console, config: SlaConfig) -> None:
    """Calendars, departments, attribution, policies and penalties at a glance."""
    from rich.markup import escape

    console.print(f"[green]OK[/] {escape(config.source)}: timezone {config.timezone}, "
                  f"currency {config.currency}")
    calendars = _table("calendar", "timezone", "hours", "holidays", "exceptions",
                       title="Calendars")
    for cal in config.calendars.values():
        exceptions = f"{len(cal.closed)} closed, {len(cal.open)} open"
        calendars.add_row(cal.name, cal.timezone, escape(_week(cal)), cal.holidays or "-",
                          exceptions)
    departments = _table("department", "name", "calendar", "webhook", title="Departments")
    for dept in config.departments.values():
        departments.add_row(dept.id, dept.name, dept.calendar, str(dept.webhook or "-"))
    for table in (calendars, departments, _policies(config), _penalties(config)):
        console.print(table)
    if config.authority is not None:
        console.print(_authority(config))
    fallback = config.attribution[-1].department
    console.print(f"{len(config.attribution)} attribution rules (fallback: {fallback}), "
                  f"{len(config.slas)} SLA policies, {len(config.penalties)} penalties, "
                  f"{len(config.recurrence)} recurrence rules")


def _policies(config: SlaConfig) -> Table:
    from rich.markup import escape
    from rich.table import Column

    table = _table("policy", "match", "calendar", "acknowledge", "resolve", "warn at",
                   Column("paused by", overflow="fold"), title="SLA policies (first match wins)")
    for policy in config.slas:
        pauses = "\n".join(f"{m}: {', '.join(sorted(r))}" for m, r in policy.pause_on.items())
        table.add_row(policy.name, escape(_match(policy.match)), policy.calendar or "(dept's)",
                      str(policy.acknowledge or "-"), str(policy.resolve or "-"),
                      ",".join(f"{w:g}" for w in policy.warn_at) or "-", pauses or "-")
    return table


def _penalties(config: SlaConfig) -> Table:
    table = _table("penalty", "on", "fine", "points", "charge", "repeat", "cap",
                   title="Penalties (every match applies)")
    for rule in config.penalties:
        on = f"{rule.on}:{rule.metric}" if rule.metric else rule.on
        repeat = f"x{rule.repeat.multiplier} in {_period(rule.repeat.within)}" \
            if rule.repeat else "-"
        cap = f"{rule.cap.fine}/{rule.cap.per}" if rule.cap else "-"
        table.add_row(rule.name, on, f"{rule.fine} {config.currency}", str(rule.points),
                      rule.charge, repeat, cap)
    return table


def _authority(config: SlaConfig) -> Table:
    """Limits per contact reason and level, bottom of the chain first; pilots below."""
    from rich.markup import escape
    from rich.table import Column

    spec = config.authority
    assert spec is not None
    table = _table("contact reason", *(Column(level, no_wrap=True, justify="right")
                                       for level in spec.levels),
                   title=f"Agent authority: one chain {' < '.join(spec.levels)}; limits in "
                         f"{config.currency} (first rule naming the level wins)")
    rows = [("", rule) for rule in spec.limits]
    rows += [(f"{p.name}:", rule) for p in spec.pilots for rule in p.limits]
    for label, rule in rows:
        reasons = "|".join(rule.reasons) or "(default)"
        table.add_row(escape(f"{label} {reasons}".strip()),
                      *(str(rule.limits.get(level, "-")) for level in spec.levels))
    pilots = "; ".join(f"{p.name} {p.start}..{p.end} (excl.)" for p in spec.pilots)
    table.caption = (f"pilots: {pilots or '-'}; audited: every grant >= {spec.audit.threshold}, "
                     f"{spec.audit.sample_rate:.0%} of the others; roster: "
                     f"{len(spec.roster)} people; penalties to: {spec.department or '-'}; "
                     f"approval waits on: {spec.calendar or '-'}")
    return table


def _match(match: Mapping[str, str | tuple[str, ...]]) -> str:
    parts = [f"{k}={'|'.join(v) if isinstance(v, tuple) else v}" for k, v in match.items()]
    return ", ".join(parts) or "(catch-all)"


def _period(period: timedelta) -> str:
    """A calendar period in the file's own units (``30d``, ``1d12h``)."""
    days, seconds = period.days, period.seconds
    parts = [f"{days}d"] if days else []
    parts += [f"{n}{u}" for n, u in ((seconds // 3600, "h"), (seconds % 3600 // 60, "m"),
                                      (seconds % 60, "s")) if n]
    return "".join(parts) or "0s"


def _spans(spans: tuple[Span, ...]) -> str:
    def hhmm(seconds: int) -> str:
        text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
        return f"{text}:{seconds % 60:02d}" if seconds % 60 else text

    return ",".join(f"{hhmm(s.start)}-{hhmm(s.end)}" for s in spans) or "closed"


def _week(calendar: CalendarSpec) -> str:
    """``mon-fri 09:00-12:00,13:30-18:00`` style: runs of days with the same hours."""
    if all(day and day[0].start == 0 and day[0].end == 86400 for day in calendar.week):
        return "24x7"
    runs: list[tuple[int, int]] = []
    for day in range(7):
        if runs and calendar.week[runs[-1][0]] == calendar.week[day]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    parts = []
    for first, last in runs:
        if not calendar.week[first]:
            continue
        days = _DAYS[first] if first == last else f"{_DAYS[first]}-{_DAYS[last]}"
        parts.append(f"{days} {_spans(calendar.week[first])}")
    return "; ".join(parts)
