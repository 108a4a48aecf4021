"""Notification texts read the way the policy is written: a 2d target is "2d", not a
number of working minutes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from models import parse_event
from models.examples import example
from sla.config import load_config
from sla.notifications import notifications_for
from sla.replay import replay
from sla.testing import complaint

HERE = Path(__file__).parent


def _messages(policy: str, until: str) -> dict[tuple[str, str], str]:
    """(outcome type, metric) -> body of the first notification about it."""
    config = load_config(HERE / policy)
    result = replay([complaint("T-1", "2026-11-16T09:00:00+08:00")], config,
                    until=datetime.fromisoformat(until))
    about = {e.id: e for e in result.outputs}
    out: dict[tuple[str, str], str] = {}
    for note in result.outputs:
        if note.type == "notification.requested" and note.data.ref_type.startswith("sla."):
            ref = about[note.data.ref_id]
            out.setdefault((ref.type, ref.data.metric), note.data.body)
    return out


def test_a_2d_resolve_target_reads_2d_in_the_warning_and_the_breach() -> None:
    """charges.yaml: resolve 2d (Mon 09:00 -> Wed 09:00), warned at 50%, acknowledge 2h."""
    messages = _messages("charges.yaml", "2026-11-18T12:00:00+08:00")
    assert messages[("sla.breached", "resolve")] == (
        "Ticket T-1 missed its 2d resolve target (policy standard) at "
        "2026-11-18T09:00:00+08:00.")
    assert "of its 2d resolve target" in messages[("sla.warning", "resolve")]
    assert "missed its 2h acknowledge target" in messages[("sla.breached", "acknowledge")]
    assert not [body for body in messages.values() if "minutes" in body]


def test_a_16h_resolve_target_reads_16h() -> None:
    """stories.yaml: resolve 16h (Mon 09:00 -> Wed 10:00 in office hours)."""
    messages = _messages("stories.yaml", "2026-11-18T12:00:00+08:00")
    assert "missed its 16h resolve target" in messages[("sla.breached", "resolve")]


def test_an_outcome_without_its_written_target_still_reads_as_a_duration() -> None:
    """Outcomes published before targets were kept: the working time, written out."""
    raw = example("sla.breached")
    del raw["data"]["target"]
    raw["data"]["target_seconds"] = 5400
    [note] = notifications_for(parse_event(json.dumps(raw), accept="any"))
    assert "missed its 1h30m (working time) resolve target" in note.data.body


def test_only_the_notifying_types_are_worded() -> None:
    """Batches skip :func:`notifications_for` for types outside ``NOTIFYING``: it must have
    nothing to say about them."""
    from models.examples import EXAMPLES
    from models.parse import ALL_TYPES
    from sla.notifications import NOTIFYING

    config = load_config(Path("deploy/config/sla-police.yaml"))
    for kind in EXAMPLES:
        if kind not in NOTIFYING:
            event = ALL_TYPES[kind].model_validate_json(json.dumps(example(kind)))
            assert notifications_for(event, config) == [], kind
    assert {"sla.warning", "sla.breached", "penalty.assessed"} <= NOTIFYING
