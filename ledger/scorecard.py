"""The monthly department scorecard: how each department did, against last month and peers.

One row per department and month (months in the policy's time zone), from the ledger's
tables as they are now:

- ``complaints``: tickets whose complaint arrived in the month (their ``sla.attributed`` by
  rule) and that the department *owns* now: the last attribution by rule, reassignment or
  upheld dispute names it (a transfer moves the work, not the blame; see
  docs/semantics.md). Of those, ``repeat_complaints`` say ``repeat_of`` an earlier ticket,
  and ``reopened`` were reopened (a resolve clock of cycle 2 or more has ended: met,
  breached or cancelled); ``reopen_rate`` = reopened / complaints.
- ``volume`` (``volume_unit``): the business volume reported for the month
  (``volume.reported``: a month's report, else the sum of its days; the newest report of a
  day or month wins; a department reporting several units counts the one it reported last),
  and ``complaints_per_1000`` units of it.
- Clocks ending in the month, per metric: ``*_met``, ``*_breached`` and ``*_attainment`` =
  met / (met + breached); ``attainment`` over both metrics; ``breaches``. Cancelled clocks
  count nowhere.
- ``transfers_in``: tickets other departments transferred to it in the month;
  ``disputes_upheld_against``: rulings in the month that upheld another department's
  dispute and moved the ticket to it.
- ``csat_responses`` and ``csat_mean``: scores recorded in the month while it held the
  ticket (``sla.csat_recorded``).
- ``net_fine`` (in the policy's currency) and ``net_points``: the month's penalties
  (``period``), reversed ones left out whenever reversed.
- ``actions_opened``, ``actions_fixed``, ``actions_reviewed``, ``actions_worked``: its
  corrective actions opened in the month, fixes declared, reviews, and of those reviews
  the ones that found the fix worked; ``actions_overdue``: actions open (no fix declared)
  past their due time at the month's end, or at ``as_of`` for the month in progress
  (:func:`ledger.corrective_actions.action_counts`).
- ``rank``: by ``attainment``, highest first; equal attainments share a rank (1, 2, 2, 4);
  a department with no ended clock has none.

Every measure has its ``change`` from the previous month: this month's value minus the
previous one's (none when either is missing); for ``rank`` a negative change is a move up.
Rates are rounded half-even to 4 places, per-1,000 figures and means to 2.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Engine, String, func, select, type_coerce

from ledger.corrective_actions import ACTION_COUNTS, action_counts
from ledger.periods import parse_period, period_end
from ledger.queries import Holding, in_chain_order
from ledger.tables import (
    Attribution,
    ClockOutcome,
    CsatResponse,
    Dispute,
    Penalty,
    Volume,
    decimal_sum,
)

__all__ = [
    "MEASURES",
    "METRICS",
    "Measure",
    "Scorecard",
    "ScorecardRow",
    "month_scores",
    "month_volumes",
    "previous_period",
    "scorecard",
    "scorecard_and_series",
    "scorecard_series",
]

METRICS = ("acknowledge", "resolve")
OWNING = frozenset({"rule", "assignment", "dispute"})
_RATE, _TWO = Decimal("0.0001"), Decimal("0.01")
_OTHERS = ("transfers", "disputes", "csat", "fines")  #: :func:`_others`' tables


@dataclass(frozen=True)
class Measure:
    """A scorecard column: its name, what it holds (count, rate, number, money) and which
    way is better (``higher``, ``lower``, or ``None`` for neither)."""

    name: str
    kind: str
    better: str | None


MEASURES: tuple[Measure, ...] = (
    Measure("rank", "count", "lower"),
    Measure("complaints", "count", "lower"),
    Measure("volume", "count", None),
    Measure("complaints_per_1000", "number", "lower"),
    Measure("repeat_complaints", "count", "lower"),
    Measure("reopened", "count", "lower"),
    Measure("reopen_rate", "rate", "lower"),
    *(Measure(f"{metric}_{kind}", k, better) for metric in METRICS
      for kind, k, better in (("met", "count", "higher"), ("breached", "count", "lower"),
                              ("attainment", "rate", "higher"))),
    Measure("attainment", "rate", "higher"),
    Measure("breaches", "count", "lower"),
    Measure("transfers_in", "count", "lower"),
    Measure("disputes_upheld_against", "count", "lower"),
    Measure("csat_responses", "count", None),
    Measure("csat_mean", "number", "higher"),
    Measure("net_fine", "money", "lower"),
    Measure("net_points", "count", "lower"),
    Measure("actions_opened", "count", "lower"),
    Measure("actions_fixed", "count", None),
    Measure("actions_reviewed", "count", None),
    Measure("actions_worked", "count", "higher"),
    Measure("actions_overdue", "count", "lower"),
)


@dataclass(frozen=True)
class ScorecardRow:
    """One department in one month: ``values`` and ``change`` (from the previous month),
    both keyed by :data:`MEASURES` names; ``None`` where there is nothing to say."""

    period: str
    department: str
    volume_unit: str | None
    currency: str
    values: Mapping[str, Any]
    change: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


@dataclass(frozen=True)
class Scorecard:
    """A month's scorecard: rows by rank (unranked last), then department."""

    period: str
    previous: str
    currency: str
    rows: Sequence[ScorecardRow]

    def row(self, department: str) -> ScorecardRow | None:
        return next((r for r in self.rows if r.department == department), None)


def previous_period(period: str) -> str:
    """The month before ``period``."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def _bounds(period: str, zone: tzinfo) -> tuple[datetime, datetime]:
    year, month = (int(part) for part in parse_period(period).split("-"))
    return datetime(year, month, 1, tzinfo=zone), period_end(period, zone)


def _ratio(part: int | Decimal, whole: int | Decimal, places: Decimal,
           scale: int = 1) -> Decimal | None:
    """``part * scale / whole`` rounded half-even to ``places``; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(places)


def _owner(chain: Sequence[Any]) -> str:
    """The department owning a ticket now: the last holding of ``chain`` (its attribution
    rows by time, then id) by rule, reassignment or upheld dispute. Rows sharing an instant
    are put in chain order (:func:`ledger.queries.in_chain_order`); most chains have none,
    and then time order is chain order. ``attributed_at`` is the column's stored value
    (see :func:`_complaints`): only compared for equality, here and in ``in_chain_order``."""
    if len({row.attributed_at for row in chain}) < len(chain):
        chain = in_chain_order([Holding(row.department, row.attributed_at, row.reason, "",
                                        row.previous_department, None, row.id)
                                for row in chain])
    return [row.department for row in chain if row.reason in OWNING][-1]


def _complaints(conn: Connection, since: datetime, until: datetime) -> dict[str, list[int]]:
    """department -> [complaints, repeats, reopened] of the tickets whose complaint arrived
    in [since, until), counted for the department that owns each now."""
    arrived = (select(Attribution.ticket)
               .where(Attribution.reason == "rule", Attribution.attributed_at >= since,
                      Attribution.attributed_at < until))
    # attributed_at as stored (UTC text on SQLite, a timestamp on PostgreSQL): equal
    # instants are equal values, and decoding every row cost a fifth of a month's scoring
    rows = conn.execute(
        select(Attribution.ticket, Attribution.department,
               type_coerce(Attribution.attributed_at, String).label("attributed_at"),
               Attribution.reason, Attribution.previous_department, Attribution.repeat_of,
               Attribution.id)
        .where(Attribution.ticket.in_(arrived.scalar_subquery()))
        .order_by(Attribution.ticket, Attribution.attributed_at, Attribution.id)).all()
    reopened = set(conn.execute(
        select(ClockOutcome.ticket).distinct()
        .where(ClockOutcome.metric == "resolve", ClockOutcome.cycle >= 2,
               ClockOutcome.ticket.in_(arrived.scalar_subquery()))).scalars())
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ticket, group in groupby(rows, key=lambda row: row.ticket):
        chain = list(group)
        figures = counts[chain[0].department if len(chain) == 1 else _owner(chain)]
        figures[0] += 1
        figures[1] += any(row.repeat_of is not None for row in chain)
        figures[2] += ticket in reopened
    return counts


def _clocks(conn: Connection, since: datetime,
            until: datetime) -> dict[str, dict[tuple[str, str], int]]:
    """department -> {(metric, met|breached): clocks that ended so in [since, until)}."""
    rows = conn.execute(
        select(ClockOutcome.department, ClockOutcome.metric, ClockOutcome.outcome, func.count())
        .where(ClockOutcome.outcome.in_(("met", "breached")), ClockOutcome.ended_at >= since,
               ClockOutcome.ended_at < until)
        .group_by(ClockOutcome.department, ClockOutcome.metric, ClockOutcome.outcome)).all()
    out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for department, metric, outcome, n in rows:
        out[department][(metric, outcome)] = n
    return out


def _counted(conn: Connection, stmt: Any) -> dict[str, tuple[Any, ...]]:
    """department -> the other columns of each row of ``stmt`` (grouped by department)."""
    return {row[0]: tuple(row[1:]) for row in conn.execute(stmt).all()}


def _others(conn: Connection, period: str, since: datetime, until: datetime,
            currency: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Transfers in, upheld disputes against, CSAT and fines, per department."""
    transfers = (select(Attribution.department, func.count())
                 .where(Attribution.reason == "transfer", Attribution.attributed_at >= since,
                        Attribution.attributed_at < until).group_by(Attribution.department))
    disputes = (select(Dispute.to_department, func.count())
                .where(Dispute.outcome == "upheld", Dispute.ruled_at >= since,
                       Dispute.ruled_at < until, Dispute.to_department != Dispute.department)
                .group_by(Dispute.to_department))
    csat = (select(CsatResponse.department, func.count(), func.sum(CsatResponse.score))
            .where(CsatResponse.recorded_at >= since, CsatResponse.recorded_at < until)
            .group_by(CsatResponse.department))
    fines = (select(Penalty.department, decimal_sum(Penalty.fine), func.sum(Penalty.points))
             .where(Penalty.period == period, Penalty.reversal_id.is_(None),
                    Penalty.currency == currency).group_by(Penalty.department))
    return {name: _counted(conn, stmt) for name, stmt in
            zip(_OTHERS, (transfers, disputes, csat, fines), strict=True)}


def _volumes(conn: Connection, period: str) -> dict[str, tuple[str, int]]:
    """department -> (unit, volume) of ``period``: the newest report of each day or of the
    month wins; a month's report beats its days; the unit reported last is the one."""
    rows = conn.execute(
        select(Volume.department, Volume.unit, Volume.day, Volume.count, Volume.reported_at,
               Volume.id).where(Volume.month == period)).all()
    newest: dict[tuple[str, str, Any], tuple[Any, str, int]] = {}
    for department, unit, day, count, at, event_id in rows:
        key = (department, unit, day)
        if key not in newest or (at, event_id) > newest[key][:2]:
            newest[key] = (at, event_id, count)
    latest_unit: dict[str, tuple[Any, str, str]] = {}
    for (department, unit, _day), (at, event_id, _count) in newest.items():
        if department not in latest_unit or (at, event_id) > latest_unit[department][:2]:
            latest_unit[department] = (at, event_id, unit)
    out: dict[str, tuple[str, int]] = {}
    for department, (_at, _id, unit) in latest_unit.items():
        month = newest.get((department, unit, None))
        total = month[2] if month else sum(count for (d, u, day), (_a, _i, count)
                                           in newest.items() if d == department and u == unit)
        out[department] = (unit, total)
    return out


def month_volumes(engine: Engine, period: str) -> dict[str, tuple[str, int]]:
    """department -> (unit, volume) reported for ``period``, counted as the scorecard counts
    it (what the worker exposes as ``sla_business_volume_month``)."""
    with engine.connect() as conn:
        return _volumes(conn, period)


def month_scores(engine: Engine, period: str, zone: tzinfo, currency: str,
                 departments: Iterable[str] = (), as_of: datetime | None = None
                 ) -> dict[str, dict[str, Any]]:
    """department -> its values (every :data:`MEASURES` name, ``rank`` included, and
    ``volume_unit``) for ``period``: ``departments`` and every department the month's data
    names. ``as_of`` (now) bounds the instant overdue actions are counted at."""
    since, until = _bounds(period, zone)
    cut = until if as_of is None else min(until, as_of)
    with engine.connect() as conn:
        complaints = _complaints(conn, since, until)
        clocks = _clocks(conn, since, until)
        others = _others(conn, period, since, until, currency)
        volumes = _volumes(conn, period)
        actions = action_counts(conn, since, until, cut)
    names = set(departments) | set(complaints) | set(clocks) | set(volumes) | set(actions)
    names |= {d for table in others.values() for d in table}
    scores = {d: _values(complaints.get(d, [0, 0, 0]), clocks.get(d, {}), volumes.get(d),
                         {k: table.get(d) for k, table in others.items()}, actions.get(d))
              for d in sorted(names)}
    _rank(scores)
    return scores


def _values(complaints: list[int], clocks: Mapping[tuple[str, str], int],
            volume: tuple[str, int] | None, others: Mapping[str, Any],
            actions: Sequence[int] | None = None) -> dict[str, Any]:
    """One department's values from its counts."""
    n, repeats, reopened = complaints
    values: dict[str, Any] = {
        "rank": None, "complaints": n, "volume": volume[1] if volume else None,
        "volume_unit": volume[0] if volume else None,
        "complaints_per_1000": _ratio(n, volume[1], _TWO, 1000) if volume else None,
        "repeat_complaints": repeats, "reopened": reopened,
        "reopen_rate": _ratio(reopened, n, _RATE)}
    for metric in METRICS:
        met, breached = clocks.get((metric, "met"), 0), clocks.get((metric, "breached"), 0)
        values.update({f"{metric}_met": met, f"{metric}_breached": breached,
                       f"{metric}_attainment": _ratio(met, met + breached, _RATE)})
    met = sum(n for (_, kind), n in clocks.items() if kind == "met")
    breaches = sum(n for (_, kind), n in clocks.items() if kind == "breached")
    responses, total = others["csat"] or (0, 0)
    fine, points = others["fines"] or (Decimal(0), 0)
    values.update({
        "attainment": _ratio(met, met + breaches, _RATE), "breaches": breaches,
        "transfers_in": (others["transfers"] or (0,))[0],
        "disputes_upheld_against": (others["disputes"] or (0,))[0],
        "csat_responses": responses, "csat_mean": _ratio(total or 0, responses, _TWO),
        "net_fine": fine, "net_points": int(points)})
    values.update(zip(ACTION_COUNTS, actions or [0] * len(ACTION_COUNTS), strict=True))
    return values


def _rank(scores: dict[str, dict[str, Any]]) -> None:
    """Rank by attainment, highest first; equal attainments share a rank; none without."""
    ranked = [v["attainment"] for v in scores.values() if v["attainment"] is not None]
    for values in scores.values():
        if values["attainment"] is not None:
            values["rank"] = 1 + sum(other > values["attainment"] for other in ranked)


def _change(now: Any, before: Any) -> Any:
    return None if now is None or before is None else now - before


def _card(period: str, currency: str, now: Mapping[str, Mapping[str, Any]],
          before: Mapping[str, Mapping[str, Any]]) -> Scorecard:
    """``period``'s scorecard from its scores and the previous month's (which name every
    department ``now`` names)."""
    rows = [ScorecardRow(period, department, values["volume_unit"], currency,
                         {m.name: values[m.name] for m in MEASURES},
                         {m.name: _change(values[m.name], before[department][m.name])
                          for m in MEASURES})
            for department, values in now.items()]
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r.department))
    return Scorecard(period, previous_period(period), currency, rows)


def scorecard(engine: Engine, period: str, *, zone: tzinfo, currency: str,
              departments: Iterable[str] = (), as_of: datetime | None = None) -> Scorecard:
    """The scorecard of ``period``, each value with its change from the previous month;
    ``as_of``: now, when ``period`` may be in progress (overdue actions are counted then,
    not at a month's end still to come)."""
    departments = list(departments)
    now = month_scores(engine, period, zone, currency, departments, as_of)
    before = month_scores(engine, previous_period(period), zone, currency, now, as_of)
    return _card(period, currency, now, before)


def _periods(last: str, months: int) -> list[str]:
    periods = [last]
    while len(periods) < months:
        periods.insert(0, previous_period(periods[0]))
    return periods


def _series(by_month: Mapping[str, Mapping[str, Mapping[str, Any]]]
            ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    names = sorted({d for scores in by_month.values() for d in scores})
    empty = {m.name: None for m in MEASURES}
    return {d: [(p, scores.get(d, empty)) for p, scores in by_month.items()]
            for d in names}


def scorecard_series(engine: Engine, last: str, *, zone: tzinfo, currency: str,
                     departments: Iterable[str] = (), months: int = 12,
                     as_of: datetime | None = None
                     ) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """department -> [(month, values)] for the ``months`` months ending with ``last``,
    oldest first (the trend chart's series, :mod:`ledger.scorecard_chart`)."""
    departments = list(departments)
    return _series({p: month_scores(engine, p, zone, currency, departments, as_of)
                    for p in _periods(last, months)})


def scorecard_and_series(engine: Engine, last: str, *, zone: tzinfo, currency: str,
                         departments: Iterable[str] = (), months: int = 12,
                         as_of: datetime | None = None
                         ) -> tuple[Scorecard, dict[str, list[tuple[str, dict[str, Any]]]]]:
    """``scorecard(last)`` and ``scorecard_series(last)`` together, each month scored once
    (the status page's pair: two months fewer than asking for both).

    The previous month's scores name only ``departments`` and the departments its data
    names; a department named by ``last`` alone gets there the values
    :func:`month_scores` gives a department without data (zeros, no rank), as
    :func:`scorecard` would."""
    departments = list(departments)
    periods = _periods(last, max(months, 2))
    by_month = {p: month_scores(engine, p, zone, currency, departments, as_of)
                for p in periods}
    now, before = by_month[last], dict(by_month[periods[-2]])
    for department in now.keys() - before.keys():
        before[department] = _values([0, 0, 0], {}, None, dict.fromkeys(_OTHERS))
    series = _series({p: by_month[p] for p in periods[-months:]})
    return _card(last, currency, now, before), series
