"""The ticket stage's offset frontier: ticks wait for every earlier message."""

from __future__ import annotations

from streams.frontier import OffsetFrontier

TP = ("ticket-events", 2)


def test_a_tick_after_a_gap_waits_until_the_earlier_messages_come_again() -> None:
    """After a rebalance Faust delivered offsets 8.. before 0..7 (a seek back): the tick
    at 9 must not move the clock while 0..7 are still unprocessed."""
    frontier = OffsetFrontier()
    frontier.start(TP, 0)  # nothing committed yet
    frontier.seen(TP, 8)
    frontier.hold(TP, 9, "tick@9")
    frontier.seen(TP, 9)
    assert not frontier.covers(TP, 9)
    assert frontier.release(TP) == []
    assert frontier.held() == {"ticket-events[2]": {
        "next": 0, "ahead": 2, "first_ahead": 8, "waiting": 1, "waits_for": 9}}
    for offset in range(8):
        frontier.seen(TP, offset)
    assert frontier.covers(TP, 9)
    assert frontier.release(TP) == ["tick@9"]
    assert frontier.release(TP) == []  # released once
    assert frontier.held() == {}


def test_in_order_delivery_releases_each_tick_at_once() -> None:
    frontier = OffsetFrontier()
    frontier.start(TP, 40)  # committed offset: 0..39 were processed before
    frontier.seen(TP, 40)
    frontier.hold(TP, 41, "a")
    frontier.seen(TP, 41)
    assert frontier.release(TP) == ["a"]
    frontier.seen(TP, 12)  # a redelivery below the frontier changes nothing
    assert frontier.covers(TP, 41) and not frontier.covers(TP, 42)


def test_ticks_release_in_offset_order_and_partitions_are_independent() -> None:
    frontier, other = OffsetFrontier(), ("complaints", 2)
    frontier.start(TP, 0)
    frontier.start(other, 0)
    frontier.seen(TP, 2)
    frontier.hold(TP, 3, "late")
    frontier.seen(TP, 3)
    frontier.hold(TP, 1, "early")
    frontier.seen(TP, 1)
    frontier.seen(other, 0)
    assert frontier.release(other) == []
    frontier.seen(TP, 0)
    assert frontier.release(TP) == ["early", "late"]


def test_a_forgotten_partition_is_trusted_until_started_again() -> None:
    frontier = OffsetFrontier()
    frontier.start(TP, 5)
    frontier.seen(TP, 7)
    frontier.forget([TP])
    assert frontier.covers(TP, 1000) and frontier.held() == {}


def test_a_gap_asks_once_to_read_again_and_the_re_read_fills_it() -> None:
    """A taken-over partition's first message came at 26 with 22 committed: 22-25 were
    skipped by the framework. The stage seeks back once; the re-read fills the gap."""
    frontier = OffsetFrontier()
    frontier.start(TP, 22)
    frontier.seen(TP, 26)
    assert frontier.read_again(TP) == 22
    frontier.seen(TP, 27)
    assert frontier.read_again(TP) is None  # once per gap
    for offset in (22, 23, 24, 25, 26, 27):  # the re-read, 26 and 27 a second time
        frontier.seen(TP, offset)
    assert frontier.covers(TP, 27) and not frontier.covers(TP, 28)
    assert frontier.held() == {}


def test_a_gap_without_records_is_stepped_over_after_the_re_read_passes_it() -> None:
    """Offsets 5 and 6 hold no records (transaction markers on a real cluster): the re-read
    delivers 7 again, which proves it; the frontier steps over and ticks go on."""
    frontier = OffsetFrontier()
    frontier.start(TP, 5)
    frontier.seen(TP, 7)
    frontier.hold(TP, 8, "tick@8")
    frontier.seen(TP, 8)
    assert frontier.read_again(TP) == 5
    assert frontier.release(TP) == []
    frontier.seen(TP, 7)  # the re-read from 5 starts at 7 again
    assert frontier.covers(TP, 8)
    assert frontier.release(TP) == ["tick@8"]


def test_messages_already_in_flight_before_the_seek_do_not_count_as_proof() -> None:
    frontier = OffsetFrontier()
    frontier.start(TP, 5)
    frontier.seen(TP, 7)
    assert frontier.read_again(TP) == 5
    frontier.seen(TP, 8)  # fetched before the seek: new, not a repeat
    assert not frontier.covers(TP, 5)
    frontier.seen(TP, 5)
    frontier.seen(TP, 6)
    assert frontier.covers(TP, 8)


def test_a_skipped_tail_is_read_again_when_nothing_moves() -> None:
    """The last message (offset 24) of a partition was skipped: no later message shows the
    gap, but the log's end (25) does, once nothing has moved for the stall period."""
    frontier = OffsetFrontier()
    frontier.start(TP, 20)
    for offset in range(20, 24):
        frontier.seen(TP, offset)
    ends = {TP: 25}
    assert frontier.stalled(100.0, ends, after=3) == []
    assert frontier.stalled(102.0, ends, after=3) == []
    assert frontier.stalled(103.0, ends, after=3) == [(TP, 24)]
    assert frontier.stalled(108.0, ends, after=3) == []  # asked again after 6 s more, not 3
    assert frontier.stalled(109.0, ends, after=3) == [(TP, 24)]
    frontier.seen(TP, 24)
    assert frontier.stalled(110.0, ends, after=3) == []  # at its end: nothing to do


def test_a_held_tick_counts_as_a_known_end() -> None:
    frontier = OffsetFrontier()
    frontier.start(TP, 0)
    frontier.hold(TP, 4, "checkpoint")  # the end offsets of a wall-clock checkpoint: 5
    assert frontier.stalled(0.0, {}, after=1) == []
    assert frontier.stalled(1.0, {}, after=1) == [(TP, 0)]


def test_what_was_processed_is_known_so_a_re_read_skips_it() -> None:
    frontier = OffsetFrontier()
    frontier.start(TP, 10)  # committed: 0-9 processed before
    frontier.seen(TP, 10)
    frontier.seen(TP, 13)  # 11 and 12 skipped by the framework
    assert [o for o in range(9, 15) if frontier.processed(TP, o)] == [9, 10, 13]
    frontier.forget([TP])
    assert not frontier.processed(TP, 9)  # not tracked: nothing is known
