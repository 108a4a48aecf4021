"""The SLA policy file: the shipped example, validation with locations, check-config."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sla.calendar import build_calendars
from sla.config import ConfigError, ConfigIssue, load_config, parse_config, parse_duration
from sla.specs import Duration, Span
from sla_police.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "sla-police.yaml"

#: What the workload simulator produces, and who must own it.
SIMULATOR_CATEGORIES = {
    "delivery.late": "logistics", "delivery.damaged": "logistics", "delivery.lost": "logistics",
    "billing.overcharge": "billing", "billing.invoice": "billing", "refund.delayed": "billing",
    "network.outage": "network", "network.slow": "network",
    "store.service": "stores", "store.stock": "stores",
    "product.defect": "product", "product.return": "product",
    "app.login": "it", "account.locked": "it",
    "other.general": "triage",
}
SIMULATOR_DEPARTMENTS = {
    "logistics": "物流部", "billing": "账务部", "network": "网络运维部", "stores": "门店运营部",
    "product": "产品质量部", "it": "信息技术部", "triage": "客服分诊",
}

BASE = """\
timezone: Asia/Shanghai
currency: CNY
calendars:
  office:
    hours:
      mon-fri: ["09:00-12:00", "13:30-18:00"]
    holidays: CN
    closed: ["2026-12-31"]
    open: {"2026-12-27": ["09:00-18:00"]}
  always: {hours: 24x7}
departments:
  logistics: {name: 物流部, calendar: office}
  triage: {calendar: always}
attribution:
  - {match: {category: "delivery.*"}, department: logistics}
  - {department: triage}
slas:
  - name: p1
    match: {priority: P1}
    calendar: always
    acknowledge: 30m
    resolve: 4h
    pause_on: {resolve: [awaiting_customer]}
    warn_at: [0.5, 0.8]
  - {name: standard, acknowledge: 2h, resolve: 16h}
penalties:
  - {name: late-resolution, on: breach, metric: resolve, fine: 500, points: 2,
     repeat: {within: 30d, multiplier: 2}, cap: {per: month, fine: 20000}}
  - {name: per-complaint, on: complaint, fine: 1000, charge: assignee}
"""


def _edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _where(text: str, marker: str) -> tuple[int, int]:
    """1-based (line, column) of the first occurrence of ``marker``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number, line.index(marker) + 1
    raise AssertionError(f"{marker!r} not in text")


def _issues(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.yaml")
    return caught.value.issues


def _route(rules, fields: dict[str, str]):
    """First rule whose globs all match (a list of globs means any of)."""
    for rule in rules:
        if all(any(fnmatchcase(fields.get(key, ""), p) for p in
                   ((want,) if isinstance(want, str) else want))
               for key, want in rule.match.items()):
            return rule
    raise AssertionError(f"no rule for {fields}")


# --- the shipped example -----------------------------------------------------------------

def test_example_loads_with_every_simulator_department() -> None:
    config = load_config(EXAMPLE)
    assert config.source == str(EXAMPLE)
    assert (config.timezone, config.currency) == ("Asia/Shanghai", "CNY")
    assert {d: spec.name for d, spec in config.departments.items()} == SIMULATOR_DEPARTMENTS
    assert set(config.calendars) == {"office", "extended", "always"}
    assert config.departments["triage"].calendar == "always"
    assert config.calendars["always"].always_open
    office = config.calendars["office"]
    assert office.holidays == "CN"
    assert office.week[0] == (Span(9 * 3600, 12 * 3600), Span(13 * 3600 + 1800, 18 * 3600))
    assert office.week[5] == office.week[6] == ()
    assert config.calendars["extended"].week == ((Span(8 * 3600, 22 * 3600),),) * 7


@pytest.mark.parametrize(("category", "department"), sorted(SIMULATOR_CATEGORIES.items()))
def test_example_attributes_every_simulator_category(category: str, department: str) -> None:
    rules = load_config(EXAMPLE).attribution
    assert _route(rules, {"category": category, "priority": "P3"}).department == department


def test_example_policies_and_penalties() -> None:
    config = load_config(EXAMPLE)
    chosen = {p: _route(config.slas, {"priority": p}).name for p in ("P1", "P2", "P3", "P4")}
    assert chosen == {"P1": "p1", "P2": "p2", "P3": "standard", "P4": "standard"}
    p1 = config.slas[0]
    assert (p1.calendar, p1.acknowledge, p1.resolve) == (
        "always", Duration(0, 900, "15m"), Duration(0, 4 * 3600, "4h"))
    assert p1.warn_at == (0.5, 0.8)
    assert p1.pause_on == {"resolve": frozenset({"awaiting_customer", "awaiting_third_party"})}
    assert config.slas[-1].resolve == Duration(2, 0, "2d") and not config.slas[-1].match
    rules = {rule.name: rule for rule in config.penalties}
    late = rules["late-resolution"]
    assert (late.on, late.metric, late.fine, late.points) == ("breach", "resolve", 500, 2)
    assert late.repeat.within == timedelta(days=30) and late.repeat.multiplier == 2
    assert late.cap.fine == Decimal(20000)
    assert (rules["late-acknowledge"].metric, rules["late-acknowledge"].fine) == (
        "acknowledge", 100)
    assert (rules["per-complaint"].on, rules["per-complaint"].charge) == ("complaint", "assignee")


# --- values ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "days", "seconds"), [
    ("1h30m", 0, 5400), ("90s", 0, 90), ("2d", 2, 0), ("1d4h", 1, 14400), ("25h", 0, 90000),
    ("1d2h3m4s", 1, 7384),
])
def test_parse_duration(text: str, days: int, seconds: int) -> None:
    assert parse_duration(text) == Duration(days, seconds, text)


@pytest.mark.parametrize("text", ["", "soon", "0m", "0d0h", "1.5h", "4H", "1h1d", "-1h", "1 h"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_base_config_values() -> None:
    config = parse_config(BASE, "base.yaml")
    office = config.calendars["office"]
    assert office.closed == frozenset({date(2026, 12, 31)})
    assert office.open == {date(2026, 12, 27): (Span(9 * 3600, 18 * 3600),)}
    assert office.timezone == "Asia/Shanghai" and office.makeup_hours is None
    assert config.departments["triage"].name == "triage"
    assert config.attribution[0].name == "attribution[0]"
    assert config.penalties[1].metric is None and config.penalties[1].points == 0
    assert config.source == "base.yaml"


def test_hours_keys_lists_and_yaml_oddities() -> None:
    text = _edit('      mon-fri: ["09:00-12:00", "13:30-18:00"]\n',
                 '      mon-wed,fri: [13:30-18:00, 09:00-12:00]\n      sat: 10:00-24:00\n')
    text = _edit("{match: {category: \"delivery.*\"}, department: logistics}",
                 "{match: {category: [delivery.*, refund.*], region: NO}, department: logistics}",
                 text)
    config = parse_config(text)
    week = config.calendars["office"].week
    assert week[0] == week[4] == (Span(32400, 43200), Span(48600, 64800))
    assert week[3] == () and week[5] == (Span(36000, 86400),)
    assert config.attribution[0].match == {"category": ("delivery.*", "refund.*"), "region": "NO"}
    assert config.penalties[0].on == "breach"  # the YAML 1.1 boolean key `on`


def test_a_span_may_name_seconds() -> None:
    text = _edit('["09:00-12:00", "13:30-18:00"]', '["09:00:30-12:00", "13:30-17:59:59"]')
    week = parse_config(text).calendars["office"].week
    assert week[0] == (Span(32430, 43200), Span(48600, 64799))


def test_merge_keys_and_anchors() -> None:
    text = _edit("  always: {hours: 24x7}\n",
                 "  always: {hours: 24x7}\n  late: {<<: *office, timezone: UTC, closed: []}\n")
    text = _edit("  office:\n", "  office: &office\n", text)
    late = parse_config(text).calendars["late"]
    assert late.timezone == "UTC" and late.holidays == "CN" and late.closed == frozenset()


# --- broken configs: path, line, column, message -----------------------------------------

BROKEN = [
    ("wrong duration", "    resolve: 4h\n", "    resolve: soon\n", "soon",
     "slas[0].resolve", "expected a duration like 30m, 4h, 2d"),
    ("unknown department", "department: logistics}", "department: logistic}", "logistic}",
     "attribution[0].department", "unknown department 'logistic'; did you mean 'logistics'?"),
    ("missing fallback", "  - {department: triage}\n",
     "  - {match: {priority: P4}, department: triage}\n", "{match: {priority: P4}",
     "attribution[1]", "the last rule must be a fallback without 'match'"),
    ("unreachable rule", "  - {department: triage}\n",
     "  - {department: triage}\n  - {match: {priority: P4}, department: triage}\n",
     "{match: {priority: P4}", "attribution[2]", "unreachable: attribution[1]"),
    ("unknown key", "    acknowledge: 30m\n", "    acknowlege: 30m\n", "acknowlege",
     "slas[0].acknowlege", "unknown key 'acknowlege'; did you mean 'acknowledge'?"),
    ("unknown top-level key", "currency: CNY\n", "currency: CNY\npenalty: []\n", "penalty:",
     "penalty", "did you mean 'penalties'?"),
    ("overlapping spans", '["09:00-12:00", "13:30-18:00"]', '["09:00-12:00", "11:30-18:00"]',
     '"11:30', "calendars.office.hours.mon-fri[1]", "11:30-18:00 overlaps 09:00-12:00"),
    ("day listed twice", '      mon-fri: ["09:00-12:00", "13:30-18:00"]\n',
     '      mon-fri: ["09:00-12:00", "13:30-18:00"]\n      fri: ["09:00-10:00"]\n',
     'fri: ["09:00-10:00"]',
     "calendars.office.hours.fri", "fri is listed twice (also at line 6)"),
    ("bad span", '"13:30-18:00"', '"13:30-25:00"', '"13:30-25:00"',
     "calendars.office.hours.mon-fri[1]", "expected times between 00:00 and 24:00"),
    ("bad seconds", '"13:30-18:00"', '"13:30:60-18:00"', '"13:30:60',
     "calendars.office.hours.mon-fri[1]", "expected times between 00:00 and 24:00"),
    ("bad timezone", "timezone: Asia/Shanghai\n", "timezone: Asia/Shangai\n", "Asia/Shangai",
     "timezone", "did you mean 'Asia/Shanghai'?"),
    ("bad currency", "currency: CNY", "currency: yuan", "yuan", "currency", "3 uppercase"),
    ("warn_at out of range", "warn_at: [0.5, 0.8]", "warn_at: [0.5, 1.5]", "1.5",
     "slas[0].warn_at[1]", "strictly between 0 and 1"),
    ("warn_at unsorted", "warn_at: [0.5, 0.8]", "warn_at: [0.8, 0.5]", "0.5]",
     "slas[0].warn_at[1]", "ascending"),
    ("unknown calendar", "calendar: always\n", "calendar: alwys\n", "alwys",
     "slas[0].calendar", "unknown calendar 'alwys'; did you mean 'always'?"),
    ("catch-all policy missing", "  - {name: standard, acknowledge: 2h, resolve: 16h}\n",
     "  - {name: standard, match: {priority: P2}, acknowledge: 2h, resolve: 16h}\n",
     "{name: standard", "slas[1]", "every complaint needs a policy"),
    ("duplicate policy", "{name: standard,", "{name: p1,", "p1, ack", "slas[1].name",
     "duplicate name 'p1'"),
    ("pause on unknown metric", "pause_on: {resolve:", "pause_on: {resolution:", "resolution",
     "slas[0].pause_on.resolution", "expected one of: acknowledge, resolve"),
    ("metric on complaint", "on: complaint,", "on: complaint, metric: resolve,",
     "resolve, fine: 1000", "penalties[1].metric", "only applies with on: breach"),
    ("bad multiplier", "multiplier: 2", "multiplier: 0.5", "0.5}", "penalties[0].repeat.multiplier",
     "1 or more"),
    ("negative fine", "fine: 1000", "fine: -1", "-1, charge", "penalties[1].fine", "0 or more"),
    ("bad cap period", "per: month", "per: week", "week", "penalties[0].cap.per", "expected month"),
    ("bad charge", "charge: assignee", "charge: boss", "boss", "penalties[1].charge",
     "expected department or assignee"),
    ("bad holidays", "holidays: CN", "holidays: XX", "XX", "calendars.office.holidays",
     "unknown holiday country 'XX'"),
    ("bad department id", "  triage: {calendar: always}\n",
     "  triage: {calendar: always}\n  Ops: {calendar: office}\n", "Ops", "departments.Ops",
     "expected an id"),
    ("duplicate key", "currency: CNY\n", "currency: CNY\ncurrency: EUR\n", "currency: EUR",
     "currency", "duplicate key (first at line 2)"),
    ("yaml syntax error", "    resolve: 4h\n", "    resolve: 4h: oops\n", ": oops", "",
     "YAML syntax error"),
    ("bad ruling deadline", "currency: CNY\n",
     "currency: CNY\ndisputes: {ruling_within: soon}\n", "soon", "disputes.ruling_within",
     "expected a duration"),
    ("unknown disputes key", "currency: CNY\n",
     "currency: CNY\ndisputes: {ruling_within: 3d, rule_within: 1d}\n", "rule_within",
     "disputes.rule_within", "did you mean 'ruling_within'"),
]


@pytest.mark.parametrize(("old", "new", "marker", "path", "fragment"),
                         [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_broken_config_is_located(old: str, new: str, marker: str, path: str,
                                  fragment: str) -> None:
    text = _edit(old, new)
    issues = _issues(text)
    assert [(i.path, fragment in i.message) for i in issues] == [(path, True)], issues
    assert (issues[0].line, issues[0].column) == _where(text, marker)


def test_the_dispute_ruling_deadline_counts_working_days_on_its_calendar() -> None:
    """Filed Friday 2026-11-20 16:00: three working days on the office calendar is Wednesday
    16:00; without a calendar, 3d is 72 hours (Monday 16:00)."""
    filed = datetime.fromisoformat("2026-11-20T16:00:00+08:00")
    calendars = build_calendars(load_config(EXAMPLE).calendars)
    working = load_config(EXAMPLE).dispute_deadline
    assert working is not None and working.calendar == "office"
    assert working.due(filed, calendars) == datetime.fromisoformat("2026-11-25T16:00:00+08:00")
    assert parse_config(BASE).dispute_deadline is None
    calendar_time = parse_config(BASE + "disputes: {ruling_within: 1d12h}\n").dispute_deadline
    assert calendar_time.due(filed, calendars) == filed + timedelta(days=1, hours=12)


def test_a_dispute_deadline_on_an_unknown_calendar_is_located() -> None:
    issues = _issues(BASE + "disputes: {ruling_within: 3d, calendar: nowhere}\n")
    assert [i.path for i in issues] == ["disputes.calendar"]
    assert "nowhere" in issues[0].message


def test_empty_match_is_a_catch_all() -> None:
    """``match: {}`` is a catch-all like no match at all."""
    text = _edit("{name: standard, acknowledge", "{name: standard, match: {}, acknowledge")
    assert parse_config(text).slas[-1].match == {}


def test_missing_required_key_points_at_the_mapping() -> None:
    issues = _issues(_edit("  triage: {calendar: always}\n", "  triage: {name: 分诊}\n"))
    assert [(i.path, i.message, i.line) for i in issues] == [
        ("departments.triage.calendar", "required key is missing", 13)]


def test_every_error_is_reported_in_file_order() -> None:
    text = _edit("timezone: Asia/Shanghai", "timezone: Mars/Olympus")
    text = _edit("    resolve: 4h\n", "    resolve: soon\n", text)
    text = _edit("fine: 1000", "fine: lots", text)
    text = _edit("  always: {hours: 24x7}\n", "  always: {hours: 24x7, colour: red}\n", text)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "deploy/config/x.yaml")
    error = caught.value
    assert isinstance(error, ValueError)
    assert [i.path for i in error.issues] == [
        "timezone", "calendars.always.colour", "slas[0].resolve", "penalties[1].fine"]
    line, column = _where(text, "soon")
    assert (f"deploy/config/x.yaml:{line}:{column}: slas[0].resolve: expected a duration like "
            f"30m, 4h, 2d") in str(error)
    assert len(str(error).splitlines()) == 4


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    assert "empty" in _issues("")[0].message
    assert _issues("- a\n")[0].message == "expected a mapping; got a list"
    with pytest.raises(ConfigError, match="cannot read file"):
        load_config(tmp_path / "missing.yaml")


# --- sla-police check-config -------------------------------------------------------------

def test_check_config_accepts_the_example() -> None:
    result = CliRunner().invoke(app, ["check-config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "late-resolution" in result.output
    assert "7 attribution rules (fallback: triage)" in result.output


def test_check_config_shows_the_authority_limits_per_reason_and_level() -> None:
    result = CliRunner(env={"COLUMNS": "120"}).invoke(app, ["check-config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "one chain agent < team_lead < supervisor < manager" in result.output
    rows = [line.split() for line in result.output.splitlines()]
    assert ["delivery.*", "100", "300", "-", "-"] in rows
    assert ["(default)", "50", "200", "1000", "5000"] in rows
    assert ["pilot-east-week:", "(default)", "300", "-", "-", "-"] in rows


def test_check_config_defaults_to_the_settings_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_CONFIG", str(EXAMPLE))
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 0, result.output


def test_check_config_lists_every_problem(tmp_path: Path) -> None:
    text = _edit("    resolve: 4h\n", "    resolve: soon\n")
    text = _edit("department: logistics}", "department: logistic}", text)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["check-config", str(broken)])
    assert result.exit_code == 1
    line, column = _where(text, "soon")
    assert f"{broken}:{line}:{column}: slas[0].resolve: expected a duration" in result.output
    line, column = _where(text, "logistic}")
    assert f"{broken}:{line}:{column}: attribution[0].department: unknown" in result.output
    assert "2 problems" in result.output
