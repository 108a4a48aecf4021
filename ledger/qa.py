"""The QA queue of calls and QA compliance, from the ledger (issue 15, "QA sampling").

``qa_items`` holds each call put in the QA queue (``qa.item_opened``: the weekly sample of
an agent's hang-ups and every norm breach, :mod:`sla.calls_qa`) merged with its verdict
(``qa.reviewed``). :func:`qa_page` is the queue the API pages through, oldest call first,
each item with its call's figures from ``call_records`` (an outer join: a call not
recorded yet has none); :func:`find_qa` is one item, what a verdict is checked against.
:func:`qa_compliance` counts, per agent and per team, the items of the calls ended in a
span: reviewed, compliant, their share, and those still open. The API's
``/reports/qa`` and ``sla-police report qa`` both call it, so they always agree.

An item is *recorded* once its ``qa.item_opened`` is (a verdict that arrived first leaves
a row without ``ended_at``: neither listed nor counted until its item comes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from sqlalchemy import Engine, and_, or_, select

from ledger.tables import CallRecord, QaItem

__all__ = ["QaCompliance", "QaCount", "QaFilter", "find_qa", "qa_compliance", "qa_page"]

_RATE = Decimal("0.0001")
#: The call's figures beside each item (None when the call is not recorded).
_FIGURES = (CallRecord.ended_by, CallRecord.disposition, CallRecord.warned,
            CallRecord.duration_seconds, CallRecord.started_at)


@dataclass(frozen=True, slots=True)
class QaFilter:
    """Which items to list: open (no verdict) or reviewed, of one agent, team or week."""

    status: Literal["open", "reviewed"] | None = None
    agent: str | None = None
    team: str | None = None
    week: str | None = None


def _where(stmt: Any, where: QaFilter) -> Any:
    stmt = stmt.where(QaItem.ended_at.is_not(None), QaItem.call_id.is_not(None))
    if where.status == "open":
        stmt = stmt.where(QaItem.verdict.is_(None))
    elif where.status == "reviewed":
        stmt = stmt.where(QaItem.verdict.is_not(None))
    for column, value in ((QaItem.agent, where.agent), (QaItem.team, where.team),
                          (QaItem.week, where.week)):
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


def qa_page(engine: Engine, where: QaFilter, after: tuple[datetime, str] | None,
            limit: int) -> list[Any]:
    """Up to ``limit`` recorded items matching ``where`` in ``(ended_at, qa_id)`` order,
    strictly after ``after`` (the previous page's last); each row has the ``qa_items``
    columns and the call's ``ended_by``, ``disposition``, ``warned``, ``duration_seconds``,
    ``started_at``."""
    stmt = _where(select(QaItem.__table__, *_FIGURES).outerjoin(
        CallRecord, CallRecord.call_id == QaItem.call_id), where)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(QaItem.ended_at > at,
                              and_(QaItem.ended_at == at, QaItem.qa_id > last_id)))
    stmt = stmt.order_by(QaItem.ended_at, QaItem.qa_id).limit(limit)
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def find_qa(engine: Engine, qa_id: str) -> Any | None:
    """The recorded item ``qa_id`` (a row as :func:`qa_page`'s), or None."""
    stmt = _where(select(QaItem.__table__, *_FIGURES).outerjoin(
        CallRecord, CallRecord.call_id == QaItem.call_id), QaFilter()).where(
        QaItem.qa_id == qa_id)
    with engine.connect() as conn:
        return conn.execute(stmt).first()


@dataclass(frozen=True, slots=True)
class QaCount:
    """One agent's (``agent`` set) or one team's QA items in a span."""

    team: str
    agent: str | None
    items: int
    reviewed: int
    compliant: int
    open: int

    @property
    def share(self) -> Decimal | None:
        """compliant / reviewed to four places (None: nothing reviewed)."""
        if not self.reviewed:
            return None
        return (Decimal(self.compliant) / Decimal(self.reviewed)).quantize(
            _RATE, ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class QaCompliance:
    """QA compliance of the calls ended in ``[since, until)``."""

    since: datetime
    until: datetime
    agents: list[QaCount]  #: by team, then agent
    teams: list[QaCount]   #: by team
    total: QaCount         #: every team (``team`` is ``all``)


def _count(team: str, agent: str | None, verdicts: Iterable[str | None]) -> QaCount:
    seen = list(verdicts)
    reviewed = sum(v is not None for v in seen)
    return QaCount(team=team, agent=agent, items=len(seen), reviewed=reviewed,
                   compliant=sum(v == "compliant" for v in seen), open=len(seen) - reviewed)


def qa_compliance(engine: Engine, since: datetime, until: datetime) -> QaCompliance:
    """Per agent (an agent who changed team has a row per team) and per team, the items
    of the calls ended in ``[since, until)``: reviewed, compliant, share, open."""
    stmt = _where(select(QaItem.team, QaItem.agent, QaItem.verdict), QaFilter()).where(
        QaItem.ended_at >= since, QaItem.ended_at < until)
    with engine.connect() as conn:
        rows = [(team or "-", agent or "-", verdict)
                for team, agent, verdict in conn.execute(stmt)]
    by_agent: dict[tuple[str, str], list[str | None]] = {}
    by_team: dict[str, list[str | None]] = {}
    for team, agent, verdict in rows:
        by_agent.setdefault((team, agent), []).append(verdict)
        by_team.setdefault(team, []).append(verdict)
    return QaCompliance(
        since=since, until=until,
        agents=[_count(team, agent, v) for (team, agent), v in sorted(by_agent.items())],
        teams=[_count(team, None, v) for team, v in sorted(by_team.items())],
        total=_count("all", None, (verdict for _, _, verdict in rows)))
