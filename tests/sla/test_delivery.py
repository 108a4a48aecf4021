"""When a notification is sent (sla.delivery): plain datetimes, the office calendar of
tests/sla/charges.yaml (Mon-Fri 09:00-12:00 and 13:30-18:00, Asia/Shanghai, CN holidays)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sla.calendar import build_calendars
from sla.config import load_config
from sla.delivery import due_at
from sla.specs import DeliverySpec

OFFICE = build_calendars(load_config(Path(__file__).with_name("charges.yaml")).calendars)["office"]
DEFAULT = DeliverySpec()  # breaches and warnings at once, the rest hourly, quiet hours


def t(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-{text}+08:00")


def test_without_preferences_everything_goes_at_once_day_and_night() -> None:
    assert due_at("penalty", t("16T23:10:00"), t("16T23:10:00"), None, OFFICE) is None


@pytest.mark.parametrize(("severity", "at", "due"), [
    ("breach", "16T10:20:00", None),              # Monday, open: at once
    ("warning", "16T10:20:00", None),
    ("penalty", "16T10:20:00", "16T11:00:00"),    # the hour's digest
    ("info", "16T10:59:59", "16T11:00:00"),
    ("info", "16T10:00:00", "16T11:00:00"),       # a new hour, a new digest
    ("breach", "16T20:00:00", None),              # urgent: even at night
    ("warning", "16T20:00:00", "17T09:00:00"),    # not urgent: waits for the opening
    ("penalty", "16T20:00:00", "17T09:00:00"),    # the 21:00 digest moves to the opening
    ("penalty", "16T11:30:00", "16T13:30:00"),    # 12:00 is lunch: after lunch
    ("warning", "21T10:00:00", "23T09:00:00"),    # Saturday: Monday morning
])
def test_default_preferences(severity: str, at: str, due: str | None) -> None:
    expected = t(due) if due else None
    assert due_at(severity, t(at), t(at), DEFAULT, OFFICE) == expected


def test_a_night_of_notifications_is_one_digest_at_the_opening() -> None:
    dues = {due_at(severity, t(at), t(at), DEFAULT, OFFICE)
            for severity, at in [("warning", "16T19:00:00"), ("penalty", "16T22:15:00"),
                                 ("info", "17T03:40:00"), ("warning", "17T08:59:59")]}
    assert dues == {t("17T09:00:00")}


def test_a_daily_digest_comes_at_the_start_of_the_next_working_day() -> None:
    daily = DeliverySpec(penalty="daily")
    assert due_at("penalty", t("20T10:00:00"), t("20T10:00:00"), daily, OFFICE) == t(
        "23T09:00:00")  # Friday's penalties on Monday morning
    no_quiet = DeliverySpec(penalty="daily", quiet_hours=False)
    assert due_at("penalty", t("20T10:00:00"), t("20T10:00:00"), no_quiet, OFFICE) == t(
        "21T00:00:00")  # at midnight when quiet hours are off


def test_quiet_hours_can_hold_breaches_too_or_nothing() -> None:
    hold_all = DeliverySpec(urgent=frozenset())
    assert due_at("breach", t("16T20:00:00"), t("16T20:00:00"), hold_all, OFFICE) == t(
        "17T09:00:00")
    loud = DeliverySpec(quiet_hours=False)
    assert due_at("warning", t("16T20:00:00"), t("16T20:00:00"), loud, OFFICE) is None
    assert due_at("penalty", t("16T20:00:00"), t("16T20:00:00"), loud, OFFICE) == t(
        "16T21:00:00")


def test_catching_up_never_sends_into_quiet_hours() -> None:
    """A worker back at 02:00 with the 10:20 penalty: its 11:00 digest is overdue, but it
    is night now, so it waits for the opening; by day an overdue digest is due at once."""
    assert due_at("penalty", t("16T10:20:00"), t("17T02:00:00"), DEFAULT, OFFICE) == t(
        "17T09:00:00")
    assert due_at("penalty", t("16T10:20:00"), t("16T15:00:00"), DEFAULT, OFFICE) == t(
        "16T11:00:00")


def test_hours_are_the_calendars_local_hours() -> None:
    """An event stamped in UTC falls in the Shanghai hour it is in."""
    happened = datetime.fromisoformat("2026-11-16T02:20:00+00:00")  # 10:20 in Shanghai
    assert due_at("info", happened, happened, DEFAULT, OFFICE) == t("16T11:00:00")
