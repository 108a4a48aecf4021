"""Parsers for the scalar values of the policy file.

Each takes the raw text the user wrote and returns the typed value, or raises
``ValueError`` with a message saying what was expected and what was found; the
reader turns that message into a located :class:`~sla._config_yaml.ConfigIssue`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sla._config_yaml import did_you_mean
from sla.specs import Duration, Span

__all__ = [
    "DAY_NAMES",
    "parse_country",
    "parse_currency",
    "parse_date",
    "parse_days",
    "parse_duration",
    "parse_fraction",
    "parse_identifier",
    "parse_money",
    "parse_multiplier",
    "parse_name",
    "parse_period",
    "parse_points",
    "parse_span",
    "parse_timezone",
    "parse_url",
    "parse_word",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_WORD = re.compile(r"[a-z][a-z0-9_]*")
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*")
_CURRENCY = re.compile(r"[A-Z]{3}")
DURATION_HINT = "a duration like 30m, 4h, 2d or 1h30m (units d, h, m, s in that order)"


def parse_duration(text: str) -> Duration:
    """``1h30m``, ``90s``, ``2d``, ``1d4h`` -> :class:`Duration` (days, seconds, text).

    Units: ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds, each at most once and
    in that order. The result must be greater than zero.
    """
    raw = text.strip()
    match = _DURATION.fullmatch(raw)
    if not raw or match is None:
        raise ValueError(f"expected {DURATION_HINT}; got {text!r}")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if days == 0 and total == 0:
        raise ValueError(f"expected a duration greater than zero; got {text!r}")
    return Duration(days=days, seconds=total, text=raw)


def parse_period(text: str) -> timedelta:
    """A duration read as calendar time (``30d`` is 30 days of 24 hours)."""
    duration = parse_duration(text)
    return timedelta(days=duration.days, seconds=duration.seconds)


def _time_of_day(text: str, whole: str) -> int:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a span like 09:00-18:00; got {whole!r}")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"expected times between 00:00 and 24:00; got {whole!r}")
    return hours * 3600 + minutes * 60 + seconds


def parse_span(text: str) -> Span:
    """``"09:00-12:00"`` -> ``Span(32400, 43200)``; the end may be ``24:00``."""
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"expected a span like 09:00-18:00; got {text!r}")
    start, end = _time_of_day(start_text, text), _time_of_day(end_text, text)
    if start >= end:
        raise ValueError(
            f"a span must end after it starts (split overnight hours at 24:00); got {text!r}"
        )
    return Span(start, end)


def _day(text: str, whole: str) -> int:
    try:
        return DAY_NAMES.index(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"expected weekdays like mon, mon-fri or sat,sun; got {whole!r}"
        ) from None


def parse_days(text: str) -> tuple[int, ...]:
    """``mon``, ``mon-fri``, ``sat,sun``, ``mon-wed,fri`` -> weekday numbers (0 = Monday)."""
    days: list[int] = []
    for part in text.split(","):
        first, sep, last = part.partition("-")
        start = _day(first, text)
        end = _day(last, text) if sep else start
        if end < start:
            raise ValueError(f"a weekday range must run forward (like mon-fri); got {text!r}")
        for day in range(start, end + 1):
            if day in days:
                raise ValueError(f"{DAY_NAMES[day]} appears twice in {text!r}")
            days.append(day)
    return tuple(days)


def parse_date(text: str) -> date:
    """An ISO date, ``2026-12-31``."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected a date like 2026-12-31; got {text!r}") from None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(text: str) -> str:
    """An IANA time zone name (``Asia/Shanghai``), checked with :mod:`zoneinfo`."""
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            did_you_mean(name, _zones(), "time zone", "an IANA name like Asia/Shanghai")
        ) from None
    return name


def parse_currency(text: str) -> str:
    """An ISO 4217 code: three uppercase letters."""
    if not _CURRENCY.fullmatch(text.strip()):
        raise ValueError(f"expected a currency code of 3 uppercase letters like CNY; got {text!r}")
    return text.strip()


def parse_country(text: str) -> str:
    """A country code supported by the ``holidays`` package (``CN``)."""
    import holidays

    code = text.strip()
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise ValueError(
            did_you_mean(code, supported, "holiday country", "a country code like CN")
        )
    return code


def parse_identifier(text: str) -> str:
    """A department id: lowercase letter first, then lowercase letters, digits, ``_``, ``-``."""
    if not _IDENTIFIER.fullmatch(text):
        raise ValueError(
            f"expected an id of lowercase letters, digits, '_' or '-' (like logistics); "
            f"got {text!r}"
        )
    return text


def parse_name(text: str) -> str:
    """A policy or penalty name: letters, digits, ``_``, ``.``, ``-`` (used in events, metrics)."""
    if not _NAME.fullmatch(text):
        raise ValueError(f"expected a name of letters, digits, '_', '.' or '-'; got {text!r}")
    return text


def parse_word(text: str) -> str:
    """A pause reason: lowercase letters, digits and ``_`` (like ``awaiting_customer``)."""
    if not _WORD.fullmatch(text):
        raise ValueError(
            f"expected a reason word like awaiting_customer (lowercase, digits, '_'); got {text!r}"
        )
    return text


def parse_url(text: str) -> str:
    """An ``http://`` or ``https://`` URL."""
    if not _URL.fullmatch(text.strip()):
        raise ValueError(f"expected an http(s) URL like https://hooks.example.com/x; got {text!r}")
    return text.strip()


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace("_", ""))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValueError(f"expected {what}; got {text!r}")
    return value


def parse_money(text: str) -> Decimal:
    """An amount of money >= 0 (``500``, ``99.5``), kept exact as a :class:`Decimal`."""
    value = _decimal(text, "an amount like 500 or 99.50")
    if value < 0:
        raise ValueError(f"expected an amount of 0 or more; got {text!r}")
    return value


def parse_multiplier(text: str) -> Decimal:
    """A fine multiplier >= 1 (``2``, ``1.5``)."""
    value = _decimal(text, "a multiplier like 2 or 1.5")
    if value < 1:
        raise ValueError(f"expected a multiplier of 1 or more; got {text!r}")
    return value


def parse_points(text: str) -> int:
    """A whole number of demerit points >= 0."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number of points like 2; got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected 0 or more points; got {text!r}")
    return value


def parse_fraction(text: str) -> float:
    """A fraction of a target strictly between 0 and 1 (``0.8``)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a fraction like 0.8; got {text!r}") from None
    if not 0 < value < 1:
        raise ValueError(f"expected a fraction strictly between 0 and 1; got {text!r}")
    return value
