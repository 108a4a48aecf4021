"""The ``recurrence`` section of the policy file: when a recurring (department, category)
opens a corrective action (:mod:`sla.recurrence` applies it).

```yaml
recurrence:
  - {name: repeat-incident, match: {category: "delivery.*"}, threshold: 5, within: 7d,
     due: 5d, review_after: 14d, worked_below: 0.5}
```

``within`` and ``review_after`` are calendar time; ``due`` is working time on the
department's calendar, like an SLA target.
"""

from __future__ import annotations

from collections.abc import Collection

from yaml.nodes import Node

from sla._config_rules import _unique_names, read_match
from sla._config_values import parse_duration, parse_name, parse_period
from sla._config_yaml import Reader, at, join
from sla.specs import RecurrenceRule

__all__ = ["RECURRENCE_KEYS", "RECURRENCE_MATCH_FIELDS", "read_recurrence"]

RECURRENCE_KEYS = ("name", "match", "threshold", "within", "due", "review_after",
                   "worked_below")
RECURRENCE_MATCH_FIELDS = ("department", "category")
_REQUIRED = ("name", "threshold", "within", "due", "review_after")


def parse_threshold(text: str) -> int:
    """How many complaints make a recurrence: a whole number, 2 or more."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number of complaints like 5; got {text!r}") from None
    if value < 2:
        raise ValueError(f"a recurrence needs at least 2 complaints; got {text!r}")
    return value


def parse_share(text: str) -> float:
    """A share of the rate before the fix: above 0, at most 1 (``0.5``)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a fraction like 0.5; got {text!r}") from None
    if not 0 < value <= 1:
        raise ValueError(f"expected a fraction above 0 and at most 1; got {text!r}")
    return value


def _read_rule(reader: Reader, item: Node, path: str,
               departments: Collection[str]) -> RecurrenceRule | None:
    """One rule (``None`` after recording its issues)."""
    fields = reader.fields(item, path, RECURRENCE_KEYS, required=_REQUIRED)
    if fields is None:
        return None
    start = len(reader.issues)
    readers = {
        "name": (parse_name, "a rule name"),
        "threshold": (parse_threshold, "a number of complaints like 5"),
        "within": (parse_period, "a calendar period like 7d"),
        "due": (parse_duration, "a duration like 5d (working time)"),
        "review_after": (parse_period, "a calendar period like 14d"),
        "worked_below": (parse_share, "a fraction like 0.5"),
    }
    values = {key: reader.parse(fields[key], join(path, key), parse, what)
              for key, (parse, what) in readers.items() if key in fields}
    match = {}
    if "match" in fields:
        match = read_match(reader, fields["match"], join(path, "match"),
                           RECURRENCE_MATCH_FIELDS, {"department": departments})
    if len(reader.issues) > start or None in values.values() or match is None:
        return None
    if any(key not in values for key in _REQUIRED):
        return None
    return RecurrenceRule(**values, match=match)


def read_recurrence(reader: Reader, node: Node | None,
                    departments: Collection[str]) -> list[RecurrenceRule | None]:
    """Recurrence rules in order (``None`` where a rule has issues); every matching rule
    watches a (department, category) on its own."""
    if node is None:
        return []
    items = reader.items(node, "recurrence")
    if items is None:
        return []
    rules = [_read_rule(reader, item, at("recurrence", i), departments)
             for i, item in enumerate(items)]
    _unique_names(reader, items, "recurrence")
    return rules
