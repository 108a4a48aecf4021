"""The department stage survives at-least-once delivery and torn writes.

In the stream, a penalty book and its per-ticket records are two table writes;
a crash can keep the records and lose the book. Re-applying the trigger must
then give exactly what applying it once gave.
"""

from __future__ import annotations

import copy
from datetime import UTC
from pathlib import Path

from sla.codec import decode_book, encode_book
from sla.config import load_config
from sla.penalties import PenaltyBook, PenaltyEngine
from sla.replay import replay
from sla.testing import acknowledged, complaint, disputed, ruled

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))
ENGINE = PenaltyEngine(CONFIG)


def _triggers() -> list:
    days = ["2026-11-02", "2026-11-09", "2026-11-16"]
    events = [complaint(f"T-{i}", f"{d}T09:00:00+08:00") for i, d in enumerate(days)]
    events += [acknowledged(f"T-{i}", f"{d}T09:05:00+08:00") for i, d in enumerate(days)]
    events += [disputed("T-1", "2026-11-20T10:00:00+08:00", "logistics", event_id="d-1"),
               ruled("T-1", "2026-11-21T10:00:00+08:00", "d-1", to="billing")]
    outputs = replay(events, CONFIG, until=None).outputs
    triggers = [e for e in outputs if ENGINE.is_trigger(e) and "logistics" in
                ENGINE.departments_for(e)]
    return sorted(triggers, key=lambda e: (e.time, e.id))


def _run(triggers, torn_at: int | None = None, repeat: bool = False):
    book, out = PenaltyBook("logistics"), []
    for n, trigger in enumerate(triggers):
        if n == torn_at:  # records written, then the book write lost in a crash
            saved = encode_book(book)
            records = book.by_ticket
            ENGINE.apply(book, trigger)
            book = decode_book(saved, by_ticket=records)
        out += ENGINE.apply(book, trigger)
        if repeat:
            assert ENGINE.apply(book, trigger) == []
    return [e.to_json() for e in out], encode_book(book), copy.deepcopy(dict(book.by_ticket))


def test_reapplying_any_trigger_changes_nothing() -> None:
    triggers = _triggers()
    assert any(t.type == "sla.breached" for t in triggers)
    assert _run(triggers, repeat=True) == _run(triggers)


def test_a_torn_write_at_any_trigger_recomputes_the_same_result() -> None:
    triggers = _triggers()
    reference = _run(triggers)
    kinds = {e.split('"type":"')[1].split('"')[0] for e in reference[0]}
    assert {"penalty.assessed", "penalty.reversed"} <= kinds
    for torn_at in range(len(triggers)):
        assert _run(triggers, torn_at=torn_at) == reference, torn_at


def test_repeat_window_is_elapsed_time_whatever_the_zone_of_the_trigger_time() -> None:
    """Replay keeps zone-aware times, the stream reads fixed offsets from JSON: across a
    DST change (Berlin, 25 Oct 2026) both must see the same 30-day window."""
    from collections import deque
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    rule = next(r for r in CONFIG.penalties if r.repeat is not None)
    berlin = ZoneInfo("Europe/Berlin")
    earlier = datetime(2026, 10, 1, 13, 0, tzinfo=berlin)  # 11:00 UTC
    later = earlier.astimezone(UTC) + rule.repeat.within + timedelta(minutes=30)
    zoned, fixed = later.astimezone(berlin), later.astimezone(timezone(timedelta(hours=1)))
    multipliers = set()
    for at in (zoned, fixed):
        book = PenaltyBook("logistics")
        book.history[rule.name] = deque([(earlier, "p-1")])
        multipliers.add(ENGINE._multiplier(book, rule, at))
    assert multipliers == {1}, multipliers  # 30 days and 30 minutes later: outside
