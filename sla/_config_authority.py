"""The ``authority`` section of the policy file: agents' authority to grant concessions
(:mod:`sla.authority` applies it; ``docs/config.md``, "Agent authority").

```yaml
authority:
  levels:                      # one approval chain, bottom to top
    - {name: agent, reports_to: team_lead}
    - {name: team_lead, reports_to: supervisor}
    - {name: supervisor, reports_to: manager}
    - {name: manager}
  limits:                      # first rule naming the level wins; the last is the default
    - {reason: "delivery.*", agent: 100, team_lead: 250}
    - {agent: 50, team_lead: 200, supervisor: 1000, manager: 5000}
  audit: {threshold: 250, sample_rate: 0.05}
  pilots:
    - {name: east-week, team: pilot_east, from: 2026-11-02, until: 2026-11-09,
       limits: [{agent: 300}]}
  roster: roster.yaml          # or a list of {agent, level, team}
  department: contact_center   # whose penalty book takes on: authority_exceeded rules
  calendar: office             # approval waits count working time on it
```

A single chain is the control: a second chain (two levels reporting to no one, or two
reporting to the same level), a level with two parents, or a cycle is an error naming the
risk, at the line at fault.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path

from yaml.nodes import Node, ScalarNode, SequenceNode

from sla._config_rules import _unique_names, declared_names
from sla._config_values import parse_date, parse_fraction, parse_money, parse_name
from sla._config_yaml import Reader, at, join
from sla.specs import AgentSpec, AuditSpec, AuthoritySpec, FlagSpec, LimitRule, PilotSpec

__all__ = ["AUTHORITY_KEYS", "read_authority", "read_limits", "read_pilots"]

AUTHORITY_KEYS = ("levels", "limits", "audit", "pilots", "roster", "flags", "department",
                  "calendar")
_WORD = re.compile(r"[a-z][a-z0-9_]*")
_PILOT_KEYS = ("name", "team", "agents", "from", "until", "limits")


def read_authority(reader: Reader, node: Node | None, timezone: str, currency: str,
                   departments: Mapping[str, str | None] | None = None,
                   calendars: Collection[str] = ()) -> AuthoritySpec | None:
    """The section (``None`` when absent or after recording its issues). ``departments``
    maps each department to its calendar; ``calendars`` are the calendars declared."""
    if node is None:
        return None
    fields = reader.fields(node, "authority", AUTHORITY_KEYS,
                           required=("levels", "limits", "audit"))
    if fields is None or "levels" not in fields:
        return None
    start = len(reader.issues)
    levels = _read_levels(reader, fields["levels"])
    # the names declared, so a broken chain is not reported again as unknown levels below
    known = levels or tuple(sorted(declared_names(fields["levels"])))
    limits = _read_limits(reader, fields.get("limits"), "authority.limits", known,
                          default=levels or ())
    audit = _read_audit(reader, fields["audit"]) if "audit" in fields else None
    pilots = _read_pilots(reader, fields.get("pilots"), known)
    roster = _read_roster(reader, fields.get("roster"), known)
    flags = _read_flags(reader, fields["flags"]) if "flags" in fields else FlagSpec()
    department, calendar = _read_home(reader, fields, departments or {}, calendars)
    if len(reader.issues) > start or None in (levels, limits, audit, pilots, roster, flags):
        return None
    return AuthoritySpec(levels=levels, limits=limits, audit=audit, pilots=pilots,
                         roster=roster, flags=flags, timezone=timezone, currency=currency,
                         department=department, calendar=calendar)


def _read_home(reader: Reader, fields: dict[str, Node], departments: Mapping[str, str | None],
               calendars: Collection[str]) -> tuple[str | None, str | None]:
    """(department, calendar): the department whose book takes ``on: authority_exceeded``
    penalties, and the calendar approval waits are counted on: the one named, else the
    department's, else the first calendar declared."""
    department = calendar = None
    if "department" in fields:
        department = reader.reference(fields["department"], "authority.department",
                                      departments, "department")
    if "calendar" in fields:
        calendar = reader.reference(fields["calendar"], "authority.calendar", calendars,
                                    "calendar")
    elif department is not None:
        calendar = departments.get(department)
    if calendar is None and "calendar" not in fields:
        calendar = next(iter(calendars), None)
    return department, calendar


# -- the chain --------------------------------------------------------------------------


def parse_word(text: str) -> str:
    """A level or team name: lowercase letters, digits and ``_`` (like ``team_lead``)."""
    if not _WORD.fullmatch(text):
        raise ValueError(f"expected a name like team_lead (lowercase, digits, '_'); got {text!r}")
    return text


def _read_levels(reader: Reader, node: Node) -> tuple[str, ...] | None:
    """Level names bottom to top, or ``None`` when the levels do not make one chain."""
    items = reader.items(node, "authority.levels")
    if items is None:
        return None
    if not items:
        reader.error(node, "authority.levels", "expected at least one level")
        return None
    parents: dict[str, str | None] = {}
    nodes: dict[str, Node] = {}
    for index, item in enumerate(items):
        entry = _read_level(reader, item, at("authority.levels", index))
        if entry is not None and entry[0] not in parents:
            parents[entry[0]], nodes[entry[0]] = entry[1], item
    _unique_names(reader, items, "authority.levels")
    start = len(reader.issues)
    for index, item in enumerate(items):
        name = next((n for n, i in nodes.items() if i is item), None)
        parent = parents.get(name) if name else None
        if parent is not None and parent not in parents:
            reader.error(item, join(at("authority.levels", index), "reports_to"),
                         f"unknown level {parent!r}; every level it reports to must be listed")
    if len(reader.issues) > start or len(parents) < len(items):
        return None
    return _chain(reader, parents, nodes)


def _read_level(reader: Reader, item: Node, path: str) -> tuple[str, str | None] | None:
    """(name, the level it reports to); a list of two parents is an error."""
    fields = reader.fields(item, path, ("name", "reports_to"), required=("name",))
    if fields is None or "name" not in fields:
        return None
    name = reader.parse(fields["name"], join(path, "name"), parse_word, "a level name")
    parent_node = fields.get("reports_to")
    if isinstance(parent_node, SequenceNode):
        names = ", ".join(repr(getattr(n, "value", "?")) for n in parent_node.value)
        reader.error(parent_node, join(path, "reports_to"),
                     f"two parents: {name!r} reports to {names}; authority must run up one "
                     "chain (a level reports to exactly one level)")
        return None
    parent = None
    if parent_node is not None:
        parent = reader.parse(parent_node, join(path, "reports_to"), parse_word, "a level name")
        if parent is None:
            return None
    return None if name is None else (name, parent)


def _chain(reader: Reader, parents: dict[str, str | None],
           nodes: dict[str, Node]) -> tuple[str, ...] | None:
    """One chain bottom to top: one top, one level below each, no cycle."""
    tops = [name for name, parent in parents.items() if parent is None]
    for name in tops[1:]:
        reader.error(nodes[name], "authority.levels", f"two approval chains: {tops[0]!r} and "
                     f"{name!r} both report to no one; give one of them reports_to the other")
    children: dict[str, str] = {}
    for name, parent in parents.items():
        if parent is not None and parent in children:
            reader.error(nodes[name], "authority.levels", f"two approval chains: "
                         f"{children[parent]!r} and {name!r} both report to {parent!r}; "
                         "crossing chains make approvals unclear")
        elif parent is not None:
            children[parent] = name
    if len(tops) > 1 or len(children) < len(parents) - len(tops):
        return None
    cycle = _cycle(parents)
    if cycle:
        reader.error(nodes[cycle[0]], "authority.levels",
                     "cycle: " + " -> ".join(repr(n) for n in cycle) +
                     "; a chain of approval needs a top level that reports to no one")
        return None
    bottom = next(name for name in parents if name not in children)
    order = [bottom]
    while parents[order[-1]] is not None:
        order.append(parents[order[-1]])
    return tuple(order)


def _cycle(parents: dict[str, str | None]) -> list[str]:
    """The first cycle of ``reports_to`` found, closed (``[a, b, a]``), or ``[]``."""
    for start in parents:
        seen: list[str] = []
        name: str | None = start
        while name is not None and name not in seen:
            seen.append(name)
            name = parents.get(name)
        if name is not None:
            loop = seen[seen.index(name):]
            return [*loop, name]
    return []


# -- limits, audit, flags ---------------------------------------------------------------


def _read_limits(reader: Reader, node: Node | None, path: str, levels: Collection[str],
                 default: Collection[str] | None) -> tuple[LimitRule, ...] | None:
    """Limit rules in order; with ``default`` (the levels of a valid chain) the last one
    must match every reason and name every one of them (what applies when no other rule
    names the agent's level); ``None``: no default needed (a pilot's limits)."""
    if node is None:
        return None if default is not None else ()
    items = reader.items(node, path)
    if items is None:
        return None
    rules = [_read_limit(reader, item, at(path, i), levels) for i, item in enumerate(items)]
    if None in rules:
        return None
    if default:
        last = rules[-1] if rules else None
        missing = [lv for lv in default if last is None or lv not in last.limits]
        if last is None or last.reasons or missing:
            where = items[-1] if items else node
            reader.error(where, at(path, len(items) - 1) if items else path,
                         "the last limit rule is the default: give it no reason and a limit "
                         "for every level" + (f" (missing: {', '.join(missing)})"
                                              if missing else ""))
            return None
    return tuple(rules)  # type: ignore[arg-type]


def _read_limit(reader: Reader, item: Node, path: str,
                levels: Collection[str]) -> LimitRule | None:
    """``{reason: glob | [globs], <level>: amount, ...}``."""
    start = len(reader.issues)
    fields = reader.fields(item, path, ("reason", *levels))
    if fields is None:
        return None
    reasons: tuple[str, ...] = ()
    if "reason" in fields:
        reasons = _globs(reader, fields["reason"], join(path, "reason"))
    limits = {level: reader.parse(value, join(path, level), parse_money, "an amount like 250")
              for level, value in fields.items() if level != "reason"}
    if not limits and len(reader.issues) == start:
        reader.error(item, path, "expected a limit for at least one level")
    if len(reader.issues) > start:
        return None
    return LimitRule(reasons=reasons, limits=limits)  # type: ignore[arg-type]


def _globs(reader: Reader, node: Node, path: str) -> tuple[str, ...]:
    """One contact-reason glob or a list of them (any of)."""
    if isinstance(node, ScalarNode):
        text = reader.text(node, path, "a glob like 'delivery.*'")
        return (text,) if text else ()
    items = reader.items(node, path) or []
    if not items:
        reader.error(node, path, "expected at least one glob pattern")
    found = [reader.text(item, at(path, i), "a glob like 'delivery.*'")
             for i, item in enumerate(items)]
    return tuple(g for g in found if g)


def _read_audit(reader: Reader, node: Node) -> AuditSpec | None:
    fields = reader.fields(node, "authority.audit", ("threshold", "sample_rate"),
                           required=("threshold",))
    if fields is None or "threshold" not in fields:
        return None
    threshold = reader.parse(fields["threshold"], "authority.audit.threshold", parse_money,
                             "an amount like 250")
    rate = 0.0
    if "sample_rate" in fields:
        rate = reader.parse(fields["sample_rate"], "authority.audit.sample_rate", _rate,
                            "a share like 0.05")
    return None if threshold is None or rate is None else AuditSpec(threshold, rate)


def _rate(text: str) -> float:
    """A share from 0 to 1 inclusive (``0.05``)."""
    if text.strip() in ("0", "1"):
        return float(text)
    return parse_fraction(text)


def _read_flags(reader: Reader, node: Node) -> FlagSpec | None:
    keys = ("min_contacts", "min_peers", "min_score", "min_ratio", "min_grants")
    fields = reader.fields(node, "authority.flags", keys)
    if fields is None:
        return None
    values = {key: reader.parse(value, join("authority.flags", key),
                                float if key in ("min_score", "min_ratio") else _count,
                                "a number")
              for key, value in fields.items()}
    return None if None in values.values() else FlagSpec(**values)  # type: ignore[arg-type]


def _count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number like 20; got {text!r}") from None
    if value < 1:
        raise ValueError(f"expected 1 or more; got {text!r}")
    return value


# -- pilots and roster ------------------------------------------------------------------


def _read_pilots(reader: Reader, node: Node | None, levels: Collection[str],
                 path: str = "authority.pilots") -> tuple[PilotSpec, ...] | None:
    if node is None:
        return ()
    items = reader.items(node, path)
    if items is None:
        return None
    pilots = [_read_pilot(reader, item, at(path, i), levels)
              for i, item in enumerate(items)]
    _unique_names(reader, items, path)
    return None if None in pilots else tuple(pilots)  # type: ignore[arg-type]


def _read_pilot(reader: Reader, item: Node, path: str,
                levels: Collection[str]) -> PilotSpec | None:
    """``{name, team | agents, from, until, limits}``: ``until`` is the first day after."""
    fields = reader.fields(item, path, _PILOT_KEYS, required=("name", "from", "until", "limits"))
    if fields is None:
        return None
    start = len(reader.issues)
    if ("team" in fields) == ("agents" in fields):
        reader.error(item, path, "give exactly one of team and agents")
    name = reader.parse(fields["name"], join(path, "name"), parse_name, "a pilot name") \
        if "name" in fields else None
    team = reader.parse(fields["team"], join(path, "team"), parse_word, "a team") \
        if "team" in fields else None
    agents = _agents(reader, fields.get("agents"), join(path, "agents"))
    begin, end = (reader.parse(fields[key], join(path, key), parse_date, "a date like 2026-11-02")
                  if key in fields else None for key in ("from", "until"))
    if begin is not None and end is not None and end <= begin:
        reader.error(fields["until"], join(path, "until"), f"the pilot ends ({end}) before it "
                     f"starts ({begin}); until is the first day after the pilot")
    limits = _read_limits(reader, fields.get("limits"), join(path, "limits"), levels, None)
    if len(reader.issues) > start or name is None or begin is None or end is None:
        return None
    return PilotSpec(name=name, team=team, agents=agents, start=begin, end=end,
                     limits=limits or ())


def _agents(reader: Reader, node: Node | None, path: str) -> frozenset[str]:
    if node is None:
        return frozenset()
    items = reader.items(node, path) or []
    return frozenset(a for i, item in enumerate(items) if (a := reader.text(item, at(path, i))))


def _read_roster(reader: Reader, node: Node | None,
                 levels: Collection[str]) -> dict[str, AgentSpec] | None:
    """Inline ``[{agent, level, team}, ...]`` or a path to a YAML file holding that list
    (relative to the policy file); a roster file's issues carry its own file and line."""
    if node is None:
        return {}
    if not isinstance(node, ScalarNode):
        return _roster_entries(reader, node, "authority.roster", levels)
    path_text = reader.text(node, "authority.roster", "a roster file or a list of agents")
    if path_text is None:
        return None
    path = Path(reader.source).parent / path_text
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reader.error(node, "authority.roster", f"cannot read roster file {str(path)!r}: {exc}")
        return None
    inner = Reader(str(path))
    root = inner.compose(text)
    roster = _roster_entries(inner, root, "", levels) if root is not None else None
    for issue in inner.issues:
        reader.error(node, "authority.roster", issue.format(str(path)))
    return None if inner.issues else roster


def _roster_entries(reader: Reader, node: Node, path: str,
                    levels: Collection[str]) -> dict[str, AgentSpec] | None:
    items = reader.items(node, path or "roster")
    if items is None:
        return None
    roster: dict[str, AgentSpec] = {}
    for index, item in enumerate(items):
        where = at(path, index)
        fields = reader.fields(item, where, ("agent", "level", "team"),
                               required=("agent", "level", "team"))
        if fields is None or len(fields) < 3:
            continue
        agent = reader.text(fields["agent"], join(where, "agent"), "an employee id")
        level = reader.reference(fields["level"], join(where, "level"), levels, "level")
        team = reader.parse(fields["team"], join(where, "team"), parse_word, "a team")
        if agent in roster:
            reader.error(item, join(where, "agent"), f"agent {agent!r} is listed twice")
        elif agent and level and team:
            roster[agent] = AgentSpec(agent, level, team)
    return roster


#: For files holding limits or pilots outside a policy (``sla-police whatif-authority``).
read_limits = _read_limits
read_pilots = _read_pilots
