"""Months of the payroll: naming them in the policy's time zone, closing and reopening them.

Closing is refused for a month that has not ended (in the policy's zone, not UTC), twice
in a row, or for a month that is not a month; reopening needs a closed month and a reason.
Every close and reopen stays in the history with who, when and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ledger import Ledger, PeriodError, PeriodRecord, period_history
from ledger.periods import first_open, next_period, parse_period, period_end, period_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: 1 November 2026 00:30 in Shanghai is still 31 October in UTC.
EARLY_NOVEMBER = datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "11-2026", "2026/11", "", " 2026-11"])
def test_a_month_is_named_like_2026_11(text: str) -> None:
    with pytest.raises(PeriodError, match="not a month like 2026-11"):
        parse_period(text)
    assert parse_period("2026-11") == "2026-11"


def test_months_are_counted_in_the_policy_time_zone() -> None:
    assert period_of(EARLY_NOVEMBER, SHANGHAI) == "2026-11"
    assert period_of(EARLY_NOVEMBER, UTC) == "2026-10"
    assert period_end("2026-10", SHANGHAI) == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert next_period("2026-12") == "2027-01"


def test_the_first_open_month_skips_closed_ones() -> None:
    closed = {"2026-09", "2026-10", "2026-12"}
    assert first_open("2026-09", closed) == "2026-11"
    assert first_open("2026-11", closed) == "2026-11"
    assert first_open("2026-12", closed) == "2027-01"


def test_close_reopen_and_close_again_are_kept_as_history(ledger: Ledger) -> None:
    closed_at = datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
    reopened_at = datetime(2026, 11, 5, 14, 0, tzinfo=SHANGHAI)

    ledger.close_period("2026-10", by="hr-alice", now=closed_at)
    assert ledger.closed_periods() == {"2026-10"}
    ledger.reopen_period("2026-10", by="hr-bob", reason="late dispute ruling", now=reopened_at)
    assert ledger.closed_periods() == frozenset()
    ledger.close_period("2026-10", by="hr-alice", now=reopened_at)
    ledger.close_period("2026-09", by="hr-alice", now=reopened_at)

    assert ledger.closed_periods() == {"2026-09", "2026-10"}
    assert period_history(ledger.engine, "2026-10") == [
        PeriodRecord("2026-10", "close", "hr-alice", closed_at.astimezone(UTC), None),
        PeriodRecord("2026-10", "reopen", "hr-bob", reopened_at.astimezone(UTC),
                     "late dispute ruling"),
        PeriodRecord("2026-10", "close", "hr-alice", reopened_at.astimezone(UTC), None),
    ]
    assert [r.period for r in period_history(ledger.engine)] == ["2026-10"] * 3 + ["2026-09"]


def test_a_month_closes_only_once_it_has_ended_in_the_policy_zone(ledger: Ledger) -> None:
    last_minute = datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI)

    with pytest.raises(PeriodError, match="2026-10 has not ended yet"):
        ledger.close_period("2026-10", by="hr-alice", now=last_minute)
    with pytest.raises(PeriodError, match="2026-11 has not ended yet"):
        ledger.close_period("2026-11", by="hr-alice", now=EARLY_NOVEMBER)
    ledger.close_period("2026-10", by="hr-alice", now=EARLY_NOVEMBER)  # 31 Oct in UTC

    assert ledger.closed_periods() == {"2026-10"}


def test_refusals_change_nothing(ledger: Ledger) -> None:
    now = datetime(2026, 12, 2, tzinfo=SHANGHAI)
    ledger.close_period("2026-10", by="hr-alice", now=now)

    with pytest.raises(PeriodError, match="2026-10 is already closed"):
        ledger.close_period("2026-10", by="hr-alice", now=now)
    with pytest.raises(PeriodError, match="2026-11 is not closed"):
        ledger.reopen_period("2026-11", by="hr-alice", reason="typo", now=now)
    with pytest.raises(PeriodError, match="a reason is required"):
        ledger.reopen_period("2026-10", by="hr-alice", reason="  ", now=now)
    with pytest.raises(PeriodError, match="not a month"):
        ledger.close_period("2026-1", by="hr-alice", now=now)
    with pytest.raises(ValueError, match="naive datetime"):
        ledger.close_period("2026-11", by="hr-alice", now=datetime(2026, 12, 2))

    assert [r.action for r in period_history(ledger.engine)] == ["close"]
