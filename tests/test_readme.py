"""README's contract examples are real: each parses as the type it documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

from models import ALL_TYPES, CloudEvent, parse_event

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_has_a_valid_example_of_every_event_type() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S)
    seen = set()
    for block in blocks:
        event = parse_event(block, accept="any")
        assert isinstance(event, CloudEvent), (block[:80], event)
        assert event.type == json.loads(block)["type"]
        seen.add(event.type)
    assert seen == set(ALL_TYPES)


def test_readme_quick_start_is_exactly_make_run_and_make_test() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("```", 2)[1]
    assert quick.split() == ["make", "run", "make", "test"]
