"""The replay bench's memory over the run: peaks per tenth of the wall time."""

from bench.bench_replay_cli import peaks_by_tenth


def test_each_tenth_keeps_its_largest_sample():
    samples = [(0.5, 10), (1.5, 30), (1.9, 20), (9.99, 5)]
    assert peaks_by_tenth(samples, 10.0) == [10, 30, 30, 30, 30, 30, 30, 30, 30, 5]


def test_a_tenth_without_samples_repeats_the_one_before():
    assert peaks_by_tenth([(2.5, 7)], 10.0) == [0, 0, 7, 7, 7, 7, 7, 7, 7, 7]


def test_a_sample_at_the_very_end_counts_in_the_last_tenth():
    assert peaks_by_tenth([(10.0, 3)], 10.0)[-1] == 3
