"""Outbound events built without validation (``models._envelope``'s trusted builders) are
the events validation would give, and share nothing a caller can change."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from models import SlaClocksChanged
from models.outbound import OpenClock
from sla.config import load_config
from sla.engine import SlaEngine
from sla.testing import complaint, paused, resumed

CONFIG = load_config(Path("deploy/config/sla-police.yaml"))
at = datetime.fromisoformat


def _snapshots() -> list[SlaClocksChanged]:
    engine = SlaEngine(CONFIG)
    state = engine.new_ticket("T-1")
    for event in (complaint("T-1", at("2026-11-02T09:00:00+08:00")),
                  paused("T-1", at("2026-11-02T10:00:00+08:00")),
                  resumed("T-1", at("2026-11-03T10:00:00+08:00"))):
        engine.receive(state, event)
    out = engine.advance(state, at("2026-11-09T09:00:00+08:00"))
    return [e for e in out if e.type == "sla.clocks_changed"]


def test_trusted_snapshots_equal_validated_ones() -> None:
    """Every open clock names every field in declaration order (``trusted_complete``'s
    promise), and the snapshot re-validated from its JSON gives the same JSON."""
    snapshots = _snapshots()
    assert len(snapshots) == 3
    for snapshot in snapshots:
        assert snapshot.data.clocks
        for clock in snapshot.data.clocks:
            assert tuple(clock.__dict__) == tuple(OpenClock.model_fields)
        text = snapshot.to_json()
        assert SlaClocksChanged.model_validate_json(text).to_json() == text


def test_a_copy_with_changes_leaves_the_shared_fields_set_alone() -> None:
    first, second = _snapshots()[:2]
    changed = first.model_copy(update={"source": "elsewhere"})
    assert changed.source == "elsewhere" and second.source == "sla-police"
    assert second.model_fields_set == {"id", "source", "time", "subject", "data"}
