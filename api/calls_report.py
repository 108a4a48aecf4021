"""The before/after report of the calls policy, from the ledger: one function that the
API's ``GET /api/v1/reports/calls`` and ``sla-police report calls`` both call, so the two
always agree (issue 15, "judging the policy after a month").

The ledger gives plain rows (:mod:`ledger.calls_report`); :func:`sla.calls_change.judge_change`
judges them. The change is local midnight of the change date in the calls policy's time
zone (``calls.qa.timezone``, the policy's by default); calls are read from two windows
before the change (the "minutes released" of the first period compare with the window
before it) to one window after.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from api.schemas_calls import CallsFigures, CallsReport
from ledger.calls_report import block_events, call_rows, first_complaints, qa_verdicts
from sla.calls_change import CallRecord, ChangeReport, Records, block_spans, judge_change
from sla.specs import CallsSpec

__all__ = ["MAX_WINDOW_DAYS", "WINDOW_PATTERN", "calls_change", "parse_window", "report_body"]

#: A window in whole days, ``1d`` to ``366d``.
WINDOW_PATTERN = r"^[1-9][0-9]{0,2}d$"
MAX_WINDOW_DAYS = 366


def parse_window(text: str) -> timedelta:
    """``30d`` -> 30 days; :class:`ValueError` with what is expected otherwise."""
    if not re.fullmatch(WINDOW_PATTERN, text) or int(text[:-1]) > MAX_WINDOW_DAYS:
        raise ValueError(f"expected a window of whole days like 30d (1d to "
                         f"{MAX_WINDOW_DAYS}d); got {text!r}")
    return timedelta(days=int(text[:-1]))


def _complained(engine: Engine, spans: list, until: datetime) -> frozenset[str]:
    """Callers with a complaint (same pseudonym as ``customer_ref``) after their first
    block began, up to ``until``."""
    first_block: dict[str, datetime] = {}
    for span in spans:
        if span.caller not in first_block or span.start < first_block[span.caller]:
            first_block[span.caller] = span.start
    after: dict[str, bool] = defaultdict(bool)
    for caller, at in first_complaints(engine, first_block):
        after[caller] |= first_block[caller] < at < until
    return frozenset(caller for caller, yes in after.items() if yes)


def calls_change(engine: Engine, spec: CallsSpec, change: date,
                 window: timedelta) -> ChangeReport:
    """The figures of the ``window`` before ``change`` and of the ``window`` after it."""
    zone = spec.qa.timezone
    start = datetime.combine(change, datetime.min.time(), tzinfo=ZoneInfo(zone))
    until = start + window
    calls = [CallRecord(*row) for row in call_rows(engine, start - 2 * window, until)]
    starts, ends = block_events(engine, until)
    spans = [span for span in block_spans(starts, ends)
             if span.end is None or span.end > start - window]
    items, verdicts = qa_verdicts(engine, start - window, until)
    records = Records(calls, spans, items, verdicts, _complained(engine, spans, until))
    return judge_change(records, change, window, timezone=zone, band=spec.agent_share)


def report_body(report: ChangeReport) -> CallsReport:
    """The report as the API (and ``--format json``) writes it."""
    def figures(f) -> CallsFigures:
        return CallsFigures(**{name: getattr(f, name) for name in CallsFigures.model_fields})

    return CallsReport(change=report.change, window_days=report.window.days,
                       band=report.band, before=figures(report.before),
                       after=figures(report.after))
