"""A department's last 12 months at a glance: the scorecard's series as inline SVG text.

:func:`trend_svg` draws four small panels sharing the months: SLA attainment (a line, the
panel's own range), complaints (bars; per 1,000 units of volume when every month has a
volume), mean CSAT (a line on the 1-5 scale) and fines net of reversals (bars). A month with
nothing to say leaves a gap, never a zero. Each panel names its latest value and its change
from the month before, so the chart reads without hovering. Pure text: no SQL, no fonts
to ship, no script; the same series always gives the same bytes (the status page embeds it
as is). The series come from :func:`ledger.scorecard.scorecard_series`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["TITLES", "trend_svg"]

Series = Sequence[tuple[str, dict[str, Any]]]

WIDTH, PANEL, TOP, LEFT, RIGHT = 660, 96, 46, 72, 150
_INK, _MUTED, _GRID = "#1f2933", "#616e7c", "#e4e7eb"
#: The chart's words in English; :func:`trend_svg` takes others (the status page's Chinese).
TITLES: Mapping[str, str] = {
    "attainment": "SLA attainment", "complaints": "complaints",
    "complaints_per_1000": "complaints per 1,000 units", "csat_mean": "mean CSAT (1-5)",
    "net_fine": "fines, net of reversals", "no_data": "no data"}
_COLOURS = {"attainment": "#2563eb", "complaints": "#d97706", "csat_mean": "#059669",
            "net_fine": "#dc2626"}


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _panels(series: Series, titles: Mapping[str, str]
            ) -> list[tuple[str, str, str, Callable[[Any], str], tuple]]:
    """(measure, title, style, format, fixed range or ()) of each panel."""
    per_volume = all(values.get("complaints_per_1000") is not None for _, values in series)
    complaints = "complaints_per_1000" if per_volume else "complaints"
    return [
        ("attainment", titles["attainment"], "line", lambda v: f"{float(v) * 100:.1f}%", ()),
        (complaints, titles[complaints], "bars",
         lambda v: f"{v:,}" if isinstance(v, int) else f"{v:,.2f}", ()),
        ("csat_mean", titles["csat_mean"], "line", lambda v: f"{float(v):.2f}", (1.0, 5.0)),
        ("net_fine", titles["net_fine"], "bars", lambda v: f"{Decimal(v):,.0f}", ()),
    ]


def _scale(values: list[float | None], fixed: tuple, measure: str = "") -> tuple[float, float]:
    """The panel's (low, high): ``fixed``, else the values' range (from 0 when that is
    close). One value (or equal ones) gets a band around it: a tenth of it, or 1, never
    outside 0-100% for attainment (a single 93% month is not drawn on -7%..193%)."""
    if fixed:
        return fixed
    known = [v for v in values if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    low = min(low, 0.0) if high > 0 and low >= 0 and low < high * 0.5 else low
    if high > low:
        return low, high
    if measure != "attainment":
        return low - 1.0, high + 1.0
    pad = abs(high) * 0.1 or 1.0
    low, high = max(low - pad, 0.0), min(high + pad, 1.0)
    return (low, high) if high > low else (0.0, 1.0)


def _x(i: int, n: int) -> float:
    step = (WIDTH - LEFT - RIGHT) / max(n, 1)
    return LEFT + step * (i + 0.5)


def _shape(kind: str, values: list[float | None], top: float, low: float, high: float,
           colour: str) -> list[str]:
    """The line (with a dot per month, broken at gaps) or the bars of one panel."""
    n, height = len(values), PANEL - 30

    def y(v: float) -> float:
        return top + height - (v - low) / (high - low) * height

    if kind == "bars":
        width = (WIDTH - LEFT - RIGHT) / max(n, 1) * 0.6
        base = y(max(low, 0.0))
        return [f'<rect x="{_x(i, n) - width / 2:.1f}" y="{min(y(v), base):.1f}" '
                f'width="{width:.1f}" height="{abs(base - y(v)):.1f}" fill="{colour}" '
                f'opacity="0.8"/>' for i, v in enumerate(values) if v is not None]
    parts, run = [], []
    for i, v in enumerate([*values, None]):
        if v is not None:
            run.append(f"{_x(i, n):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{_x(i, n):.1f}" cy="{y(v):.1f}" r="2.5" '
                         f'fill="{colour}"/>')
        elif run:
            parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"/>')
            run = []
    return parts


def _latest(series: Series, measure: str, fmt: Callable[[Any], str], no_data: str) -> str:
    """'93.1% (+1.2)' for the last month, with its change from the month before."""
    last = series[-1][1].get(measure) if series else None
    if last is None:
        return no_data
    before = series[-2][1].get(measure) if len(series) > 1 else None
    if before is None:
        return fmt(last)
    delta = float(last) - float(before)
    if measure == "attainment":
        return f"{fmt(last)} ({delta * 100:+.1f} pt)"
    return f"{fmt(last)} ({delta:+,.2f})".replace(".00)", ")")


def _panel(series: Series, index: int, panel: tuple, no_data: str) -> list[str]:
    measure, title, kind, fmt, fixed = panel
    top = TOP + index * PANEL
    values = [_number(values.get(measure)) for _, values in series]
    low, high = _scale(values, fixed, measure)
    colour = _COLOURS.get(measure, _COLOURS["complaints"])
    bottom = top + PANEL - 30
    return [
        f'<text x="{LEFT}" y="{top - 6}" font-size="12" fill="{_INK}">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" '
        f'stroke="{_GRID}"/>',
        f'<line x1="{LEFT}" y1="{top}" x2="{WIDTH - RIGHT}" y2="{top}" stroke="{_GRID}"/>',
        f'<text x="{LEFT - 4}" y="{top + 4}" font-size="10" fill="{_MUTED}" '
        f'text-anchor="end">{escape(fmt(_round(high, measure)))}</text>',
        f'<text x="{LEFT - 4}" y="{bottom}" font-size="10" fill="{_MUTED}" '
        f'text-anchor="end">{escape(fmt(_round(low, measure)))}</text>',
        *_shape(kind, values, top, low, high, colour),
        f'<text x="{WIDTH - RIGHT + 10}" y="{top + (PANEL - 30) / 2 + 4:.1f}" font-size="12" '
        f'fill="{colour}">{escape(_latest(series, measure, fmt, no_data))}</text>',
    ]


def _round(value: float, measure: str) -> Any:
    return int(round(value)) if measure in ("complaints", "net_fine") else value


def trend_svg(department: str, series: Series, *, name: str | None = None,
              titles: Mapping[str, str] | None = None) -> str:
    """An SVG document (text) of ``department``'s months in ``series``: ``[(month,
    values)]``, oldest first, values keyed by :data:`ledger.scorecard.MEASURES` names.
    ``name`` is the department's display name (e.g. 物流部), shown beside its id;
    ``titles`` replace the panels' words (keys of :data:`TITLES`)."""
    titles = {**TITLES, **(titles or {})}
    panels = _panels(series, titles)
    height = TOP + PANEL * len(panels) + 4
    label = f"{name} ({department})" if name else department
    first, last = (series[0][0], series[-1][0]) if series else ("", "")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" font-family="sans-serif" '
        f'aria-label="{escape(label, {chr(34): "&quot;"})}: trend {first} to {last}">',
        f"<title>{escape(label)}: {first} to {last}</title>",
        f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold" fill="{_INK}">'
        f"{escape(label)}</text>",
    ]
    for index, panel in enumerate(panels):
        parts.extend(_panel(series, index, panel, titles["no_data"]))
    for i, (month, _) in enumerate(series):
        year, mon = month.split("-")
        text = f"{mon}/{year[2:]}" if mon == "01" or i == 0 else mon
        parts.append(f'<text x="{_x(i, len(series)):.1f}" y="{height - 6}" font-size="10" '
                     f'fill="{_MUTED}" text-anchor="middle">{text}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
