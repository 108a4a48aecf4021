"""The demo's live feed reads as the policy is written (issue 11: durations as written)."""

from __future__ import annotations

from models.examples import example
from sla_police.demo_live import _describe


def test_a_breach_line_shows_the_target_as_the_policy_writes_it() -> None:
    breach = example("sla.breached")  # a resolve target of 2d: 57,600 working seconds
    line = _describe(breach)
    assert line is not None and "target 2d" in line and "working min" not in line
