"""Request and response bodies of the QA queue of calls (issue 15): the queue
(``GET /api/v1/qa-items``), an inspector's verdict (``POST /api/v1/qa-items/{qa_id}/verdict``)
and QA compliance per agent and team (``GET /api/v1/reports/qa``). An item names the
**pseudonymous caller reference** of its call (the key of the ``calls`` topic); shares are
decimal strings, as everywhere in the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from api.schemas import Amount, _Body

__all__ = ["QaItemView", "QaPage", "QaReport", "QaReportRow", "QaVerdictPublished",
           "QaVerdictRequest"]

WEEK_PATTERN = r"^\d{4}-W\d{2}$"
Note = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]
Verdict = Literal["compliant", "non_compliant"]


class QaItemView(_Body):
    """A call in the QA queue with its figures; open while ``verdict`` is empty."""

    qa_id: str
    status: Literal["open", "reviewed"]
    call_id: str
    caller: str | None = Field(description="the pseudonymous caller reference")
    agent: str | None
    team: str | None
    week: str | None = Field(description="the agent's ISO week, e.g. 2026-W47")
    selected_by: Literal["sample", "norm_breach"] | None
    norm: str | None = Field(description="the norm broken (norm_breach): "
                                         "agent_may_not_end or warning_first")
    ended_at: datetime
    started_at: datetime | None = Field(description="null while the call is not recorded")
    ended_by: str | None = Field(description="agent, customer or system")
    disposition: str | None
    warned: bool | None
    duration_seconds: int | None
    verdict: Verdict | None
    inspector: str | None
    note: str | None
    reviewed_at: datetime | None


class QaPage(_Body):
    items: list[QaItemView]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class QaVerdictRequest(_Body):
    """An inspector's verdict on a call in the QA queue."""

    verdict: Verdict
    note: Note | None = None


class QaVerdictPublished(_Body):
    verdict_id: str = Field(description="id of the qa.reviewed event")
    qa_id: str
    call_id: str
    caller: str = Field(description="the item's caller: the key the verdict was sent with")
    verdict: Verdict
    inspector: str
    reviewed_at: datetime
    status: Literal["published"] = "published"


class QaReportRow(_Body):
    """One agent's (``agent`` set) or one team's QA items in the span."""

    team: str
    agent: str | None
    items: int
    reviewed: int
    compliant: int
    share: Amount | None = Field(description="compliant / reviewed (null: none reviewed)")
    open: int = Field(description="items without a verdict yet")


class QaReport(_Body):
    """QA compliance of the calls ended from ``from`` to ``to`` (both included, local days
    in the calls policy's QA time zone)."""

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    timezone: str
    agents: list[QaReportRow] = Field(description="by team, then agent")
    teams: list[QaReportRow]
    total: QaReportRow
