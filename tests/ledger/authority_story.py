"""A small November of the contact center's own agents, for the authority report's tests.

Policy: tests/sla/authority.yaml (delivery: an agent gives 100 alone, a team lead 300;
elsewhere 50 and 200, a supervisor 1000; audited from 500; the ``pilot`` team gives 300
alone from 2 to 8 November) with flags judged from 4 contacts and 4 peers.

- ann (east) takes five delivery complaints and gives a credit on every one of them, and
  one more of 500 that lee (a team lead, 300) approved: beyond authority, audited, found
  non-compliant. The flag rule finds her far more generous than her peers.
- a1 to a4 (not on the roster: agents) take five delivery complaints each and give on one;
  a1 asks lee first for 250 (approved 90 working minutes later), a2 asks sue for 180
  (declined after a working day); one of a1's complaints repeats an earlier one.
- pia (the pilot team) takes five delivery complaints in the pilot's week and gives 250 on
  two of them alone (two approvals avoided), and after the pilot asks lee for 150.
- a3 takes a billing complaint and gives 600 with sue's approval: audited, compliant.
- Scores: a few CSAT responses; a complaint at 00:30 on 1 December (local) is December's;
  a grant in October is October's.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from models import CloudEvent, derived_id
from sla.config import load_config
from sla.replay import replay
from sla.specs import SlaConfig
from sla.testing import audited, complaint, csat, decided, granted, requested

__all__ = ["CONFIG", "POLICY_TEXT", "story_events", "story_outputs", "write_policy"]

_BASE = Path(__file__).resolve().parents[1] / "sla" / "authority.yaml"
POLICY_TEXT = (_BASE.read_text(encoding="utf-8")
               + "  flags: {min_contacts: 4, min_peers: 4, min_score: 3.5}\n")


def write_policy(directory: Path) -> Path:
    """The story's policy as a file in ``directory``."""
    path = directory / "authority.yaml"
    path.write_text(POLICY_TEXT, encoding="utf-8")
    return path


def _day(day: int, hour: str) -> str:
    return f"2026-11-{day:02d}T{hour}:00+08:00"


def _contacts(agent: str, days: list[int], **extra: str) -> list[CloudEvent]:
    return [complaint(f"T-{agent}-{n}", _day(day, "10:00"), agent=agent,
                      event_id=f"c-{agent}-{n}", **extra)
            for n, day in enumerate(days, 1)]


def story_events() -> list[CloudEvent]:
    """The inbound events of the story."""
    events = []
    events += _contacts("ann", [3, 4, 5, 6, 9])
    events += [granted(f"T-ann-{n}", _day(d, "11:00"), "ann", "80", event_id=f"g-ann-{n}")
               for n, d in enumerate([3, 4, 5, 6, 9], 1)]
    events += [granted("T-ann-5", _day(9, "15:00"), "ann", "500", approved_by="lee",
                       event_id="g-ann-big")]
    for agent in ("a1", "a2", "a3", "a4"):
        events += _contacts(agent, [10, 11, 12, 13] if agent == "a1" else [10, 11, 12, 13, 16])
        events.append(granted(f"T-{agent}-1", _day(10, "11:00"), agent, "50",
                              event_id=f"g-{agent}-1"))
    events.append(complaint("T-a1-5", _day(16, "10:00"), agent="a1", repeat_of="T-a1-1",
                            event_id="c-a1-5"))  # a1's fifth: a repeat of the first
    events += [
        requested("T-a1-2", _day(11, "11:00"), "a1", "250", event_id="r-a1"),
        decided("T-a1-2", _day(11, "14:00"), "r-a1", "lee", "team_lead", event_id="d-a1"),
        granted("T-a1-2", _day(11, "14:05"), "a1", "250", approved_by="lee", request_id="r-a1",
                event_id="g-a1-2"),
        requested("T-a2-2", _day(11, "11:00"), "a2", "180", event_id="r-a2"),
        decided("T-a2-2", _day(12, "11:00"), "r-a2", "sue", "supervisor", "declined",
                event_id="d-a2")]
    events += _contacts("pia", [2, 3, 4, 5, 6])
    events += [granted(f"T-pia-{n}", _day(d, "11:00"), "pia", "250", event_id=f"g-pia-{n}")
               for n, d in ((1, 2), (2, 3))]
    events += [complaint("T-pia-6", _day(10, "10:00"), agent="pia", event_id="c-pia-6"),
               requested("T-pia-6", _day(10, "10:30"), "pia", "150", event_id="r-pia"),
               decided("T-pia-6", _day(10, "11:00"), "r-pia", "lee", "team_lead",
                       event_id="d-pia"),
               granted("T-pia-6", _day(10, "11:05"), "pia", "150", approved_by="lee",
                       request_id="r-pia", event_id="g-pia-6")]
    events += [complaint("T-bill", _day(17, "10:00"), agent="a3", category="billing.overcharge",
                         event_id="c-bill"),
               granted("T-bill", _day(17, "11:00"), "a3", "600", approved_by="sue",
                       event_id="g-bill")]
    events += [audited("T-ann-5", _day(20, "10:00"), derived_id("g-ann-big",
                       "audit.item_opened"), "non_compliant", event_id="v-ann"),
               audited("T-bill", _day(20, "11:00"), derived_id("g-bill", "audit.item_opened"),
                       event_id="v-bill")]
    events += [csat("T-ann-1", _day(5, "09:00"), 5, event_id="s-1"),
               csat("T-a1-1", _day(12, "09:00"), 3, event_id="s-2"),
               csat("T-pia-1", _day(4, "09:00"), 4, event_id="s-3"),
               csat("T-bill", _day(18, "09:00"), 2, event_id="s-4")]
    events += [complaint("T-dec", "2026-12-01T00:30:00+08:00", agent="ann", event_id="c-dec"),
               complaint("T-oct", "2026-10-30T10:00:00+08:00", agent="ann", event_id="c-oct"),
               granted("T-oct", "2026-10-30T11:00:00+08:00", "ann", "90", event_id="g-oct")]
    return events


def _config() -> SlaConfig:
    with tempfile.TemporaryDirectory() as tmp:
        return load_config(write_policy(Path(tmp)))


CONFIG = _config()


def story_outputs() -> list[CloudEvent]:
    """What replay makes of the story (every output, in time order)."""
    return replay(story_events(), CONFIG,
                  until=datetime.fromisoformat("2026-12-02T12:00:00+08:00")).outputs
