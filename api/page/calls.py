"""The status page's "Calls" section (issue 15): caller blocks, block requests and the
before/after report of the calls policy.

- **Blocks and requests** (the contact center and its lead, as ``GET /api/v1/blocks``):
  the blocks active now, newest first, and the block requests waiting for a decision,
  oldest first, each at most :data:`BLOCKS`. The lead also gets a decision form per
  request and a lift form per block (:mod:`api.page.forms`). Executives read the counts
  only: no caller reference reaches their page.
- **The calls report** (executives, the contact center, its lead, as
  ``GET /api/v1/reports/calls``): the figures of :func:`api.calls_report.calls_change`
  (no second computation) before and after the change date and window of the query
  string (``?calls_change=2026-11-01&calls_window=30d``), kept in a
  :class:`api.page.authority.ReportCache` (``app.state.calls_reports``) like the
  authority report.

The ledger has no query for the pending requests or the counts (its module is
:mod:`ledger.call_records`); the two small reads below use its tables directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from api.auth import CALLS_READERS, CONTACT_CENTER
from api.calls_report import calls_change, parse_window, report_body
from api.page.authority import ReportCache
from api.principals import Principal, Role
from api.schemas_calls import CallsFigures, CallsReport
from api.settings import ApiSettings
from ledger.call_records import block_counts, pending_requests
from ledger.calls import active_blocks

__all__ = [
    "BLOCKS",
    "CALLS_ROWS",
    "BlockLine",
    "CallsSection",
    "ReportRow",
    "RequestLine",
    "calls_figure",
    "calls_section",
    "ledger_calls_report",
    "report_key",
]

BLOCKS = 50  #: active blocks shown, newest first; pending requests shown, oldest first
#: (measure, how it is shown, which way is better: "lower", "higher" or None).
CALLS_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("calls", "count", None), ("csat", "mean", "higher"), ("agent_share", "rate", None),
    ("minutes_released", "minutes", "higher"), ("qa_compliance", "rate", "higher"),
    ("blocked_callers", "count", None), ("blocked_who_complained", "count", "lower"))


def calls_figure(value: Any, kind: str) -> str:
    """A figure of the API's calls report as shown: ``count``, ``mean`` (CSAT, two
    places), ``rate`` (a share as a percentage) or ``minutes``; a dash when empty."""
    if value is None:
        return "—"
    if kind == "mean":
        return f"{value:.2f}"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "minutes":
        return f"{value:,.1f}"
    return str(value)


@dataclass(frozen=True)
class BlockLine:
    """An active block; ``rule`` set for an automatic block, else who asked and who
    approved (from the block's ``by``: ``rule:<name>`` or ``<requester>+<approver>``)."""

    block_id: str
    caller: str
    period: str
    blocked_at: datetime
    until: datetime | None
    review_at: datetime | None
    reason: str
    rule: str | None
    requester: str | None
    approver: str | None


@dataclass(frozen=True)
class RequestLine:
    """A block request waiting for a lead's decision."""

    request_id: str
    caller: str
    period: str
    reason: str
    evidence: int
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class ReportRow:
    """One measure before and after; ``sub``: the counts under each side's figure;
    ``verdict``: the after side against the before (better, worse, neutral)."""

    measure: str
    before: str
    after: str
    before_sub: Mapping[str, Any] | None
    after_sub: Mapping[str, Any] | None
    verdict: str = "neutral"


@dataclass(frozen=True)
class CallsSection:
    """What the section renders. ``configured`` False: the policy has no ``calls:``
    section. ``blocks``/``requests`` None: counts only (executives). ``change``/``window``:
    the query's text (for the form); ``error``: an i18n key when it is not a date or a
    window; ``report`` None: nothing asked yet."""

    configured: bool
    counts: Mapping[str, int]
    blocks: Sequence[BlockLine] | None = None
    requests: Sequence[RequestLine] | None = None
    more_blocks: bool = False
    more_requests: bool = False
    can_decide: bool = False
    change: str = ""
    window: str = "30d"
    error: str | None = None
    report: CallsReport | None = None
    rows: Sequence[ReportRow] = ()
    computed_at: datetime | None = None
    limit: int = BLOCKS


def report_key(change: str, window: str) -> tuple[str | None, str | None]:
    """(cache key ``YYYY-MM-DD/<n>d``, None) for a valid query, else (None, the i18n key
    of what is wrong); (None, None) when neither is given."""
    if not change and not window:
        return None, None
    try:
        day = date.fromisoformat(change.strip())
    except ValueError:
        return None, "calls_bad_change"
    if not date(1900, 1, 1) <= day <= date(2999, 12, 31):
        return None, "calls_bad_change"
    try:
        span = parse_window((window or "30d").strip())
    except ValueError:
        return None, "calls_bad_window"
    return f"{day.isoformat()}/{span.days}d", None


def ledger_calls_report(engine: Engine, settings: ApiSettings) -> Callable[[str], Any]:
    """The cache's computation: the API's report of a :func:`report_key` (None without a
    calls policy)."""
    def compute(key: str) -> CallsReport | None:
        if settings.calls is None:
            return None
        day, window = key.split("/")
        return report_body(calls_change(engine, settings.calls, date.fromisoformat(day),
                                        parse_window(window)))
    return compute


def _sub(f: CallsFigures, measure: str) -> dict[str, Any] | None:
    """The counts under a mean or a share (an i18n key ``csub_<measure>`` words them);
    none when there is nothing to count."""
    counts: dict[str, dict[str, Any]] = {
        "csat": {"n": f.csat_count},
        "agent_share": {"agent": f.agent_hangups, "customer": f.customer_hangups},
        "qa_compliance": {"n": f.qa_compliant, "of": f.qa_reviewed}}
    sub = counts.get(measure)
    return sub if sub and any(sub.values()) else None


def _verdict(before: Any, after: Any, better: str | None) -> str:
    if better is None or before is None or after is None or before == after:
        return "neutral"
    return "better" if (after < before) == (better == "lower") else "worse"


def report_rows(report: CallsReport) -> list[ReportRow]:
    """The report, measure by measure, the after side judged against the before."""
    rows = []
    for measure, kind, better in CALLS_ROWS:
        before, after = getattr(report.before, measure), getattr(report.after, measure)
        rows.append(ReportRow(measure, calls_figure(before, kind), calls_figure(after, kind),
                              _sub(report.before, measure), _sub(report.after, measure),
                              _verdict(before, after, better)))
    return rows


def _block_line(row: Any) -> BlockLine:
    rule = row.by[len("rule:"):] if row.by.startswith("rule:") else None
    requester, _, approver = ("", "", "") if rule is not None else row.by.partition("+")
    return BlockLine(row.block_id, row.caller, row.period, row.blocked_at, row.until,
                     row.review_at, row.reason, rule, requester or None, approver or None)


def _pending(engine: Engine, limit: int) -> list[RequestLine]:
    """The requests waiting for a decision, oldest first."""
    return [RequestLine(r.request_id, r.caller or "", r.period or "", r.reason or "",
                        len(r.evidence), r.requested_by or "", r.requested_at)
            for r in pending_requests(engine, limit) if r.requested_at is not None]


def calls_section(engine: Engine, settings: ApiSettings, principal: Principal,
                  now: datetime, cache: ReportCache[CallsReport | None],
                  query: Mapping[str, str]) -> CallsSection | None:
    """The section for ``principal`` at ``now`` (None: not for its role); ``query``: the
    page's query string (``calls_change``, ``calls_window``)."""
    if principal.role not in CALLS_READERS:
        return None
    if settings.calls is None:
        return CallsSection(False, {})
    change, window = query.get("calls_change", ""), query.get("calls_window", "")
    key, error = report_key(change[:32], window[:8])
    report, computed_at = cache.get(key) if key else (None, None)
    section = CallsSection(True, block_counts(engine, now), change=change[:32],
                           window=window[:8] or "30d", error=error, report=report,
                           rows=report_rows(report) if report else (),
                           computed_at=computed_at)
    if principal.role not in CONTACT_CENTER:
        return section
    blocks = active_blocks(engine, now, BLOCKS + 1)
    requests = _pending(engine, BLOCKS + 1)
    return replace(section, blocks=[_block_line(r) for r in blocks[:BLOCKS]],
                   requests=requests[:BLOCKS], more_blocks=len(blocks) > BLOCKS,
                   more_requests=len(requests) > BLOCKS,
                   can_decide=principal.role is Role.CONTACT_CENTER_LEAD)

