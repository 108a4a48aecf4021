"""The QA queue of calls, the API's side (issue 15): an inspector's verdict as a
``qa.reviewed`` command, and QA compliance per agent and team for a span of days.

A verdict is checked against the ledger first (404 unknown item, 409 already reviewed, as
:class:`fastapi.HTTPException`), then published through the command bus to the ``calls``
topic keyed by the item's caller (the subject of its ``qa.item_opened``), with the
principal as the inspector; the ledger records it when it comes back from the topic. Ids
follow :func:`api.commands.command_id` (Idempotency-Key). The caller has checked the role.

:func:`qa_report` is what ``GET /api/v1/reports/qa`` and ``sla-police report qa`` both
answer: :func:`ledger.qa.qa_compliance` over local days of the calls policy's QA time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.commands import command_id
from api.principals import Principal
from api.schemas_qa import QaItemView, QaReport, QaReportRow
from api.settings import ApiSettings
from ledger.qa import QaCount, find_qa, qa_compliance
from models.calls import QaReviewed
from sla.specs import CallsSpec

__all__ = ["MAX_SPAN_DAYS", "check_span", "qa_item", "qa_report", "qa_timezone", "qa_verdict"]

#: The longest span a QA report covers, in days (both ends included).
MAX_SPAN_DAYS = 366


def qa_item(row: Any) -> QaItemView:
    """A :func:`ledger.qa.qa_page` row as the queue shows it."""
    return QaItemView(
        qa_id=row.qa_id, status="open" if row.verdict is None else "reviewed",
        call_id=row.call_id, caller=row.caller, agent=row.agent, team=row.team,
        week=row.week, selected_by=row.selected_by, norm=row.norm, ended_at=row.ended_at,
        started_at=row.started_at, ended_by=row.ended_by, disposition=row.disposition,
        warned=row.warned, duration_seconds=row.duration_seconds, verdict=row.verdict,
        inspector=row.inspector, note=row.note, reviewed_at=row.reviewed_at)


async def qa_verdict(engine: Engine, settings: ApiSettings, principal: Principal,
                     qa_id: str, verdict: str, note: str | None,
                     key: str | None) -> tuple[QaReviewed, Any]:
    """Publish ``principal``'s verdict on ``qa_id`` as ``qa.reviewed`` keyed by the item's
    caller (and the item, a :func:`ledger.qa.find_qa` row): 404 unless the ledger has the
    item, 409 when it is reviewed already."""
    item = await run_in_threadpool(find_qa, engine, qa_id)
    if item is None or item.caller is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"QA item {qa_id} is not in the ledger (the stream opens items "
                            "when the agent's week ends, or at a norm breach)")
    if item.verdict is not None:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"QA item {qa_id} is reviewed already: {item.verdict} by "
                            f"{item.inspector}")
    data: dict[str, Any] = {"qa_id": qa_id, "inspector": principal.name, "verdict": verdict}
    if note is not None:
        data["note"] = note
    event = QaReviewed.model_validate({
        "id": command_id(principal.name, "qa.reviewed", key), "source": settings.source,
        "time": settings.clock(), "subject": item.caller, "data": data})
    await settings.publisher.publish(event)
    return event, item


def qa_timezone(calls: CallsSpec | None, policy_timezone: str) -> str:
    """The zone days are counted in: the calls policy's QA zone, else the policy's."""
    return calls.qa.timezone if calls is not None else policy_timezone


def check_span(first: date, last: date) -> str | None:
    """What is wrong with the span ``first``..``last`` (None: nothing)."""
    if last < first:
        return f"to ({last}) is before from ({first})"
    if (last - first).days + 1 > MAX_SPAN_DAYS:
        return f"a span of at most {MAX_SPAN_DAYS} days; got {(last - first).days + 1}"
    if first.year < 1900 or last.year > 2999:
        return "expected dates from 1900 to 2999"
    return None


def _row(count: QaCount) -> QaReportRow:
    return QaReportRow(team=count.team, agent=count.agent, items=count.items,
                       reviewed=count.reviewed, compliant=count.compliant,
                       share=count.share, open=count.open)


def qa_report(engine: Engine, timezone: str, first: date, last: date) -> QaReport:
    """QA compliance of the calls ended from local midnight of ``first`` to the end of
    ``last`` in ``timezone`` (the span is checked by :func:`check_span`)."""
    zone = ZoneInfo(timezone)
    since = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    made = qa_compliance(engine, since, until)
    return QaReport.model_validate({
        "from": first, "to": last, "timezone": timezone,
        "agents": [_row(c) for c in made.agents], "teams": [_row(c) for c in made.teams],
        "total": _row(made.total)})
