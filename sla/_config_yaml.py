"""Reading a YAML node tree while remembering where every value came from.

The policy file is composed (not constructed) with PyYAML, so each node keeps its
line and column. :class:`Reader` walks that tree, collects every problem as a
:class:`ConfigIssue` instead of stopping at the first one, and reads scalars as the
raw text the user wrote (so ``on:`` stays a key, ``NO`` stays a region and
``09:00`` stays a time of day, whatever YAML 1.1 would have made of them).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "ConfigIssue",
    "Reader",
    "at",
    "did_you_mean",
    "join",
]

T = TypeVar("T")
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in the policy file: where it is (key path, 1-based line and column;
    0 when unknown) and what was expected."""

    path: str
    line: int
    column: int
    message: str

    def format(self, source: str) -> str:
        """``source:line:col: path: message``, leaving out the parts that are unknown."""
        where = f"{source}:{self.line}:{self.column}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def join(path: str, key: str) -> str:
    """The key path of ``key`` inside ``path`` (``slas[1]`` + ``resolve``)."""
    return f"{path}.{key}" if path else key


def at(path: str, index: int) -> str:
    """The key path of item ``index`` of the list at ``path``."""
    return f"{path}[{index}]"


def did_you_mean(
    word: str, choices: Collection[str], what: str, expected: str | None = None
) -> str:
    """``unknown <what> 'x'`` plus the closest choice; when none is close, ``expected``
    or else the full list of choices."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if close:
        return f"unknown {what} {word!r}; did you mean {close[0]!r}?"
    if expected is None:
        expected = "one of: " + (", ".join(sorted(choices)) or "(none defined)")
    return f"unknown {what} {word!r}; expected {expected}"


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL_TAG and node.value in ("", "~", "null", "Null", "NULL"):
        return "nothing (null)"
    return repr(node.value)


class Reader:
    """Walks a composed YAML tree, turning bad values into :class:`ConfigIssue`s.

    Every ``read``-style method returns ``None`` after recording an issue, so callers
    carry on and the whole file is checked in one pass.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[ConfigIssue] = []
        self._merger = yaml.constructor.SafeConstructor()

    def compose(self, text: str) -> Node | None:
        """The root node of ``text``; YAML syntax errors become issues with their line."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "bad YAML"
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            self.issues.append(ConfigIssue("", line, column, f"YAML syntax error: {problem}"))
            return None
        except yaml.YAMLError as exc:
            self.issues.append(ConfigIssue("", 0, 0, f"YAML syntax error: {exc}"))
            return None
        if root is None:
            self.issues.append(ConfigIssue("", 1, 1, "the file is empty; expected a mapping"))
        return root

    def error(self, node: Node, path: str, message: str) -> None:
        """Record an issue located at ``node``."""
        mark = node.start_mark
        self.issues.append(ConfigIssue(path, mark.line + 1, mark.column + 1, message))

    def entries(self, node: Node, path: str) -> list[tuple[Node, Node]] | None:
        """The (key node, value node) pairs of a mapping; duplicate keys are issues.

        YAML merge keys (``<<: *anchor``) are expanded, explicit keys winning.
        """
        if not isinstance(node, MappingNode):
            self.error(node, path, f"expected a mapping; got {_describe(node)}")
            return None
        seen: dict[str, Node] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            if key.value in seen:
                first = seen[key.value].start_mark.line + 1
                self.error(key, join(path, key.value), f"duplicate key (first at line {first})")
            seen[key.value] = key
        try:
            self._merger.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            self.error(node, path, f"bad merge key: {exc.problem}")
            return None
        pairs: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                self.error(key, path, f"expected a plain key; got {_describe(key)}")
                continue
            pairs[key.value] = (key, value)
        return list(pairs.values())

    def fields(
        self,
        node: Node,
        path: str,
        allowed: Collection[str],
        required: Collection[str] = (),
    ) -> dict[str, Node] | None:
        """A mapping with a fixed set of keys: unknown keys (with a suggestion) and
        missing required keys are issues. Returns key -> value node."""
        pairs = self.entries(node, path)
        if pairs is None:
            return None
        result: dict[str, Node] = {}
        for key, value in pairs:
            if key.value in allowed:
                result[key.value] = value
            else:
                self.error(key, join(path, key.value), did_you_mean(key.value, allowed, "key"))
        for name in required:
            if name not in result:
                self.error(node, join(path, name), "required key is missing")
        return result

    def items(self, node: Node, path: str) -> list[Node] | None:
        """The item nodes of a list."""
        if not isinstance(node, SequenceNode):
            self.error(node, path, f"expected a list; got {_describe(node)}")
            return None
        return list(node.value)

    def text(self, node: Node, path: str, what: str = "a string") -> str | None:
        """The raw text of a scalar (null and empty strings are issues)."""
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG or node.value == "":
            self.error(node, path, f"expected {what}; got {_describe(node)}")
            return None
        return node.value

    def parse(self, node: Node, path: str, parser: Callable[[str], T], what: str) -> T | None:
        """``parser`` applied to a scalar's text; its ``ValueError`` message is the issue."""
        raw = self.text(node, path, what)
        if raw is None:
            return None
        try:
            return parser(raw)
        except ValueError as exc:
            self.error(node, path, str(exc))
            return None

    def reference(
        self, node: Node, path: str, known: Collection[str], what: str
    ) -> str | None:
        """The name of something defined elsewhere in the file (a calendar, a department)."""
        name = self.text(node, path, f"a {what} name")
        if name is None:
            return None
        if name not in known:
            self.error(node, path, did_you_mean(name, known, what))
            return None
        return name
