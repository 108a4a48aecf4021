"""The ``calendars`` and ``departments`` sections of the policy file.

A calendar says when a clock runs: weekly hours, a country's statutory holidays
and make-up working days (调休), and explicit closed/open dates. A department
owns complaints and runs on one calendar; its alert keys (``language``, ``webhook``,
``delivery``) are read by :mod:`sla._config_alerts`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from yaml.nodes import Node, ScalarNode

from sla._config_alerts import parse_language, read_delivery, read_webhook
from sla._config_values import (
    DAY_NAMES,
    parse_country,
    parse_date,
    parse_days,
    parse_identifier,
    parse_span,
    parse_timezone,
)
from sla._config_yaml import Reader, at, join
from sla.specs import CalendarSpec, DepartmentSpec, Span

__all__ = ["read_calendars", "read_departments", "read_spans"]

Week = tuple[tuple[Span, ...], ...]
FULL_DAY = (Span(0, 86400),)
CALENDAR_KEYS = ("timezone", "hours", "holidays", "closed", "open", "makeup_hours")
DEPARTMENT_KEYS = ("name", "calendar", "webhook", "language", "delivery")
ALWAYS = "24x7"


def _fmt(span: Span) -> str:
    return f"{span.start // 3600:02d}:{span.start % 3600 // 60:02d}-" \
        f"{span.end // 3600:02d}:{span.end % 3600 // 60:02d}"


def read_spans(reader: Reader, node: Node, path: str) -> tuple[Span, ...] | None:
    """A list of ``"HH:MM-HH:MM"`` (or one such string): sorted, and no two overlapping."""
    nodes = [node] if isinstance(node, ScalarNode) else reader.items(node, path)
    if nodes is None:
        return None
    parsed: list[tuple[Span, Node, str]] = []
    ok = True
    for index, item in enumerate(nodes):
        item_path = at(path, index) if item is not node else path
        span = reader.parse(item, item_path, parse_span, "a span like 09:00-18:00")
        ok = ok and span is not None
        if span is not None:
            parsed.append((span, item, item_path))
    parsed.sort(key=lambda entry: entry[0].start)
    for (before, _, _), (span, item, item_path) in zip(parsed, parsed[1:], strict=False):
        if span.start < before.end:
            reader.error(item, item_path, f"{_fmt(span)} overlaps {_fmt(before)}")
            ok = False
    return tuple(entry[0] for entry in parsed) if ok else None


def _read_hours(reader: Reader, node: Node, path: str) -> Week | None:
    """``24x7`` or a mapping of weekday keys (``mon``, ``mon-fri``, ``sat,sun``) to spans."""
    if isinstance(node, ScalarNode):
        if node.value.strip().lower() == ALWAYS:
            return (FULL_DAY,) * 7
        reader.error(node, path, f"expected 24x7 or a mapping like mon-fri: [09:00-18:00]; "
                                 f"got {node.value!r}")
        return None
    pairs = reader.entries(node, path)
    if pairs is None:
        return None
    week: list[tuple[Span, ...] | None] = [None] * 7
    first: dict[int, int] = {}
    ok = True
    for key, value in pairs:
        key_path = join(path, key.value)
        days = reader.parse(key, key_path, parse_days, "weekdays like mon-fri")
        spans = read_spans(reader, value, key_path)
        ok = ok and days is not None and spans is not None
        for day in days or ():
            if day in first:
                reader.error(key, key_path,
                             f"{DAY_NAMES[day]} is listed twice (also at line {first[day]})")
                ok = False
            first[day] = key.start_mark.line + 1
            week[day] = spans
    if ok and not any(week):
        reader.error(node, path, "a calendar needs some open time in the week")
        ok = False
    return tuple(day or () for day in week) if ok else None


def _read_closed(reader: Reader, node: Node, path: str) -> frozenset[date] | None:
    items = reader.items(node, path)
    if items is None:
        return None
    dates = [reader.parse(item, at(path, i), parse_date, "a date like 2026-12-31")
             for i, item in enumerate(items)]
    return frozenset(d for d in dates if d is not None) if None not in dates else None


def _read_open(reader: Reader, node: Node, path: str) -> dict[date, tuple[Span, ...]] | None:
    pairs = reader.entries(node, path)
    if pairs is None:
        return None
    result: dict[date, tuple[Span, ...]] = {}
    ok = True
    for key, value in pairs:
        key_path = join(path, key.value)
        day = reader.parse(key, key_path, parse_date, "a date like 2026-12-27")
        spans = read_spans(reader, value, key_path)
        if day is None or spans is None:
            ok = False
        elif not spans:
            reader.error(value, key_path, "an open date needs hours; list it in closed instead")
            ok = False
        else:
            result[day] = spans
    return result if ok else None


def _read_calendar(
    reader: Reader, name: str, node: Node, path: str, default_tz: str
) -> CalendarSpec | None:
    fields = reader.fields(node, path, CALENDAR_KEYS, required=("hours",))
    if fields is None:
        return None
    start = len(reader.issues)
    timezone = default_tz
    if "timezone" in fields:
        timezone = reader.parse(fields["timezone"], join(path, "timezone"), parse_timezone,
                                "a time zone like Asia/Shanghai") or default_tz
    week = _read_hours(reader, fields["hours"], join(path, "hours")) if "hours" in fields else None
    country = None
    if "holidays" in fields:
        country = reader.parse(fields["holidays"], join(path, "holidays"), parse_country,
                               "a country code like CN")
    closed = frozenset[date]()
    if "closed" in fields:
        closed = _read_closed(reader, fields["closed"], join(path, "closed")) or closed
    opened: dict[date, tuple[Span, ...]] = {}
    if "open" in fields:
        opened = _read_open(reader, fields["open"], join(path, "open")) or opened
    for day in sorted(closed & opened.keys()):
        reader.error(fields["open"], join(path, "open"), f"{day} is also listed in closed")
    makeup = None
    if "makeup_hours" in fields:
        makeup = read_spans(reader, fields["makeup_hours"], join(path, "makeup_hours"))
        if "holidays" not in fields:
            reader.error(fields["makeup_hours"], join(path, "makeup_hours"),
                         "makeup_hours only applies with holidays (make-up working days)")
    if week is None or len(reader.issues) > start:
        return None
    return CalendarSpec(name=name, timezone=timezone, week=week, holidays=country,
                        closed=closed, open=opened, makeup_hours=makeup)


def read_calendars(
    reader: Reader, node: Node, default_tz: str
) -> dict[str, CalendarSpec | None]:
    """Calendar name -> spec (``None`` where the calendar has issues)."""
    pairs = reader.entries(node, "calendars")
    if pairs is None:
        return {}
    if not pairs:
        reader.error(node, "calendars", "define at least one calendar")
    result: dict[str, CalendarSpec | None] = {}
    for key, value in pairs:
        path = join("calendars", key.value)
        name = reader.parse(key, path, parse_identifier, "a calendar name")
        spec = _read_calendar(reader, key.value, value, path, default_tz)
        result[key.value] = spec if name is not None else None
    return result


def read_departments(
    reader: Reader, node: Node, calendars: Collection[str], language: str = "en"
) -> dict[str, DepartmentSpec | None]:
    """Department id -> spec (``None`` where the department has issues); ``language`` is
    the default of departments that do not name theirs."""
    pairs = reader.entries(node, "departments")
    if pairs is None:
        return {}
    if not pairs:
        reader.error(node, "departments", "define at least one department")
    result: dict[str, DepartmentSpec | None] = {}
    for key, value in pairs:
        path = join("departments", key.value)
        start = len(reader.issues)
        reader.parse(key, path, parse_identifier, "a department id")
        fields = reader.fields(value, path, DEPARTMENT_KEYS, required=("calendar",)) or {}
        result[key.value] = _department(reader, key.value, fields, path, calendars, language,
                                        start)
    return result


def _department(reader: Reader, dept_id: str, fields: dict[str, Node], path: str,
                calendars: Collection[str], language: str, start: int) -> DepartmentSpec | None:
    name = dept_id
    if "name" in fields:
        name = reader.text(fields["name"], join(path, "name"), "a display name") or name
    calendar = None
    if "calendar" in fields:
        calendar = reader.reference(fields["calendar"], join(path, "calendar"),
                                    calendars, "calendar")
    webhook = delivery = None
    if "webhook" in fields:
        webhook = read_webhook(reader, fields["webhook"], join(path, "webhook"))
    if "language" in fields:
        language = reader.parse(fields["language"], join(path, "language"), parse_language,
                                "a language (en or zh)") or language
    if "delivery" in fields:
        delivery = read_delivery(reader, fields["delivery"], join(path, "delivery"))
    if calendar is None or len(reader.issues) > start:
        return None
    return DepartmentSpec(dept_id, name, calendar, webhook, language,  # type: ignore[arg-type]
                          delivery)
