"""Business feeds: facts about departments that SLA Police keeps but does not act on.

``volume.reported`` is how much business a department did (orders, parcels...) on a day or
in a month, from the company's own systems. It is keyed by department, not by ticket: it
travels on its own topic, ``volumes`` (key = department), which no ticket worker reads; the
ledger's sink records it straight from there (and ``sla-police ledger import`` from a file),
so the scorecard can say "complaints per 1,000 orders". Replay ignores it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from models._envelope import CloudEvent, DepartmentId, Model, Word

__all__ = ["FEED_TYPES", "VolumeData", "VolumeReported"]

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class VolumeData(Model):
    """``count`` units of business of ``department`` on ``day``, or in the month ``period``
    (exactly one of the two). A later report of the same department, unit and day (or month)
    replaces an earlier one: the newest ``time`` (then id) wins."""

    department: DepartmentId
    unit: Word = Field(description="what is counted: orders, parcels, subscribers, ...")
    count: int = Field(ge=0, le=10**12)
    day: date | None = Field(default=None, description="the day counted (the company's date)")
    period: Month | None = Field(default=None, description="or the month counted, e.g. 2026-11")

    @model_validator(mode="after")
    def _day_or_period(self) -> VolumeData:
        if (self.day is None) == (self.period is None):
            raise ValueError("give exactly one of day and period")
        return self


class VolumeReported(CloudEvent):
    """``subject`` is the department (the message key), not a ticket."""

    type: Literal["volume.reported"] = "volume.reported"
    subject: DepartmentId = Field(description="the department, equal to data.department")
    data: VolumeData

    @model_validator(mode="after")
    def _subject_is_the_department(self) -> VolumeReported:
        if self.subject != self.data.department:
            raise ValueError(f"subject {self.subject!r} must be the department "
                             f"{self.data.department!r}")
        return self


FEED_TYPES: dict[str, type[CloudEvent]] = {"volume.reported": VolumeReported}
