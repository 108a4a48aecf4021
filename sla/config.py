"""Load and validate the SLA policy file into an :class:`~sla.specs.SlaConfig`.

The file (``deploy/config/sla-police.yaml``, documented in ``docs/config.md``) says
which department owns which complaint, on which business calendar its clocks run,
what the targets are and what a breach costs. Validation checks the whole file in
one pass and reports every problem with its file, line, column and key path::

    deploy/config/sla-police.yaml:14:5: slas[1].resolve: expected a duration like 30m, ...

so an operator fixes the file once instead of once per error.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from yaml.nodes import Node

from sla._config_alerts import parse_language
from sla._config_authority import read_authority
from sla._config_calendars import read_calendars, read_departments
from sla._config_calls import read_calls
from sla._config_recurrence import read_recurrence
from sla._config_rules import declared_names, read_attribution, read_penalties, read_slas
from sla._config_values import parse_currency, parse_duration, parse_timezone
from sla._config_yaml import ConfigIssue, Reader
from sla.specs import DisputeDeadline, SlaConfig

__all__ = ["ConfigError", "ConfigIssue", "load_config", "parse_config", "parse_duration"]

TOP_KEYS = ("timezone", "currency", "language", "calendars", "departments", "attribution",
            "slas", "penalties", "disputes", "recurrence", "authority", "calls")
REQUIRED_KEYS = ("timezone", "currency", "calendars", "departments", "attribution", "slas")


class ConfigError(ValueError):
    """The policy file is invalid; ``issues`` lists every problem found, in file order.

    ``str()`` gives one ``file:line:col: path: message`` line per issue.
    """

    def __init__(self, source: str, issues: Iterable[ConfigIssue]) -> None:
        self.source = source
        self.issues: list[ConfigIssue] = sorted(issues, key=lambda i: (i.line, i.column))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(issue.format(self.source) for issue in self.issues)


def load_config(path: str | Path) -> SlaConfig:
    """Read and validate the policy file at ``path``.

    Raises :class:`ConfigError` listing every problem, including an unreadable file.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(source, [ConfigIssue("", 0, 0, f"cannot read file: {reason}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [ConfigIssue("", 0, 0, f"not UTF-8 text: {exc}")]) from exc
    return parse_config(text, source)


def parse_config(text: str, source: str = "<string>") -> SlaConfig:
    """Validate policy YAML ``text``; ``source`` names it in error messages.

    Raises :class:`ConfigError` listing every problem found, in file order.
    """
    reader = Reader(source)
    root = reader.compose(text)
    config = _build(reader, root, source) if root is not None else None
    if reader.issues or config is None:
        raise ConfigError(source, reader.issues)
    return config


def _build(reader: Reader, root: Node, source: str) -> SlaConfig | None:
    """Read every section (collecting issues) and assemble the config if all are valid."""
    top = reader.fields(root, "", TOP_KEYS, required=REQUIRED_KEYS)
    if top is None:
        return None
    timezone = currency = None
    if "timezone" in top:
        timezone = reader.parse(top["timezone"], "timezone", parse_timezone,
                                "a time zone like Asia/Shanghai")
    if "currency" in top:
        currency = reader.parse(top["currency"], "currency", parse_currency,
                                "a currency code like CNY")
    calendars = departments = {}
    if "calendars" in top:
        calendars = read_calendars(reader, top["calendars"], timezone or "UTC")
    language = "en"
    if "language" in top:
        language = reader.parse(top["language"], "language", parse_language,
                                "a language (en or zh)") or language
    if "departments" in top:
        departments = read_departments(reader, top["departments"], calendars.keys(), language)
    attribution = slas = []
    if "attribution" in top:
        attribution = read_attribution(reader, top["attribution"], departments.keys())
    if "slas" in top:
        slas = read_slas(reader, top["slas"], departments.keys(), calendars.keys())
    policy_names = declared_names(top.get("slas"))
    recurrence = read_recurrence(reader, top.get("recurrence"), departments.keys())
    penalties = read_penalties(reader, top.get("penalties"), departments.keys(), policy_names,
                               declared_names(top.get("recurrence")))
    deadline = (_read_disputes(reader, top["disputes"], calendars.keys())
                if "disputes" in top else None)
    authority = read_authority(
        reader, top.get("authority"), timezone or "UTC", currency or "CNY",
        {name: spec.calendar for name, spec in departments.items() if spec is not None},
        [name for name, spec in calendars.items() if spec is not None])
    _authority_penalties_need_a_department(reader, top.get("penalties"), authority)
    calls = read_calls(reader, top.get("calls"), timezone or "UTC")
    if reader.issues or timezone is None or currency is None:
        return None
    return SlaConfig(
        timezone=timezone,
        currency=currency,
        calendars={name: spec for name, spec in calendars.items() if spec is not None},
        departments={key: spec for key, spec in departments.items() if spec is not None},
        attribution=tuple(rule for rule in attribution if rule is not None),
        slas=tuple(policy for policy in slas if policy is not None),
        penalties=tuple(rule for rule in penalties if rule is not None),
        dispute_deadline=deadline,
        recurrence=tuple(rule for rule in recurrence if rule is not None),
        authority=authority,
        calls=calls,
        source=source,
    )


def _authority_penalties_need_a_department(reader: Reader, node: Node | None,
                                            authority: object) -> None:
    """A penalty ``on: authority_exceeded`` needs ``authority.department``: the book it is
    charged to (and the authority section itself)."""
    if node is None or getattr(authority, "department", None) is not None:
        return
    for index, item in enumerate(getattr(node, "value", None) or []):
        for key, value in getattr(item, "value", None) or []:
            if getattr(key, "value", None) == "on" and value.value == "authority_exceeded":
                reader.error(value, f"penalties[{index}].on",
                             "on: authority_exceeded needs authority.department (the department "
                             "whose book takes these penalties)")


def _read_disputes(reader: Reader, node: Node,
                   calendars: Collection[str]) -> DisputeDeadline | None:
    """``disputes: {ruling_within: 3d, calendar: office}``: how long the contact center has
    to rule on a dispute, after which the API shows it overdue: working time on
    ``calendar`` when given (``3d``: three working days), else calendar time."""
    fields = reader.fields(node, "disputes", ("ruling_within", "calendar"),
                           required=("ruling_within",))
    if fields is None or "ruling_within" not in fields:
        return None
    within = reader.parse(fields["ruling_within"], "disputes.ruling_within", parse_duration,
                          "a duration like 3d")
    calendar = None
    if "calendar" in fields:
        calendar = reader.reference(fields["calendar"], "disputes.calendar", calendars,
                                    "calendar")
        if calendar is None:
            return None
    return None if within is None else DisputeDeadline(within, calendar)
