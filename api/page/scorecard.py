"""The status page's "Scorecard" section: this month's department scorecard
(:mod:`ledger.scorecard`) with each key figure's change from last month, and a 12-month
trend chart per department (:func:`ledger.scorecard_chart.trend_svg`, inline SVG).

Who sees what is ``GET /api/v1/reports/scorecard``'s rule: a department its own row and
rank (among every ranked department), ``hr``, ``executive`` and ``contact_center`` every
row, ``admin`` nothing.

Scoring a month costs seconds on a big ledger (complaints are followed to their owner in
Python) and the page reloads every 15 s, so the app keeps each month's scorecard and
series in a :class:`ScorecardCache` (``app.state.scorecards``) for a few minutes; the
section says when its figures were computed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import Engine

from api.auth import READERS
from api.principals import Principal, Role
from api.settings import ApiSettings
from ledger.export import scorecard_text
from ledger.scorecard import MEASURES, Scorecard, ScorecardRow, scorecard_and_series
from ledger.scorecard_chart import TITLES, trend_svg

__all__ = [
    "COLUMNS",
    "Cell",
    "ScorecardCache",
    "ScorecardData",
    "ScorecardSection",
    "SectionRow",
    "cell",
    "chart_titles",
    "ledger_scorecards",
    "scorecard_section",
]

Series = Sequence[tuple[str, Mapping[str, Any]]]
#: ``month -> (its scorecard, every department's series of the 12 months ending with it)``.
Compute = Callable[[str], tuple[Scorecard, Mapping[str, Series]]]

#: (measure, how it is shown) of the section's columns, after the department.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("complaints", "count"), ("complaints_per_1000", "number"), ("attainment", "rate"),
    ("breaches", "count"), ("repeat_complaints", "count"), ("reopen_rate", "rate"),
    ("disputes_upheld_against", "count"), ("csat_mean", "number"), ("net_fine", "money"),
    ("rank", "count"))
_BETTER = {m.name: m.better for m in MEASURES}


@dataclass(frozen=True)
class ScorecardData:
    """One month's scorecard and series, and when (by the cache's clock) they were read."""

    card: Scorecard
    series: Mapping[str, Series]
    computed_at: datetime


class ScorecardCache:
    """Each month's :class:`ScorecardData`, computed at most once per ``ttl``.

    ``compute`` scores a month (:func:`ledger_scorecards` in the app; a counting fake in
    tests); ``clock`` gives the time entries are stamped and aged by (the app's clock). An
    entry older than ``ttl``, or stamped in the clock's future (the clock was set back), is
    computed again; expired months are dropped. One computation at a time: a request
    arriving meanwhile waits for it rather than scoring the same month again.
    """

    def __init__(self, compute: Compute, *, clock: Callable[[], datetime],
                 ttl: timedelta = timedelta(minutes=5)) -> None:
        self._compute, self._clock, self._ttl = compute, clock, ttl
        self._entries: dict[str, ScorecardData] = {}
        self._lock = threading.Lock()

    def _fresh(self, entry: ScorecardData | None, now: datetime) -> bool:
        return entry is not None and timedelta(0) <= now - entry.computed_at < self._ttl

    def get(self, month: str) -> ScorecardData:
        """``month``'s scorecard and series: the kept ones while fresh, else new ones."""
        with self._lock:
            now = self._clock()
            self._entries = {m: e for m, e in self._entries.items() if self._fresh(e, now)}
            entry = self._entries.get(month)
            if entry is None:
                card, series = self._compute(month)
                entry = self._entries[month] = ScorecardData(card, series, now)
            return entry


def ledger_scorecards(engine: Engine, settings: ApiSettings) -> Compute:
    """The app's :data:`Compute`: :func:`ledger.scorecard.scorecard_and_series` on
    ``engine`` with the policy's time zone, currency and departments."""
    zone = ZoneInfo(settings.timezone)

    def compute(month: str) -> tuple[Scorecard, Mapping[str, Series]]:
        return scorecard_and_series(engine, month, zone=zone, currency=settings.currency,
                                    departments=settings.departments,
                                    as_of=settings.clock())

    return compute


@dataclass(frozen=True)
class Cell:
    """One figure as shown: ``text``, its change from last month (``change``, empty when
    none or zero), ``arrow`` (▲ or ▼, which way the figure went; for rank, which way the
    department moved) and ``verdict`` (``better``, ``worse`` or ``neutral``)."""

    text: str
    change: str = ""
    arrow: str = ""
    verdict: str = "neutral"


@dataclass(frozen=True)
class SectionRow:
    """A department's row: its cells in :data:`COLUMNS` order, its SVG trend chart."""

    department: str
    cells: Sequence[Cell]
    chart: Markup | None


@dataclass(frozen=True)
class ScorecardSection:
    """What the section renders. ``ranked`` counts every ranked department (a department
    sees its own rank among them, not their rows)."""

    period: str
    previous: str
    currency: str
    ranked: int
    computed_at: datetime
    rows: Sequence[SectionRow]
    columns: Sequence[str] = tuple(measure for measure, _ in COLUMNS)


def _change(change: Any, kind: str) -> str:
    if kind == "rate":
        return f"{change * 100:+.1f} pt"
    if kind == "money":
        return f"{change:+,.2f}"
    return f"{change:+,}" if isinstance(change, int) else f"{change:+f}"


def cell(row: ScorecardRow, measure: str, kind: str, ranked: int) -> Cell:
    """``measure`` of ``row`` with its change: better or worse as the CLI colours it
    (:data:`ledger.scorecard.MEASURES`' direction); a rank reads ``2 / 7``, ▲ when the
    department moved up."""
    value, change = row.values[measure], row.change[measure]
    text = scorecard_text(value, kind)
    if measure == "rank" and value is not None:
        text = f"{value} / {ranked}"
    if change is None or change == 0:
        return Cell(text)
    better = _BETTER[measure]
    verdict = "neutral" if better is None else (
        "better" if (change < 0) == (better == "lower") else "worse")
    if measure == "rank":
        return Cell(text, f"{abs(change)}", "▲" if change < 0 else "▼", verdict)
    return Cell(text, _change(change, kind), "▲" if change > 0 else "▼", verdict)


def scorecard_section(data: ScorecardData, principal: Principal, *,
                      names: Mapping[str, str], titles: Mapping[str, str]
                      ) -> ScorecardSection | None:
    """The section for ``principal`` (None: not for its role), the charts drawn with the
    departments' display ``names`` and the language's ``titles`` (keys of
    :data:`ledger.scorecard_chart.TITLES`)."""
    if principal.role not in READERS:
        return None
    card = data.card
    ranked = sum(row["rank"] is not None for row in card.rows)
    visible = [row for row in card.rows if principal.role is not Role.DEPARTMENT
               or row.department == principal.department]
    rows = []
    for row in visible:
        series = data.series.get(row.department)
        chart = None if series is None else Markup(trend_svg(  # noqa: S704 - escaped inside
            row.department, series, name=names.get(row.department), titles=titles))
        rows.append(SectionRow(row.department,
                               [cell(row, m, kind, ranked) for m, kind in COLUMNS], chart))
    return ScorecardSection(card.period, card.previous, card.currency, ranked,
                            data.computed_at, rows)


def chart_titles(words: Mapping[str, str]) -> dict[str, str]:
    """The chart's words in a language of :mod:`api.page.i18n` (``chart_<key>``)."""
    return {key: words.get(f"chart_{key}", english) for key, english in TITLES.items()}
