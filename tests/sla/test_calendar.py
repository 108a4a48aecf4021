"""Business calendars as the contact centre lives them.

Unless a test says otherwise the calendar is the Shanghai office: Monday to Friday
09:00-12:00 and 13:30-18:00 (7 h 30 a day), Chinese public holidays from the
``holidays`` package, no operator overrides. Every expected instant was worked out
by hand from the 2026 State Council notice (which the package carries): National
Day 1-7 Oct off with make-up working days Sun 20 Sep and Sat 10 Oct; Mid-Autumn
Fri 25 Sep; Tomb-Sweeping 4-6 Apr. The package lists only some weekend days of a
block (not Sun 4 Oct); the calendar closes the others itself, which only shows on
the 7-day ``extended`` calendar (every day 08:00-22:00, 14 h a day, CN holidays).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla._zones import fixed_zone
from sla.calendar import (
    BusinessCalendar,
    HolidayOverride,
    build_calendars,
    load_holiday_overrides,
)
from sla.specs import CalendarSpec, Duration, Span

H = 3600
M = 60
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_HOURS = (Span(9 * H, 12 * H), Span(13 * H + 30 * M, 18 * H))
OFFICE = CalendarSpec("office", "Asia/Shanghai", (OFFICE_HOURS,) * 5 + ((), ()), holidays="CN")
ALWAYS = CalendarSpec("24x7", "Asia/Shanghai", ((Span(0, 86400),),) * 7)
EXTENDED = CalendarSpec("extended", "Asia/Shanghai", ((Span(8 * H, 22 * H),),) * 7, holidays="CN")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def berlin(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def office(**changes: object) -> BusinessCalendar:
    """The office calendar, optionally with spec changes; no override file."""
    return BusinessCalendar(replace(OFFICE, **changes), overrides={})


CAL = office()
CAL_24X7 = BusinessCalendar(ALWAYS)
CAL_7D = BusinessCalendar(EXTENDED, overrides={})


# -- stories --------------------------------------------------------------------------


def test_friday_evening_ticket_is_due_on_the_makeup_sunday() -> None:
    """Fri 18 Sep 17:00 + 2 h: 17:00-18:00 is 1 h; Sat 19 is weekend; Sun 20 is a
    make-up working day (调休) with Monday hours, so the 2nd hour is 09:00-10:00."""
    assert date(2026, 9, 18).weekday() == 4 and date(2026, 9, 20).weekday() == 6
    due = CAL.add(sh(2026, 9, 18, 17), 2 * H)
    assert due == sh(2026, 9, 20, 10)
    assert due.utcoffset() == timedelta(hours=8)  # the zone's offset, on a shared zone
    assert not CAL.is_working(sh(2026, 9, 19, 10))
    assert CAL.working_seconds(sh(2026, 9, 18, 17), due) == 2 * H


def test_ticket_opened_the_evening_before_national_day() -> None:
    """Wed 30 Sep 19:00 + 4 h: after hours. 1-7 Oct are all off (1-3 statutory,
    Sun 4 weekend, Mon 5 in lieu, 6-7 substituted for the make-up days), so work
    resumes Thu 8 Oct: 09:00-12:00 is 3 h, the 4th hour is 13:30-14:30."""
    for day in range(1, 8):
        assert not CAL.is_working(sh(2026, 10, day, 10)), f"Oct {day}"
    assert date(2026, 10, 8).weekday() == 3
    assert CAL.working_seconds(sh(2026, 9, 30, 19), sh(2026, 10, 8, 9)) == 0
    assert CAL.add(sh(2026, 9, 30, 19), 4 * H) == sh(2026, 10, 8, 14, 30)
    assert CAL.is_working(sh(2026, 10, 10, 10))  # Sat 10 Oct: the other make-up day


def test_lunch_break_is_not_working_time() -> None:
    """Mon 21 Sep 11:00 + 1 h 30: 11:00-12:00 is 1 h, the last 30 min run from
    13:30 to 14:00. A deadline exactly at 12:00 (09:00 + 3 h) is reported at 13:30."""
    assert CAL.add(sh(2026, 9, 21, 11), H + 30 * M) == sh(2026, 9, 21, 14)
    assert CAL.add(sh(2026, 9, 21, 9), 3 * H) == sh(2026, 9, 21, 13, 30)
    assert CAL.working_seconds(sh(2026, 9, 21, 9), sh(2026, 9, 21, 13, 30)) == 3 * H
    assert CAL.is_working(sh(2026, 9, 21, 11, 59, 59))
    assert not CAL.is_working(sh(2026, 9, 21, 12))
    assert CAL.add(sh(2026, 9, 21, 12, 10), 0) == sh(2026, 9, 21, 13, 30)
    assert CAL.add(sh(2026, 9, 21, 10, 0, 5), 0) == sh(2026, 9, 21, 10, 0, 5)


def test_deadline_at_friday_closing_moves_to_monday_opening() -> None:
    """Fri 11 Sep 16:00 + 2 h ends exactly at 18:00: reported Mon 14 Sep 09:00.
    Fri 3 Apr 16:00 + 2 h: Mon 6 Apr is Tomb-Sweeping Day (in lieu of Sun 5), so Tue 7 09:00."""
    assert CAL.add(sh(2026, 9, 11, 16), 2 * H) == sh(2026, 9, 14, 9)
    assert CAL.add(sh(2026, 4, 3, 16), 2 * H) == sh(2026, 4, 7, 9)
    assert CAL.working_seconds(sh(2026, 4, 3, 16), sh(2026, 4, 7, 9)) == 2 * H


def test_year_end() -> None:
    """Thu 31 Dec 2026 17:00 + 2 h: 1 h that evening; Fri 1 Jan 2027 is New Year's
    Day, 2-3 Jan the weekend, so the 2nd hour is Mon 4 Jan 09:00-10:00.
    With 31 Dec closed as well, 31 Dec 10:00 + 2 h is Mon 4 Jan 11:00."""
    assert CAL.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 4, 10)
    assert CAL.working_seconds(sh(2026, 12, 31), sh(2027, 1, 5)) == 2 * 27000
    closed = office(closed=frozenset({date(2026, 12, 31)}))
    assert not closed.is_working(sh(2026, 12, 31, 10))
    assert closed.add(sh(2026, 12, 31, 10), 2 * H) == sh(2027, 1, 4, 11)


def test_an_opened_saturday_counts_with_its_own_hours() -> None:
    """Sat 12 Sep opened 09:00-18:00 without lunch break. Fri 11 Sep 17:00 + 3 h:
    1 h on Friday, then Saturday 09:00-11:00. +5 h from Sat 09:00 is 14:00 (no lunch)."""
    opened = office(open={date(2026, 9, 12): (Span(9 * H, 18 * H),)})
    assert opened.add(sh(2026, 9, 11, 17), 3 * H) == sh(2026, 9, 12, 11)
    assert opened.add(sh(2026, 9, 12, 9), 5 * H) == sh(2026, 9, 12, 14)
    assert CAL.add(sh(2026, 9, 11, 17), 3 * H) == sh(2026, 9, 14, 11)  # not opened: Monday


def test_working_days_keep_the_clock_time() -> None:
    """Thu 10 Sep 10:00 + 2 working days: Fri 11, (weekend), Mon 14 -> Mon 10:00.
    Thu 24 Sep 10:00 + 2 d: Fri 25 is Mid-Autumn, weekend, Mon 28, Tue 29 -> Tue 10:00.
    Thu 17 Sep 10:00 + 2 d: Fri 18, then the make-up Sun 20 -> Sun 10:00."""
    assert CAL.add_duration(sh(2026, 9, 10, 10), Duration(days=2)) == sh(2026, 9, 14, 10)
    assert CAL.add_duration(sh(2026, 9, 24, 10), Duration(days=2)) == sh(2026, 9, 29, 10)
    assert CAL.add_duration(sh(2026, 9, 17, 10), Duration(days=2)) == sh(2026, 9, 20, 10)


def test_working_days_then_seconds_and_odd_starts() -> None:
    """Thu 10 Sep 17:30 + 1 d 1 h: Fri 17:30, then 30 min to 18:00 and 30 min from
    Mon 09:00 -> 09:30. Sat 12 Sep 08:00 + 1 d counts from Mon 09:00 -> Tue 09:00.
    Mon 14 Sep 17:00 + 1 d when Tue 15 only opens 09:00-12:00: Tue 17:00 is closed,
    so the next working instant, Wed 16 09:00."""
    assert CAL.add_duration(sh(2026, 9, 10, 17, 30), Duration(1, H)) == sh(2026, 9, 14, 9, 30)
    assert CAL.add_duration(sh(2026, 9, 12, 8), Duration(1)) == sh(2026, 9, 15, 9)
    short = office(open={date(2026, 9, 15): (Span(9 * H, 12 * H),)})
    assert short.add_duration(sh(2026, 9, 14, 17), Duration(1)) == sh(2026, 9, 16, 9)
    assert CAL.add_duration(sh(2026, 9, 21, 10), Duration(0, H)) == sh(2026, 9, 21, 11)


def test_dst_spring_forward_and_fall_back_count_real_time() -> None:
    """Berlin night shift 01:00-04:00 every day. Sun 29 Mar 2026 the clocks jump
    02:00 -> 03:00: the shift lasts 2 h, and 01:00 + 1 h is 03:00 CEST; + 2 h ends the
    shift, so Mon 30 Mar 01:00. Sun 25 Oct 02:00-03:00 happens twice: the shift lasts
    4 h and 01:00 CEST + 3 h is 03:00 CET."""
    night = BusinessCalendar(CalendarSpec("night", "Europe/Berlin", ((Span(H, 4 * H),),) * 7))
    assert night.working_seconds(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 2 * H
    assert night.add(berlin(2026, 3, 29, 1), H) == berlin(2026, 3, 29, 3)
    assert night.add(berlin(2026, 3, 29, 1), 2 * H) == berlin(2026, 3, 30, 1)
    assert night.working_seconds(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * H
    due = night.add(berlin(2026, 10, 25, 1), 3 * H)
    assert due == berlin(2026, 10, 25, 3)
    assert due.utcoffset() == timedelta(hours=1)


def test_24x7_is_plain_elapsed_time() -> None:
    """24x7 in Berlin: 28 Mar 12:00 CET + 24 h is 29 Mar 13:00 CEST (real hours);
    +1 working day keeps the clock time, 29 Mar 12:00 CEST (23 real hours)."""
    cal = BusinessCalendar(CalendarSpec("24x7", "Europe/Berlin", ((Span(0, 86400),),) * 7))
    start = berlin(2026, 3, 28, 12)
    assert cal.add(start, 24 * H) == berlin(2026, 3, 29, 13)
    assert cal.add_duration(start, Duration(days=1)) == berlin(2026, 3, 29, 12)
    assert cal.working_seconds(start, berlin(2026, 3, 29, 12)) == 23 * H
    assert cal.is_working(start) and cal.provisional_after is None
    utc_start = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert CAL_24X7.add(utc_start, H) == sh(2027, 1, 1, 8, 30)  # output in the calendar zone


def test_provisional_beyond_the_last_official_year() -> None:
    """The package carries notices up to 2026: a deadline in 2027 is provisional
    until 2027 is overridden. The override below is a HYPOTHETICAL notice (only 1 Jan
    off, Sat 2 Jan a make-up day), not official data: it replaces the package's
    estimate for 2027, so 31 Dec 17:00 + 2 h is Sat 2 Jan 10:00 and the estimate's
    in-lieu day Tue 9 Feb 2027 becomes an ordinary working day."""
    assert CAL.provisional_after is not None and CAL.provisional_after >= date(2026, 12, 31)
    last = CAL.provisional_after.year
    assert CAL.is_provisional(sh(last + 1, 3, 1, 10), sh(last + 1, 3, 2, 10))
    assert CAL.is_provisional(sh(last, 12, 31, 10), sh(last + 1, 1, 4, 10))
    assert not CAL.is_provisional(sh(last, 3, 1), sh(last, 3, 2))

    overridden = BusinessCalendar(OFFICE, overrides={
        2027: {"closed": ["2027-01-01"], "workdays": [date(2027, 1, 2)]}})
    if last == 2026:
        assert overridden.provisional_after == date(2027, 12, 31)
        assert not overridden.is_provisional(sh(2027, 3, 1), sh(2027, 3, 2))
        assert overridden.is_provisional(sh(2027, 12, 31, 17), sh(2028, 1, 3, 9))
    assert overridden.add(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 2, 10)
    assert overridden.is_working(sh(2027, 2, 9, 10))


def test_other_countries_close_their_holidays_and_are_never_provisional() -> None:
    """US: Fri 3 Jul 2026 is Independence Day observed; Thu 2 Jul 17:00 + 2 h ->
    1 h Thursday, then Mon 6 Jul 09:00-10:00."""
    us = BusinessCalendar(CalendarSpec("ny", "America/New_York",
                                       (OFFICE_HOURS,) * 5 + ((), ()), holidays="US"))
    ny = ZoneInfo("America/New_York")
    assert us.add(datetime(2026, 7, 2, 17, tzinfo=ny), 2 * H) == datetime(2026, 7, 6, 10, tzinfo=ny)
    assert us.provisional_after is None
    assert not us.is_provisional(datetime(2040, 1, 1, tzinfo=ny))


# -- 7-day calendars: the weekend days of a holiday block ----------------------------


def test_seven_day_calendar_closes_all_of_national_day() -> None:
    """Wed 30 Sep 20:00 + 2 h on the 7-day calendar: 20:00-22:00 is exactly 2 h and
    ends at the close of the span, so the deadline moves to the next span start.
    1-7 Oct are all closed, Sun 4 Oct included (the package lists 1-3 and 5-7 only),
    so that is Thu 8 Oct 08:00; + 3 h is Thu 8 Oct 09:00."""
    assert date(2026, 10, 4).weekday() == 6
    for day in range(1, 8):
        assert not CAL_7D.is_working(sh(2026, 10, day, 12)), f"Oct {day}"
    assert CAL_7D.add(sh(2026, 9, 30, 20), 2 * H) == sh(2026, 10, 8, 8)
    assert CAL_7D.add(sh(2026, 9, 30, 20), 3 * H) == sh(2026, 10, 8, 9)
    assert CAL_7D.working_seconds(sh(2026, 9, 30, 20), sh(2026, 10, 8, 8)) == 2 * H
    assert CAL_7D.working_seconds(sh(2026, 10, 1), sh(2026, 10, 8)) == 0


def test_seven_day_calendar_spring_festival_block() -> None:
    """Spring Festival 2026: Sun 15 - Mon 23 Feb off, Sat 14 and Sat 28 Feb make-up
    days. The package lists 16-20 and 23 Feb; Sun 15 (before Mon 16) and Sat 21 -
    Sun 22 (between Fri 20 and Mon 23) are closed as well. Sat 14 21:00 + 2 h: 1 h
    on the make-up Saturday, then Tue 24 08:00-09:00. 1-28 Feb: 19 open days x 14 h
    (28 days, minus the 9 of the block)."""
    for day in (15, 21, 22):
        assert not CAL_7D.is_working(sh(2026, 2, day, 12)), f"Feb {day}"
    assert CAL_7D.is_working(sh(2026, 2, 14, 12))  # make-up Saturday before the block
    assert CAL_7D.is_working(sh(2026, 2, 13, 21))
    assert CAL_7D.add(sh(2026, 2, 14, 21), 2 * H) == sh(2026, 2, 24, 9)
    assert CAL_7D.working_seconds(sh(2026, 2, 1), sh(2026, 3, 1)) == 19 * 14 * H


def test_seven_day_calendar_dragon_boat_weekend() -> None:
    """Dragon Boat: Fri 19 June is listed, the notice gives 19-21 June. Thu 18 June
    21:00 + 2 h: 1 h on Thursday, Fri-Sun closed, then Mon 22 June 08:00-09:00."""
    assert not CAL_7D.is_working(sh(2026, 6, 20, 12))
    assert not CAL_7D.is_working(sh(2026, 6, 21, 12))
    assert CAL_7D.add(sh(2026, 6, 18, 21), 2 * H) == sh(2026, 6, 22, 9)


def test_seven_day_calendar_keeps_ordinary_weekends_open() -> None:
    """Weekends away from a holiday, or only touching a make-up day, stay open:
    Fri 11 Sep 21:00 + 2 h is Sat 12 Sep 09:00; Sun 11 Oct (after the make-up
    Sat 10 Oct) and Sun 1 Mar (after the make-up Sat 28 Feb) are working days."""
    assert CAL_7D.add(sh(2026, 9, 11, 21), 2 * H) == sh(2026, 9, 12, 9)
    assert CAL_7D.working_seconds(sh(2026, 9, 12), sh(2026, 9, 14)) == 2 * 14 * H
    assert CAL_7D.is_working(sh(2026, 10, 11, 12))
    assert CAL_7D.is_working(sh(2026, 3, 1, 12))
    assert CAL_7D.is_working(sh(2026, 9, 19, 12))  # Sat before the make-up Sun 20 Sep


def test_holiday_block_crosses_the_new_year() -> None:
    """New Year 2023: Sun 1 Jan with Mon 2 Jan in lieu; the notice gives Sat 31 Dec
    2022 - Mon 2 Jan off. Sat 31 Dec closes on the 7-day calendar although its
    holiday is in the next year: Fri 30 Dec 21:00 + 2 h is Tue 3 Jan 09:00."""
    assert not CAL_7D.is_working(sh(2022, 12, 31, 12))
    assert CAL_7D.add(sh(2022, 12, 30, 21), 2 * H) == sh(2023, 1, 3, 9)


def test_override_weekdays_only_or_with_weekend_both_close_the_block() -> None:
    """A HYPOTHETICAL 2027 notice (not official data): Fri 1 Oct and Mon 4 - Thu 7 Oct
    off, Sat 9 Oct a make-up day. Copying only the notice's weekdays closes Sat 2 -
    Sun 3 Oct as well; listing them too gives the same calendar. Sun 10 Oct only
    touches the make-up day and stays open. Thu 30 Sep 21:00 + 2 h: 1 h on
    Thursday, then Fri 8 Oct 08:00-09:00."""
    weekdays = ["2027-10-01", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07"]
    for closed in (weekdays, [*weekdays, "2027-10-02", "2027-10-03"]):
        cal = BusinessCalendar(EXTENDED, overrides={
            2027: {"closed": closed, "workdays": ["2027-10-09"]}})
        assert not cal.is_working(sh(2027, 10, 2, 12))
        assert not cal.is_working(sh(2027, 10, 3, 12))
        assert cal.add(sh(2027, 9, 30, 21), 2 * H) == sh(2027, 10, 8, 9)
        assert cal.is_working(sh(2027, 10, 9, 12)) and cal.is_working(sh(2027, 10, 10, 12))


def test_weekday_calendar_is_unaffected_by_holiday_blocks() -> None:
    """Mon-Fri office in Feb 2026: 20 weekdays, minus 16-20 and 23 Feb, plus the
    make-up Saturdays 14 and 28 Feb: 16 days x 7 h 30. Neither the weekend days of
    the block nor company closures next to a weekend change anything: closing Fri 11
    Sep leaves Sat 12 - Sun 13 Sep open on the 7-day calendar."""
    assert CAL.working_seconds(sh(2026, 2, 1), sh(2026, 3, 1)) == 16 * 27000
    assert CAL.is_working(sh(2026, 2, 14, 10)) and CAL.is_working(sh(2026, 2, 28, 10))
    company = BusinessCalendar(replace(EXTENDED, closed=frozenset({date(2026, 9, 11)})),
                               overrides={})
    assert company.is_working(sh(2026, 9, 12, 12))


# -- inputs and configuration ---------------------------------------------------------


def test_rejects_naive_datetimes_bad_codes_and_negative_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(datetime(2026, 9, 21, 10), H)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL_24X7.working_seconds(datetime(2026, 9, 21, 10), sh(2026, 9, 21, 11))
    with pytest.raises(ValueError, match="unknown holiday country"):
        BusinessCalendar(CalendarSpec("x", "UTC", ((),) * 7, holidays="XX"))
    with pytest.raises(ValueError, match="timezone"):
        BusinessCalendar(CalendarSpec("x", "Mars/Olympus", ((),) * 7))
    with pytest.raises(ValueError, match="negative"):
        CAL.add(sh(2026, 9, 21, 10), -1)
    assert CAL.working_seconds(sh(2026, 9, 21, 11), sh(2026, 9, 21, 10)) == 0


def test_never_open_calendar_fails_instead_of_looping() -> None:
    closed = BusinessCalendar(CalendarSpec("closed", "UTC", ((),) * 7))
    with pytest.raises(ValueError, match="no working"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert closed.working_seconds(datetime(2026, 1, 1, tzinfo=UTC),
                                  datetime(2027, 1, 1, tzinfo=UTC)) == 0


def test_override_file_and_mapping_validation() -> None:
    shipped = load_holiday_overrides()
    assert all(isinstance(y, int) and isinstance(v, HolidayOverride) for y, v in shipped.items())
    with pytest.raises(ValueError, match="both closed and a workday"):
        BusinessCalendar(OFFICE, overrides={2027: {"closed": ["2027-01-01"],
                                                   "workdays": ["2027-01-01"]}})
    with pytest.raises(ValueError, match="not a date"):
        BusinessCalendar(OFFICE, overrides={2027: {"closed": ["1 Jan"]}})
    with pytest.raises(ValueError, match="unknown keys"):
        BusinessCalendar(OFFICE, overrides={2027: {"open": []}})


def test_override_file_is_read_from_a_path(tmp_path) -> None:
    path = tmp_path / "cn.yaml"
    path.write_text("2027:\n  closed: [2027-01-01]\n  workdays: []\n", encoding="utf-8")
    assert load_holiday_overrides(path) == {2027: HolidayOverride(frozenset({date(2027, 1, 1)}))}


def test_build_calendars_by_name() -> None:
    cals = build_calendars({"office": OFFICE, "24x7": ALWAYS}, overrides={})
    assert set(cals) == {"office", "24x7"}
    assert cals["office"].add(sh(2026, 9, 21, 9), 3 * H) == sh(2026, 9, 21, 13, 30)


# -- properties -----------------------------------------------------------------------

ZONES = st.sampled_from([SHANGHAI, BERLIN, UTC, timezone(timedelta(hours=-5))])
_FIRST = datetime(2025, 1, 1, tzinfo=UTC)
STARTS = st.builds(lambda offset, zone: (_FIRST + timedelta(seconds=offset)).astimezone(zone),
                   st.integers(0, 2 * 365 * 86400), ZONES)
AMOUNTS = st.integers(0, 30 * 86400)
#: Night and day shifts in Berlin: the night shift straddles both DST changes.
CAL_BERLIN = BusinessCalendar(CalendarSpec(
    "berlin", "Europe/Berlin", ((Span(30 * M, 3 * H + 30 * M), Span(8 * H, 20 * H)),) * 6 + ((),),
    holidays="DE"))
CALENDARS = st.sampled_from([CAL, CAL_24X7, CAL_BERLIN, CAL_7D])
PROPS = settings(max_examples=60, deadline=None)


@PROPS
@given(CALENDARS, STARTS, AMOUNTS)
def test_working_seconds_inverts_add(cal: BusinessCalendar, start: datetime, n: int) -> None:
    due = cal.add(start, n)
    assert cal.working_seconds(start, due) == n
    assert cal.is_working(due)


@PROPS
@given(CALENDARS, STARTS, AMOUNTS, AMOUNTS)
def test_add_composes(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@PROPS
@given(CALENDARS, STARTS, AMOUNTS, AMOUNTS)
def test_working_seconds_is_additive(cal: BusinessCalendar, start: datetime, a: int,
                                     b: int) -> None:
    middle = start + timedelta(seconds=min(a, b))
    end = start + timedelta(seconds=max(a, b))
    total = cal.working_seconds(start, end)
    assert total == cal.working_seconds(start, middle) + cal.working_seconds(middle, end)
    assert total <= (end - start).total_seconds()


@PROPS
@given(CALENDARS, STARTS, AMOUNTS, AMOUNTS)
def test_add_is_monotonic(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert cal.add(start, low) <= cal.add(start, high)


def test_deadlines_keep_the_zone_s_offset_and_local_fields_on_shared_zones() -> None:
    """A deadline is written on the shared fixed-offset zone of the calendar zone's offset
    at that instant (:mod:`sla._zones`): the same instant, local fields and ISO text as in
    the ``ZoneInfo``, on both sides of a DST change, and one tzinfo object per offset, so
    event times on those zones compare with it as plain numbers."""
    cal = BusinessCalendar(CalendarSpec("24x7", "Europe/Berlin", ((Span(0, 86400),),) * 7))
    for start, hours in ((berlin(2026, 3, 28, 12), 24), (berlin(2026, 10, 24, 23), 4),
                         (berlin(2026, 10, 25, 1), 1), (berlin(2026, 7, 1, 9), 1)):
        due = cal.add(start, hours * H)
        zoned = due.astimezone(BERLIN)
        assert due.timestamp() == zoned.timestamp()  # == is False across zones at fold=1
        assert due.isoformat() == zoned.isoformat()
        assert due.utcoffset() == zoned.utcoffset()
        assert due.tzinfo is fixed_zone(zoned.utcoffset())
    assert cal.add(berlin(2026, 3, 28, 12), H).tzinfo is cal.add(berlin(2026, 3, 27, 8), H).tzinfo
