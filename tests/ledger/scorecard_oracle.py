"""The scorecard computed straight from replay's outputs (events, not SQL), for the tests.

Written apart from :mod:`ledger.scorecard`, from the rules of docs/scorecard.md: each figure
is counted over the events themselves. Owners are followed in the order the engine emitted
the attributions (replay without sorting), not by the ledger's chain ordering, and repeats
come from the inbound complaints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from models import CloudEvent

RATE, TWO = Decimal("0.0001"), Decimal("0.01")


def month(moment: Any, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def ratio(part: Any, whole: Any, places: Decimal, scale: int = 1) -> Decimal | None:
    return None if not whole else (Decimal(part) * scale / Decimal(whole)).quantize(places)


def owners(outputs: list[CloudEvent], zone: tzinfo) -> dict[str, tuple[str, str]]:
    """ticket -> (complaint month, owner now), following attributions in emission order."""
    found: dict[str, tuple[str, str]] = {}
    for event in outputs:
        if event.type != "sla.attributed":
            continue
        data = event.data
        if data.reason == "rule":
            found[event.subject] = (month(event.time, zone), data.department)
        elif data.reason in ("assignment", "dispute"):
            found[event.subject] = (found[event.subject][0], data.department)
    return found


def volumes(reports: list[CloudEvent]) -> dict[tuple[str, str], tuple[str, int]]:
    """(department, month) -> (unit, volume), newest report of each day or month wins."""
    newest: dict[tuple, CloudEvent] = {}
    for event in sorted(reports, key=lambda e: (e.time, e.id)):
        data = event.data
        key_month = data.period or data.day.strftime("%Y-%m")
        newest[(data.department, key_month, data.unit, data.day)] = event
    unit_of: dict[tuple[str, str], str] = {}
    for (department, key_month, unit, _), _event in sorted(newest.items(),
                                                          key=lambda kv: (kv[1].time, kv[1].id)):
        unit_of[(department, key_month)] = unit
    out = {}
    for (department, key_month), unit in unit_of.items():
        whole = newest.get((department, key_month, unit, None))
        out[(department, key_month)] = (unit, whole.data.count if whole else sum(
            e.data.count for (d, m, u, day), e in newest.items()
            if (d, m, u) == (department, key_month, unit)))
    return out


def expected(outputs: list[CloudEvent], complaints: dict[str, str | None],
             reports: list[CloudEvent], period: str, zone: tzinfo, departments: list[str],
             currency: str = "CNY") -> dict[str, dict[str, Any]]:
    """department -> values of ``period`` (rank included), from the events alone."""
    rows: dict[str, Counter] = defaultdict(Counter)
    reopened = {e.subject for e in outputs if e.type in ("sla.met", "sla.breached",
                                                          "sla.cancelled")
                and e.data.metric == "resolve" and e.data.cycle >= 2}
    for ticket, (arrived, owner) in owners(outputs, zone).items():
        if arrived == period:
            rows[owner]["complaints"] += 1
            rows[owner]["repeat_complaints"] += complaints[ticket] is not None
            rows[owner]["reopened"] += ticket in reopened
    reversed_ids = {e.data.penalty_id for e in outputs if e.type == "penalty.reversed"}
    fines: dict[str, Decimal] = defaultdict(Decimal)
    for event in outputs:
        _count(event, period, zone, rows, fines, reversed_ids, currency)
    _actions(outputs, period, zone, rows)
    found = volumes(reports)
    names = sorted(set(departments) | set(rows) | set(fines)
                   | {d for d, m in found if m == period})
    result = {d: _finish(rows[d], fines.get(d), found.get((d, period))) for d in names}
    attained = [v["attainment"] for v in result.values() if v["attainment"] is not None]
    for values in result.values():
        if values["attainment"] is not None:
            values["rank"] = 1 + len([a for a in attained if a > values["attainment"]])
    return result


def month_end(period: str, zone: tzinfo) -> datetime:
    year, mon = (int(part) for part in period.split("-"))
    return datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)


def _actions(outputs: list[CloudEvent], period: str, zone: tzinfo,
             rows: dict[str, Counter]) -> None:
    """Corrective actions opened, fixed, reviewed (worked) in ``period``, and open past due
    at its end: from the opened, fix-declared and reviewed events. Only the first
    declaration of an opened action is its fix (a later one, or one for no action,
    changes nothing)."""
    opened = {e.data.action_id: e.data for e in outputs if e.type == "corrective_action.opened"}
    fixes: dict[str, Any] = {}
    for event in sorted((e for e in outputs if e.type == "sla.fix_declared"),
                        key=lambda e: (e.time, e.id)):
        if event.data.action_id in opened:
            fixes.setdefault(event.data.action_id, event.data)
    end = month_end(period, zone)
    for action_id, data in opened.items():
        counter = rows[data.department]
        counter["actions_opened"] += month(data.opened_at, zone) == period
        fix = fixes.get(action_id)
        counter["actions_fixed"] += fix is not None and month(fix.declared_at, zone) == period
        counter["actions_overdue"] += (data.opened_at < end and data.due_at < end
                                       and (fix is None or fix.declared_at >= end))
    for event in outputs:
        if event.type == "corrective_action.reviewed" and month(event.data.reviewed_at,
                                                                 zone) == period:
            rows[event.data.department]["actions_reviewed"] += 1
            rows[event.data.department]["actions_worked"] += event.data.worked


def _count(event: CloudEvent, period: str, zone: tzinfo, rows: dict[str, Counter],
           fines: dict[str, Decimal], reversed_ids: set[str], currency: str) -> None:
    data = event.data
    if event.type == "penalty.assessed":
        if data.period == period and event.id not in reversed_ids and data.currency == currency:
            fines[data.department] += data.fine
            rows[data.department]["net_points"] += data.points
        return
    if month(event.time, zone) != period:
        return
    if event.type in ("sla.met", "sla.breached"):
        kind = "met" if event.type == "sla.met" else "breached"
        rows[data.department][f"{data.metric}_{kind}"] += 1
    elif event.type == "sla.attributed" and data.reason == "transfer":
        rows[data.department]["transfers_in"] += 1
    elif (event.type == "sla.dispute_ruled" and data.outcome == "upheld"
          and data.to_department != data.department):
        rows[data.to_department]["disputes_upheld_against"] += 1
    elif event.type == "sla.csat_recorded":
        rows[data.department]["csat_responses"] += 1
        rows[data.department]["csat_total"] += data.score


def _finish(row: Counter, fine: Decimal | None,
            volume: tuple[str, int] | None) -> dict[str, Any]:
    values: dict[str, Any] = {"rank": None}
    for name in ("complaints", "repeat_complaints", "reopened", "transfers_in",
                 "disputes_upheld_against", "csat_responses", "net_points",
                 "actions_opened", "actions_fixed", "actions_reviewed", "actions_worked",
                 "actions_overdue"):
        values[name] = row[name]
    values["volume"], values["volume_unit"] = (volume[1], volume[0]) if volume else (None, None)
    values["complaints_per_1000"] = (ratio(row["complaints"], volume[1], TWO, 1000)
                                     if volume else None)
    values["reopen_rate"] = ratio(row["reopened"], row["complaints"], RATE)
    for metric in ("acknowledge", "resolve"):
        met, breached = row[f"{metric}_met"], row[f"{metric}_breached"]
        values.update({f"{metric}_met": met, f"{metric}_breached": breached,
                       f"{metric}_attainment": ratio(met, met + breached, RATE)})
    met = row["acknowledge_met"] + row["resolve_met"]
    values["breaches"] = row["acknowledge_breached"] + row["resolve_breached"]
    values["attainment"] = ratio(met, met + values["breaches"], RATE)
    values["csat_mean"] = ratio(row["csat_total"], row["csat_responses"], TWO)
    values["net_fine"] = fine if fine is not None else Decimal(0)
    return values
