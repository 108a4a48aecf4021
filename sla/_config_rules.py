"""The ``attribution``, ``slas`` and ``penalties`` sections of the policy file.

All three are ordered lists where the first matching entry wins; ``match`` maps a
field to a case-sensitive glob (:func:`fnmatch.fnmatchcase`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sla._config_values import (
    parse_duration,
    parse_fraction,
    parse_money,
    parse_multiplier,
    parse_name,
    parse_period,
    parse_points,
    parse_word,
)
from sla._config_yaml import Reader, at, join
from sla.specs import METRICS, AttributionRule, Cap, PenaltyRule, Repeat, SlaPolicy

__all__ = [
    "COMPLAINT_FIELDS",
    "PENALTY_MATCH_FIELDS",
    "SLA_MATCH_FIELDS",
    "declared_names",
    "read_attribution",
    "read_penalties",
    "read_slas",
]

COMPLAINT_FIELDS = ("customer_ref", "channel", "category", "priority", "product", "region",
                    "summary", "repeat_of", "assignee")
SLA_MATCH_FIELDS = (*COMPLAINT_FIELDS, "department")
PENALTY_MATCH_FIELDS = ("department", "policy", "priority", "category")
ATTRIBUTION_KEYS = ("match", "department")
SLA_KEYS = ("name", "match", "calendar", "acknowledge", "resolve", "pause_on", "warn_at")
PENALTY_KEYS = ("name", "on", "metric", "match", "fine", "points", "charge", "repeat", "cap",
                "recurrence")
_GLOB_CHARS = frozenset("*?[")


def _glob(reader: Reader, node: Node, path: str, names: Collection[str] | None,
          field: str) -> str | None:
    """One glob; a glob-free value of a field with ``names`` must be one of them (a
    misspelt department would otherwise silently never match)."""
    pattern = reader.text(node, path, "a glob pattern like 'delivery.*'")
    if pattern is not None and names is not None and not _GLOB_CHARS & set(pattern):
        return reader.reference(node, path, names, field)
    return pattern


def read_match(
    reader: Reader,
    node: Node,
    path: str,
    allowed: Collection[str],
    known: dict[str, Collection[str]] | None = None,
) -> dict[str, str | tuple[str, ...]] | None:
    """``{field: glob}`` or ``{field: [glob, ...]}`` (any of); a list becomes a tuple."""
    fields = reader.fields(node, path, allowed)
    if fields is None:
        return None
    result: dict[str, str | tuple[str, ...]] = {}
    ok = True
    for field, value in fields.items():
        field_path = join(path, field)
        names = (known or {}).get(field)
        if isinstance(value, ScalarNode):
            pattern = _glob(reader, value, field_path, names, field)
            ok = ok and pattern is not None
            result[field] = pattern or ""
            continue
        items = reader.items(value, field_path)
        if items is not None and not items:
            reader.error(value, field_path, "expected at least one glob pattern")
        patterns = [_glob(reader, item, at(field_path, i), names, field)
                    for i, item in enumerate(items or ())]
        ok = ok and bool(items) and None not in patterns
        result[field] = tuple(p for p in patterns if p is not None)
    return result if ok else None


def _fallbacks(reader: Reader, nodes: list[Node], matches: list[bool], path: str,
               missing: str) -> None:
    """The last entry must match everything; entries after a catch-all are unreachable."""
    if not nodes:
        return
    catch_all = [i for i, has_match in enumerate(matches) if not has_match]
    if not catch_all:
        reader.error(nodes[-1], at(path, len(nodes) - 1), missing)
        return
    first = catch_all[0]
    for index in range(first + 1, len(nodes)):
        reader.error(nodes[index], at(path, index),
                     f"unreachable: {at(path, first)} (line "
                     f"{nodes[first].start_mark.line + 1}) already matches everything")


def read_attribution(
    reader: Reader, node: Node, departments: Collection[str]
) -> list[AttributionRule | None]:
    """Attribution rules in order (``None`` where a rule has issues)."""
    items = reader.items(node, "attribution")
    if items is None:
        return []
    if not items:
        reader.error(node, "attribution", "define at least the fallback rule")
    rules: list[AttributionRule | None] = []
    matches: list[bool] = []
    for index, item in enumerate(items):
        path = at("attribution", index)
        fields = reader.fields(item, path, ATTRIBUTION_KEYS, required=("department",))
        if fields is None:
            rules.append(None)
            matches.append(True)
            continue
        match: dict[str, str | tuple[str, ...]] | None = {}
        if "match" in fields:
            match = read_match(reader, fields["match"], join(path, "match"), COMPLAINT_FIELDS)
        department = None
        if "department" in fields:
            department = reader.reference(fields["department"], join(path, "department"),
                                          departments, "department")
        matches.append(bool(match) or match is None)
        ok = department is not None and match is not None
        rules.append(AttributionRule(path, department, match) if ok else None)
    _fallbacks(reader, items, matches, "attribution",
               "the last rule must be a fallback without 'match' (a complaint no rule "
               "matches would have no owning department)")
    return rules


def _read_pause_on(reader: Reader, node: Node, path: str,
                   targets: Collection[str]) -> dict[str, frozenset[str]] | None:
    """``{metric: [reason, ...]}``: the clock of ``metric`` stops while paused for a reason."""
    fields = reader.fields(node, path, METRICS)
    if fields is None:
        return None
    start = len(reader.issues)
    result: dict[str, frozenset[str]] = {}
    for metric, value in fields.items():
        metric_path = join(path, metric)
        if metric not in targets:
            reader.error(value, metric_path, f"this policy has no {metric} target")
        items = reader.items(value, metric_path) or []
        words = [reader.parse(item, at(metric_path, i), parse_word, "a reason word")
                 for i, item in enumerate(items)]
        result[metric] = frozenset(w for w in words if w is not None)
    return result if len(reader.issues) == start else None


def _read_warn_at(reader: Reader, node: Node, path: str) -> tuple[float, ...] | None:
    """Fractions of a target at which to warn: in (0, 1), strictly ascending."""
    items = reader.items(node, path)
    if items is None:
        return None
    values = [reader.parse(item, at(path, i), parse_fraction, "a fraction like 0.8")
              for i, item in enumerate(items)]
    if None in values:
        return None
    for index in range(1, len(values)):
        if values[index] <= values[index - 1]:  # type: ignore[operator]
            reader.error(items[index], at(path, index),
                         "warn_at fractions must be unique and in ascending order")
            return None
    return tuple(v for v in values if v is not None)


def _read_policy(reader: Reader, item: Node, path: str, known: dict[str, Collection[str]],
                 calendars: Collection[str]) -> tuple[SlaPolicy | None, bool]:
    """One policy, and whether it has a ``match`` (is not a catch-all)."""
    fields = reader.fields(item, path, SLA_KEYS, required=("name",))
    if fields is None:
        return None, True
    start = len(reader.issues)
    name = None
    if "name" in fields:
        name = reader.parse(fields["name"], join(path, "name"), parse_name, "a policy name")
    match: dict[str, str | tuple[str, ...]] | None = {}
    if "match" in fields:
        match = read_match(reader, fields["match"], join(path, "match"), SLA_MATCH_FIELDS, known)
    calendar = None
    if "calendar" in fields:
        calendar = reader.reference(fields["calendar"], join(path, "calendar"), calendars,
                                    "calendar")
    targets = {metric: reader.parse(fields[metric], join(path, metric), parse_duration,
                                    "a duration like 4h")
               for metric in METRICS if metric in fields}
    if not targets:
        reader.error(item, path, "a policy needs acknowledge, resolve or both")
    pause_on = {}
    if "pause_on" in fields:
        pause_on = _read_pause_on(reader, fields["pause_on"], join(path, "pause_on"), targets)
    warn_at = ()
    if "warn_at" in fields:
        warn_at = _read_warn_at(reader, fields["warn_at"], join(path, "warn_at"))
    has_match = match is None or bool(match)
    if len(reader.issues) > start or name is None:
        return None, has_match
    policy = SlaPolicy(name=name, match=match or {}, calendar=calendar,
                       acknowledge=targets.get("acknowledge"), resolve=targets.get("resolve"),
                       pause_on=pause_on or {}, warn_at=warn_at or ())
    return policy, has_match


def read_slas(reader: Reader, node: Node, departments: Collection[str],
              calendars: Collection[str]) -> list[SlaPolicy | None]:
    """SLA policies in order (``None`` where a policy has issues)."""
    items = reader.items(node, "slas")
    if items is None:
        return []
    if not items:
        reader.error(node, "slas", "define at least one policy (every complaint needs a policy)")
    known = {"department": departments}
    policies: list[SlaPolicy | None] = []
    matches: list[bool] = []
    for index, item in enumerate(items):
        policy, has_match = _read_policy(reader, item, at("slas", index), known, calendars)
        policies.append(policy)
        matches.append(has_match)
    _unique_names(reader, items, "slas")
    _fallbacks(reader, items, matches, "slas",
               "the last policy must be a catch-all without 'match' "
               "(every complaint needs a policy)")
    return policies


def _names(items: list[Node]) -> list[tuple[int, Node]]:
    """(index, name node) of every entry with a plain ``name``, valid or not."""
    found = []
    for index, item in enumerate(items):
        if isinstance(item, MappingNode):
            found += [(index, value) for key, value in item.value
                      if key.value == "name" and isinstance(value, ScalarNode)]
    return found


def declared_names(node: Node | None) -> set[str]:
    """Every ``name`` in a list of entries, so references to an entry that has other
    problems are not reported as unknown too."""
    return {value.value for _, value in _names(node.value)} \
        if isinstance(node, SequenceNode) else set()


def _unique_names(reader: Reader, items: list[Node], path: str) -> None:
    """Names of policies (or penalties) must be unique."""
    first: dict[str, int] = {}
    for index, value in _names(items):
        if value.value in first:
            reader.error(value, join(at(path, index), "name"),
                         f"duplicate name {value.value!r} (first at line {first[value.value]})")
        else:
            first[value.value] = value.start_mark.line + 1


def _choice(reader: Reader, node: Node, path: str, choices: tuple[str, ...]) -> str | None:
    """One of a fixed set of words."""
    value = reader.text(node, path, " or ".join(choices))
    if value is not None and value not in choices:
        reader.error(node, path, f"expected {' or '.join(choices)}; got {value!r}")
        return None
    return value


def _read_repeat(reader: Reader, node: Node, path: str) -> Repeat | None:
    """``{within: 30d, multiplier: 2}``: ``within`` is calendar time."""
    fields = reader.fields(node, path, ("within", "multiplier"), required=("within", "multiplier"))
    if fields is None:
        return None
    within = multiplier = None
    if "within" in fields:
        within = reader.parse(fields["within"], join(path, "within"), parse_period,
                              "a calendar period like 30d")
    if "multiplier" in fields:
        multiplier = reader.parse(fields["multiplier"], join(path, "multiplier"),
                                  parse_multiplier, "a multiplier like 2")
    return Repeat(within, multiplier) if within and multiplier is not None else None


def _read_cap(reader: Reader, node: Node, path: str) -> Cap | None:
    """``{per: month, fine: 20000}``; ``per`` may be omitted."""
    fields = reader.fields(node, path, ("per", "fine"), required=("fine",))
    if fields is None:
        return None
    per = "month"
    if "per" in fields:
        per = _choice(reader, fields["per"], join(path, "per"), ("month",))
    fine = None
    if "fine" in fields:
        fine = reader.parse(fields["fine"], join(path, "fine"), parse_money, "an amount")
    if fine is not None and fine <= 0:
        reader.error(fields["fine"], join(path, "fine"), f"a cap must be above 0; got {fine}")
        return None
    return Cap("month", fine) if fine is not None and per is not None else None


def _read_penalty(reader: Reader, item: Node, path: str,
                  known: dict[str, Collection[str]]) -> PenaltyRule | None:
    """One penalty rule (``None`` after recording its issues)."""
    fields = reader.fields(item, path, PENALTY_KEYS, required=("name", "on"))
    if fields is None:
        return None
    start = len(reader.issues)

    def get(key: str, read: Callable[..., Any], *args: object) -> Any:
        """``read(reader, node, path, *args)`` for the key, or None when it is absent."""
        return read(reader, fields[key], join(path, key), *args) if key in fields else None

    name = get("name", Reader.parse, parse_name, "a penalty name")
    on = get("on", _choice, ("breach", "complaint", "recurrence", "authority_exceeded"))
    metric = get("metric", _choice, METRICS)
    if metric is not None and on in ("complaint", "recurrence", "authority_exceeded"):
        reader.error(fields["metric"], join(path, "metric"), "metric only applies with on: breach")
    match = get("match", read_match, PENALTY_MATCH_FIELDS, known) or {}
    fine = get("fine", Reader.parse, parse_money, "an amount like 500")
    points = get("points", Reader.parse, parse_points, "a number of points")
    if "fine" not in fields and "points" not in fields:
        reader.error(item, path, "a penalty needs a fine, points or both")
    charge = get("charge", _choice, ("department", "assignee")) or "department"
    repeat = get("repeat", _read_repeat)
    cap = get("cap", _read_cap)
    recurrence = _recurrence_of(reader, fields, path, on, charge, known)
    if len(reader.issues) > start or name is None or on is None:
        return None
    return PenaltyRule(name=name, on=on, fine=fine or Decimal(0), points=points or 0,
                       metric=metric, match=match, charge=charge, repeat=repeat, cap=cap,
                       recurrence=recurrence)


def _recurrence_of(reader: Reader, fields: dict[str, Node], path: str, on: str | None,
                   charge: str, known: dict[str, Collection[str]]) -> str | None:
    """``recurrence: <rule>`` of an ``on: recurrence`` penalty; such a penalty is charged to
    the department (the complaint is a repeat of the department's, not of a person's)."""
    if on == "recurrence" and charge != "department":
        reader.error(fields["charge"], join(path, "charge"),
                     "on: recurrence penalties are charged to the department")
    if "recurrence" not in fields:
        return None
    node = fields["recurrence"]
    if on != "recurrence":
        reader.error(node, join(path, "recurrence"), "recurrence only applies with on: recurrence")
        return None
    return reader.reference(node, join(path, "recurrence"), known["recurrence"],
                            "recurrence rule")


def read_penalties(reader: Reader, node: Node | None, departments: Collection[str],
                   policies: Collection[str],
                   recurrences: Collection[str] = ()) -> list[PenaltyRule | None]:
    """Penalty rules in order (``None`` where a rule has issues); all matching rules apply."""
    if node is None:
        return []
    items = reader.items(node, "penalties")
    if items is None:
        return []
    known = {"department": departments, "policy": policies, "recurrence": recurrences}
    rules = [_read_penalty(reader, item, at("penalties", i), known) for i, item in enumerate(items)]
    _unique_names(reader, items, "penalties")
    return rules
