"""Public-holiday data for business calendars: the ``holidays`` package plus operator
overrides, cached per (country, year).

Private helper of :mod:`sla.calendar`. The ``holidays`` package ships the State
Council's holiday notices for China up to the last year published when it was
released; later years are estimated by rule and the real schedule (调休 make-up
working days in particular) is unknown. Operators can fill such years in with an
override file; a year present there replaces the package's data for that year.

For China the package lists only some weekend days of a holiday block (National
Day 2026: Oct 1-3 and 5-7, not Sun Oct 4), while every notice gives the whole block
off. :class:`HolidaySource` therefore closes a Saturday or Sunday that is not a
make-up working day and touches a listed day off, directly or through the other
weekend day (Sat+Sun between Fri and Mon holidays). The rule applies to package and
override years alike, so an override may list the notice's weekdays only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays
import yaml

__all__ = [
    "DEFAULT_OVERRIDES_PATH",
    "DayStatus",
    "HolidayOverride",
    "HolidaySource",
    "check_country",
    "default_overrides",
    "last_official_year",
    "load_holiday_overrides",
    "package_year",
    "parse_holiday_overrides",
]

DEFAULT_OVERRIDES_PATH = Path(__file__).parent / "data" / "holidays-cn.yaml"
#: Countries whose notices give the weekend days of a holiday block off as well.
_WEEKEND_BLOCK_COUNTRIES = frozenset({"CN"})
_DAY = timedelta(days=1)


class DayStatus(enum.Enum):
    """What the holiday data says about one date (dates it says nothing about follow the week)."""

    CLOSED = "closed"
    WORKDAY = "workday"


@dataclass(frozen=True, slots=True)
class HolidayOverride:
    """One year of an official notice: every statutory day off (incl. substituted
    days) and every make-up working day. It replaces the package data for that year.

    For China the weekend days of a holiday block need not be listed in ``closed``
    (listing them is harmless): :class:`HolidaySource` closes them."""

    closed: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


def _as_date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _parse_year(year: int, entry: object) -> HolidayOverride:
    if entry is None:
        entry = {}
    if not isinstance(entry, Mapping):
        raise ValueError(f"holiday override {year}: expected a mapping with closed/workdays")
    unknown = set(entry) - {"closed", "workdays"}
    if unknown:
        raise ValueError(f"holiday override {year}: unknown keys {sorted(map(str, unknown))}")
    lists: dict[str, frozenset[date]] = {}
    for key in ("closed", "workdays"):
        raw = entry.get(key) or []
        if isinstance(raw, str | date) or not isinstance(raw, Iterable):
            raise ValueError(f"holiday override {year}.{key}: expected a list of dates")
        days = frozenset(_as_date(v, f"holiday override {year}.{key}") for v in raw)
        # A notice may move a working day into the previous December, never further.
        stray = sorted(d for d in days if d.year not in (year - 1, year))
        if stray:
            raise ValueError(f"holiday override {year}.{key}: {stray[0]} is not in {year}")
        lists[key] = days
    both = lists["closed"] & lists["workdays"]
    if both:
        raise ValueError(f"holiday override {year}: {min(both)} is both closed and a workday")
    return HolidayOverride(closed=lists["closed"], workdays=lists["workdays"])


def parse_holiday_overrides(raw: Mapping[object, object] | None) -> dict[int, HolidayOverride]:
    """Validate a ``{year: {closed: [...], workdays: [...]}}`` mapping (dates as
    :class:`date` or ISO strings; years as ints or digit strings)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError("holiday overrides: expected a mapping of year -> {closed, workdays}")
    result: dict[int, HolidayOverride] = {}
    for key, entry in raw.items():
        if isinstance(entry, HolidayOverride):
            result[int(key)] = entry  # type: ignore[arg-type]
            continue
        try:
            year = int(key)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ValueError(f"holiday overrides: {key!r} is not a year") from None
        result[year] = _parse_year(year, entry)
    return result


def load_holiday_overrides(path: str | Path | None = None) -> dict[int, HolidayOverride]:
    """Read an override file (default: the shipped ``sla/data/holidays-cn.yaml``).

    An empty file or an empty mapping means "no overrides".
    """
    text = Path(path or DEFAULT_OVERRIDES_PATH).read_text(encoding="utf-8")
    return parse_holiday_overrides(yaml.safe_load(text))


@lru_cache(maxsize=8)
def _default_overrides() -> dict[int, HolidayOverride]:
    return load_holiday_overrides()


def default_overrides(country: str) -> dict[int, HolidayOverride]:
    """The shipped overrides for ``country`` (only China has an override file)."""
    return dict(_default_overrides()) if country.upper() == "CN" else {}


def last_official_year(country: str) -> int | None:
    """Last year whose official schedule the ``holidays`` package knows, or None when
    the country's holidays are rule-based (nothing is ever provisional).

    For China it is the newest year of the package's table of State Council
    substitutions (``ChinaStaticHolidays.special_public_holidays``); should that table
    move, the newest year with a make-up working day is used instead.
    """
    if country.upper() != "CN":
        return None
    try:
        from holidays.countries.china import ChinaStaticHolidays

        return max(ChinaStaticHolidays.special_public_holidays)
    except (ImportError, AttributeError, ValueError):  # pragma: no cover - package layout moved
        workdays = holidays.China(years=range(2000, 2100)).weekend_workdays
        return max(d.year for d in workdays)


def check_country(country: str) -> None:
    """Raise ValueError unless the ``holidays`` package knows ``country``."""
    try:
        holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise ValueError(f"unknown holiday country code {country!r}") from None


@lru_cache(maxsize=512)
def package_year(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(closed dates, make-up working dates) of ``year`` from the package, cached.

    Make-up days are only taken for China; other countries only close days.
    """
    data = holidays.country_holidays(country, years=year)
    closed = frozenset(d for d in data if d.year == year)
    workdays: frozenset[date] = frozenset()
    if country.upper() == "CN":
        # weekend_workdays also lists cross-year days of unrelated years: keep this year's.
        workdays = frozenset(d for d in data.weekend_workdays if d.year == year)
    return closed, workdays - closed


class HolidaySource:
    """Holiday status of dates for one country, package data merged with overrides.

    For China a Saturday or Sunday that is not a make-up working day and is
    contiguous with a listed day off (directly or through the other weekend day,
    across years and across package/override data) is closed too: it belongs to the
    holiday block, as in every State Council notice. Company closures (a calendar's
    ``closed`` dates) are not holiday data and never extend to a weekend.
    """

    def __init__(self, country: str, overrides: Mapping[int, HolidayOverride]) -> None:
        check_country(country)
        self.country = country
        self.override_years = frozenset(overrides)
        self._override_status: dict[date, DayStatus] = {}
        for year in sorted(overrides):
            entry = overrides[year]
            self._override_status.update(dict.fromkeys(entry.closed, DayStatus.CLOSED))
            self._override_status.update(dict.fromkeys(entry.workdays, DayStatus.WORKDAY))
        self.official_until = last_official_year(country)
        self._weekend_blocks = country.upper() in _WEEKEND_BLOCK_COUNTRIES

    def _listed(self, day: date) -> DayStatus | None:
        """What the override (for its years) or else the package lists for ``day``."""
        status = self._override_status.get(day)
        if status is not None or day.year in self.override_years:
            return status
        closed, workdays = package_year(self.country, day.year)
        if day in closed:
            return DayStatus.CLOSED
        return DayStatus.WORKDAY if day in workdays else None

    def _in_block(self, day: date) -> bool:
        """Whether the unlisted weekend ``day`` reaches a listed day off through
        unlisted weekend days (at most the other day of its weekend)."""
        for step in (-_DAY, _DAY):
            near = day + step
            while near.weekday() >= 5 and self._listed(near) is None:
                near += step
            if self._listed(near) is DayStatus.CLOSED:
                return True
        return False

    def status(self, day: date) -> DayStatus | None:
        """CLOSED, WORKDAY (make-up day) or None (an ordinary day: follow the week)."""
        status = self._listed(day)
        if status is None and self._weekend_blocks and day.weekday() >= 5 and self._in_block(day):
            return DayStatus.CLOSED
        return status

    def is_official(self, year: int) -> bool:
        """Whether ``year``'s schedule is known (package data or an override)."""
        return (self.official_until is None or year <= self.official_until
                or year in self.override_years)

    def last_official_day(self) -> date | None:
        """Dec 31 of the last year before the first year that is not official."""
        if self.official_until is None:
            return None
        year = self.official_until
        while year + 1 in self.override_years:
            year += 1
        return date(year, 12, 31)
