"""The ``calls`` section of the policy file: the service floor for calls (issue 15;
:mod:`sla.calls` applies it; ``docs/config.md``, "Calls: service floor").

```yaml
calls:
  worthless: [nuisance, abusive, out_of_scope]      # calls that serve no customer need
  hangup:
    agent_may_end: [resolved, no_further_need, nuisance, abusive, final_answer_repeat,
                    out_of_scope]
    warning_first: [nuisance, abusive, final_answer_repeat]   # only after a warning
    agent_share: {min: 0.15, max: 0.35}             # target band of agent hang-ups
  qa: {sample_per_agent_week: 3, timezone: Asia/Shanghai}
  blocks: {periods: [day, week, month, permanent], review_every: 30d, evidence_within: 30d}
  auto_block:
    - {name: burst, dispositions: [nuisance, abusive], count: 3, within: 1h, period: day}
```

The controls that keep a normal customer from being barred by mistake are errors at the
line at fault: an automatic rule that blocks permanently, counts a disposition that is not
worthless, or fires on a single call; a warning for a disposition the agent may not end.
"""

from __future__ import annotations

from collections.abc import Collection

from yaml.nodes import Node

from models.calls import BLOCK_PERIODS, DISPOSITIONS
from sla._config_rules import _unique_names
from sla._config_values import parse_name, parse_period, parse_timezone
from sla._config_yaml import Reader, at, did_you_mean, join
from sla._specs_calls import AutoBlockRule, BlocksSpec, CallsSpec, QaSpec

__all__ = ["CALLS_KEYS", "read_calls"]

CALLS_KEYS = ("worthless", "hangup", "qa", "blocks", "auto_block")
_RULE_KEYS = ("name", "dispositions", "count", "within", "period")


def read_calls(reader: Reader, node: Node | None, timezone: str) -> CallsSpec | None:
    """The section (``None`` when absent or after recording its issues)."""
    if node is None:
        return None
    fields = reader.fields(node, "calls", CALLS_KEYS,
                           required=("worthless", "hangup", "qa", "blocks"))
    if fields is None:
        return None
    start = len(reader.issues)
    worthless = (_dispositions(reader, fields["worthless"], "calls.worthless")
                 if "worthless" in fields else None)
    hangup = _read_hangup(reader, fields["hangup"]) if "hangup" in fields else None
    qa = _read_qa(reader, fields["qa"], timezone) if "qa" in fields else None
    blocks = _read_blocks(reader, fields["blocks"]) if "blocks" in fields else None
    rules = _read_rules(reader, fields.get("auto_block"), worthless or frozenset(DISPOSITIONS),
                        blocks.periods if blocks else BLOCK_PERIODS)
    if (len(reader.issues) > start or worthless is None or hangup is None or qa is None
            or blocks is None or rules is None):
        return None
    may_end, warning_first, share = hangup
    return CallsSpec(agent_may_end=may_end, warning_first=warning_first, agent_share=share,
                     worthless=worthless, qa=qa, blocks=blocks, auto_block=rules)


def _dispositions(reader: Reader, node: Node, path: str) -> frozenset[str] | None:
    """A list of dispositions of the contract (an unknown one: did you mean)."""
    items = reader.items(node, path)
    if items is None:
        return None
    found: set[str] = set()
    for index, item in enumerate(items):
        word = reader.text(item, at(path, index), "a disposition")
        if word is not None and word not in DISPOSITIONS:
            reader.error(item, at(path, index), did_you_mean(word, DISPOSITIONS, "disposition"))
        elif word is not None:
            found.add(word)
    return frozenset(found) if len(found) == len(items) else None


def _read_hangup(reader: Reader, node: Node) -> tuple[frozenset[str], frozenset[str],
                                                      tuple[float, float]] | None:
    fields = reader.fields(node, "calls.hangup", ("agent_may_end", "warning_first", "agent_share"),
                           required=("agent_may_end", "agent_share"))
    if fields is None or "agent_may_end" not in fields or "agent_share" not in fields:
        return None
    may_end = _dispositions(reader, fields["agent_may_end"], "calls.hangup.agent_may_end")
    warning: frozenset[str] | None = frozenset()
    if "warning_first" in fields:
        warning = _dispositions(reader, fields["warning_first"], "calls.hangup.warning_first")
    if may_end is not None and warning:
        for index, item in enumerate(fields["warning_first"].value):
            if item.value not in may_end:
                reader.error(item, at("calls.hangup.warning_first", index),
                             f"{item.value!r} is not in agent_may_end: a warning lets the "
                             "agent end only a call the norms let them end")
                warning = None
    share = _read_band(reader, fields["agent_share"], "calls.hangup.agent_share")
    return None if may_end is None or warning is None or share is None else (
        may_end, warning, share)


def _share(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a share like 0.25; got {text!r}") from None
    if not 0 <= value <= 1:
        raise ValueError(f"expected a share from 0 to 1; got {text!r}")
    return value


def _read_band(reader: Reader, node: Node, path: str) -> tuple[float, float] | None:
    """``{min: 0.15, max: 0.35}``: min below max, both shares from 0 to 1."""
    fields = reader.fields(node, path, ("min", "max"), required=("min", "max"))
    if fields is None or len(fields) < 2:
        return None
    low = reader.parse(fields["min"], join(path, "min"), _share, "a share like 0.15")
    high = reader.parse(fields["max"], join(path, "max"), _share, "a share like 0.35")
    if low is None or high is None:
        return None
    if low >= high:
        reader.error(fields["max"], join(path, "max"),
                     f"the band must end above its start: min {low} is not below max {high}")
        return None
    return low, high


def _count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"expected a whole number like 3; got {text!r}") from None
    if value < 0:
        raise ValueError(f"expected 0 or more; got {text!r}")
    return value


def _read_qa(reader: Reader, node: Node, timezone: str) -> QaSpec | None:
    fields = reader.fields(node, "calls.qa", ("sample_per_agent_week", "timezone"),
                           required=("sample_per_agent_week",))
    if fields is None or "sample_per_agent_week" not in fields:
        return None
    size = reader.parse(fields["sample_per_agent_week"], "calls.qa.sample_per_agent_week",
                        _count, "a number of calls like 3")
    zone = timezone
    if "timezone" in fields:
        zone = reader.parse(fields["timezone"], "calls.qa.timezone", parse_timezone,
                            "a time zone like Asia/Shanghai")
    return None if size is None or zone is None else QaSpec(size, zone)


def _periods(reader: Reader, node: Node, path: str) -> tuple[str, ...] | None:
    items = reader.items(node, path)
    if items is None:
        return None
    if not items:
        reader.error(node, path, "expected at least one period")
        return None
    found: list[str] = []
    for index, item in enumerate(items):
        word = reader.text(item, at(path, index), "a period")
        if word is not None and word not in BLOCK_PERIODS:
            reader.error(item, at(path, index), did_you_mean(word, BLOCK_PERIODS, "period"))
        elif word is not None and word not in found:
            found.append(word)
    return tuple(p for p in BLOCK_PERIODS if p in found) if len(found) == len(items) else None


def _read_blocks(reader: Reader, node: Node) -> BlocksSpec | None:
    keys = ("periods", "review_every", "evidence_within")
    fields = reader.fields(node, "calls.blocks", keys, required=("periods", "review_every"))
    if fields is None or "periods" not in fields or "review_every" not in fields:
        return None
    periods = _periods(reader, fields["periods"], "calls.blocks.periods")
    review = reader.parse(fields["review_every"], "calls.blocks.review_every", parse_period,
                          "a duration like 30d")
    evidence = None
    if "evidence_within" in fields:
        evidence = reader.parse(fields["evidence_within"], "calls.blocks.evidence_within",
                                parse_period, "a duration like 30d")
        if evidence is None:
            return None
    if periods is None or review is None:
        return None
    spec = BlocksSpec(periods, review)
    return spec if evidence is None else BlocksSpec(periods, review, evidence)


def _read_rules(reader: Reader, node: Node | None, worthless: frozenset[str],
                periods: Collection[str]) -> tuple[AutoBlockRule, ...] | None:
    if node is None:
        return ()
    items = reader.items(node, "calls.auto_block")
    if items is None:
        return None
    rules = [_read_rule(reader, item, at("calls.auto_block", i), worthless, periods)
             for i, item in enumerate(items)]
    _unique_names(reader, items, "calls.auto_block")
    return None if None in rules else tuple(rules)  # type: ignore[arg-type]


def _read_rule(reader: Reader, item: Node, path: str, worthless: frozenset[str],
               periods: Collection[str]) -> AutoBlockRule | None:
    """``{name, dispositions, count, within, period}`` with the controls checked."""
    fields = reader.fields(item, path, _RULE_KEYS, required=_RULE_KEYS)
    if fields is None or len(fields) < len(_RULE_KEYS):
        return None
    start = len(reader.issues)
    name = reader.parse(fields["name"], join(path, "name"), parse_name, "a rule name")
    kinds = _dispositions(reader, fields["dispositions"], join(path, "dispositions"))
    for index, kind_node in enumerate(fields["dispositions"].value if kinds else ()):
        if kind_node.value not in worthless:
            reader.error(kind_node, at(join(path, "dispositions"), index),
                         f"{kind_node.value!r} is not worthless (calls.worthless): an "
                         "automatic rule counts only worthless calls")
    count = reader.parse(fields["count"], join(path, "count"), _count, "a number like 3")
    if count is not None and count < 2:
        reader.error(fields["count"], join(path, "count"), f"expected 2 or more; got {count}: "
                     "one call is never a burst, a person decides on a single call")
    within = reader.parse(fields["within"], join(path, "within"), parse_period,
                          "a duration like 1h")
    period = _rule_period(reader, fields["period"], join(path, "period"), periods)
    if len(reader.issues) > start or None in (name, kinds, count, within, period):
        return None
    return AutoBlockRule(name, kinds, count, within, period)  # type: ignore[arg-type]


def _rule_period(reader: Reader, node: Node, path: str, periods: Collection[str]) -> str | None:
    """The longest block a rule may impose: day, week or month, and one the policy allows."""
    word = reader.text(node, path, "a period (day, week or month)")
    if word == "permanent":
        reader.error(node, path, "an automatic rule never blocks permanently: a permanent "
                     "block needs a request and a second person's approval")
        return None
    if word is not None and word not in periods:
        allowed = [p for p in periods if p != "permanent"]
        reader.error(node, path, did_you_mean(word, allowed, "period",
                                              "one of calls.blocks.periods: "
                                              + ", ".join(allowed)))
        return None
    return word
