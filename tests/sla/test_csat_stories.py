"""Customer scores on the record: ``csat.recorded`` changes no clock and becomes one
``sla.csat_recorded`` for the department holding the ticket when the score comes in."""

from __future__ import annotations

from pathlib import Path

from sla.config import load_config
from sla.replay import replay
from sla.testing import (
    assigned,
    cancelled,
    closed,
    complaint,
    csat,
    resolved,
    transferred,
)

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))
T = "T-1"


def kept(events: list) -> list:
    return [e for e in replay(events, CONFIG).outputs if e.type == "sla.csat_recorded"]


def test_a_score_after_a_transfer_counts_for_the_department_that_got_the_ticket() -> None:
    events = [complaint(T, "2026-11-02T10:00:00+08:00"),
              assigned(T, "2026-11-02T10:05:00+08:00", "logistics", "emp-log-1"),
              transferred(T, "2026-11-02T11:00:00+08:00", "billing"),
              resolved(T, "2026-11-02T15:00:00+08:00"),
              closed(T, "2026-11-02T16:00:00+08:00"),
              csat(T, "2026-11-03T09:00:00+08:00", 2)]
    [score] = kept(events)
    assert (score.data.department, score.data.score, score.data.assignee) == ("billing", 2, None)
    assert score.time == score.data.recorded_at == events[-1].time
    assert score.data.caused_by == events[-1].id and score.data.category == "delivery.late"
    without = [e for e in replay(events[:-1], CONFIG).outputs]
    assert sorted(e.id for e in replay(events, CONFIG).outputs if e.type != "sla.csat_recorded"
                  ) == sorted(e.id for e in without)  # the score changes nothing else


def test_a_second_survey_is_a_second_score_and_a_redelivery_is_not() -> None:
    first = csat(T, "2026-11-03T09:00:00+08:00", 5)
    events = [complaint(T, "2026-11-02T10:00:00+08:00"), first, first,
              csat(T, "2026-11-04T09:00:00+08:00", 4)]
    assert [e.data.score for e in kept(events)] == [5, 4]


def test_a_cancelled_tickets_scores_are_ignored() -> None:
    events = [complaint(T, "2026-11-02T10:00:00+08:00"),
              cancelled(T, "2026-11-02T11:00:00+08:00"),
              csat(T, "2026-11-03T09:00:00+08:00", 1)]
    assert kept(events) == []
