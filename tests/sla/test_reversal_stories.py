"""Business stories: what a reversed penalty does to the repeat multiplier and the
monthly cap.

Policy (tests/sla/stories.yaml): late resolution costs logistics 500, doubled when it
was fined under the same rule within the 30 days before, at most 1500 a month. A
complaint on a Monday 09:00, acknowledged at 09:05, misses its 16h resolve target on
Wednesday 10:00 (Mon 7.5h + Tue 7.5h + Wed 09-10). Rules pinned here:

- a reversed penalty does not count toward the repeat multiplier of later penalties;
- a reversal frees room under the month's cap for later penalties, but earlier ones are
  never re-priced (no new event about them: what was paid stays what was assessed).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sla.config import load_config
from sla.replay import ReplayResult, replay
from sla.testing import acknowledged, complaint, disputed, ruled

CONFIG = load_config(Path(__file__).with_name("stories.yaml"))


def monday_complaint(ticket: str, day: str) -> list:
    return [complaint(ticket, f"{day}T09:00:00+08:00"),
            acknowledged(ticket, f"{day}T09:05:00+08:00")]


def upheld(ticket: str, filed: str, ruled_at: str) -> list:
    return [disputed(ticket, filed, "logistics", event_id=f"dispute-{ticket}"),
            ruled(ticket, ruled_at, f"dispute-{ticket}", "upheld", to="stores")]


def late_resolutions(result: ReplayResult) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """ticket -> (multiplier, fine, capped amount) of logistics' late-resolution fines."""
    out = {}
    for p in result.outputs:
        if (p.type == "penalty.assessed" and p.data.department == "logistics"
                and p.data.rule == "late-resolution"):
            assert p.subject not in out, f"{p.subject} assessed twice"
            out[p.subject] = (p.data.multiplier, p.data.fine, p.data.capped_amount)
    return out


def run(*events: list, until: str) -> ReplayResult:
    return replay([e for group in events for e in group], CONFIG,
                  until=datetime.fromisoformat(until))


def test_a_reversed_penalty_does_not_count_toward_the_repeat_multiplier() -> None:
    """T-A breaches Wed 11-04 (500). T-B breaches Wed 11-11: doubled, since T-A's fine is
    within 30 days. When T-A's fine was reversed before (dispute upheld Thu 11-05), T-B
    is not doubled; when the reversal comes after T-B was priced (Thu 11-12), T-B keeps
    its doubled fine."""
    first, second = monday_complaint("T-A", "2026-11-02"), monday_complaint("T-B", "2026-11-09")
    until = "2026-11-13T00:00:00+08:00"
    plain = run(first, second, until=until)
    assert late_resolutions(plain) == {"T-A": (1, 500, 0), "T-B": (2, 1000, 0)}

    reversed_before = run(first, second, upheld("T-A", "2026-11-04T11:00:00+08:00",
                                                "2026-11-05T10:00:00+08:00"), until=until)
    assert late_resolutions(reversed_before) == {"T-A": (1, 500, 0), "T-B": (1, 500, 0)}

    reversed_after = run(first, second, upheld("T-A", "2026-11-04T11:00:00+08:00",
                                               "2026-11-12T10:00:00+08:00"), until=until)
    assert late_resolutions(reversed_after) == {"T-A": (1, 500, 0), "T-B": (2, 1000, 0)}
    assert [r.subject for r in reversed_after.outputs if r.type == "penalty.reversed"] == [
        "T-A"]


def test_a_reversal_frees_room_under_the_monthly_cap_without_re_pricing_earlier_fines() -> None:
    """November: T-1 500, T-2 1000 (doubled), T-3 0 (doubled to 1000, all of it capped:
    1500 reached). Thu 11-19 T-2's fine is reversed by an upheld dispute: 1000 of room
    again. T-3 stays at 0 (no event re-prices it); T-4 (Wed 11-25, doubled) gets the
    1000 of room in full."""
    result = run(
        monday_complaint("T-1", "2026-11-02"), monday_complaint("T-2", "2026-11-09"),
        monday_complaint("T-3", "2026-11-16"), monday_complaint("T-4", "2026-11-23"),
        upheld("T-2", "2026-11-12T10:00:00+08:00", "2026-11-19T10:00:00+08:00"),
        until="2026-11-26T00:00:00+08:00")
    assert late_resolutions(result) == {
        "T-1": (1, 500, 0), "T-2": (2, 1000, 0), "T-3": (2, 0, 1000), "T-4": (2, 1000, 0)}
    about_t3 = [e.type for e in result.outputs if e.subject == "T-3"
                and e.type.startswith("penalty.")]
    assert about_t3 == ["penalty.assessed"]
    [reversal] = [e for e in result.outputs if e.type == "penalty.reversed"]
    assert (reversal.subject, reversal.data.fine) == ("T-2", 1000)
    net = sum(fine for _, fine, _ in late_resolutions(result).values()) - reversal.data.fine
    assert net == 1500  # the cap holds net of the reversal
