"""Glob matching of rule ``match`` blocks against event fields (first match wins)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import translate
from functools import lru_cache
from typing import TypeVar

__all__ = ["first_match", "matches"]

T = TypeVar("T")


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(translate(pattern))


def _patterns(value: str | Iterable[str]) -> Iterable[str]:
    return (value,) if isinstance(value, str) else value


def matches(match: Mapping[str, str | Iterable[str]], fields: Mapping[str, object]) -> bool:
    """True when every key's glob (or any of a list of globs) matches the field.

    A missing field never matches, so ``{region: "*"}`` means "has a region".
    Matching is case-sensitive.
    """
    for key, wanted in match.items():
        value = fields.get(key)
        if value is None:
            return False
        text = str(value)
        if not any(_compiled(p).match(text) for p in _patterns(wanted)):
            return False
    return True


def first_match(rules: Iterable[T], fields: Mapping[str, object]) -> T | None:
    """The first rule whose ``match`` matches ``fields`` (rules without match always do)."""
    for rule in rules:
        if matches(rule.match, fields):  # type: ignore[attr-defined]
            return rule
    return None
