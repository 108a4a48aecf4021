"""The authority report (:mod:`ledger.authority`) as plain data, JSON and CSV bytes.

:func:`report_dict` is what ``--format json`` prints and what the API answers (amounts and
rates as decimal strings, dates ISO). The CSV has one block per section (contact reasons
with the total last, flags, pilots), each with its own header row and separated by an
empty line, so a spreadsheet opens it as three tables one under the other.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.authority import AuthorityReport, FlagRow, GroupFigures, ReasonFigures

__all__ = ["GROUP_COLUMNS", "report_csv", "report_dict", "report_json"]

REASON_COLUMNS = [f.name for f in fields(ReasonFigures)]
FLAG_COLUMNS = [f.name for f in fields(FlagRow)]
GROUP_COLUMNS = [f.name for f in fields(GroupFigures)]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def report_dict(report: AuthorityReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return _plain(asdict(report))


def report_json(report: AuthorityReport) -> bytes:
    return (json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n").encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return ";".join(value) if isinstance(value, list) else _plain(value)


def report_csv(report: AuthorityReport) -> bytes:
    """Three blocks: contact reasons (and ``all``), flags, pilots (one row per side)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", *REASON_COLUMNS])
    for row in [*report.reasons, report.total]:
        writer.writerow([report.period, *(_cell(getattr(row, c)) for c in REASON_COLUMNS)])
    writer.writerow([])
    writer.writerow(["period", *FLAG_COLUMNS])
    for flag in report.flags:
        writer.writerow([report.period, *(_cell(getattr(flag, c)) for c in FLAG_COLUMNS)])
    writer.writerow([])
    writer.writerow(["period", "pilot", "first_day", "last_day", "group", *GROUP_COLUMNS])
    for pilot in report.pilots:
        for group, figures in (("pilot", pilot.pilot_agents), ("rest", pilot.rest)):
            writer.writerow([report.period, pilot.pilot, pilot.first_day.isoformat(),
                             pilot.last_day.isoformat(), group,
                             *(_cell(getattr(figures, c)) for c in GROUP_COLUMNS)])
    return out.getvalue().encode("utf-8")
