"""The instruction-count bench: it reads cachegrind's count, takes start-up out by
difference, and its variants really take their cost away (no count is asserted: figures
are the bench's job; that a free serialisation executes fewer instructions is not a
timing, it is what the variant is for)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.bench_instructions import instructions_of, measure, per_line
from sla_police.simulator import SimulationOptions, write_simulation

CACHEGRIND_TAIL = """==4211== Collected : 12173389489
==4211== I   refs:      12,173,389,489
"""


def test_the_count_is_read_from_cachegrinds_summary() -> None:
    assert instructions_of(CACHEGRIND_TAIL) == 12_173_389_489


def test_a_run_without_a_summary_is_an_error_that_shows_the_output() -> None:
    with pytest.raises(ValueError, match="valgrind: command failed"):
        instructions_of("valgrind: command failed")


def test_start_up_cancels_out_of_the_figure_per_line() -> None:
    start_up, per_event = 900_000_000, 380_000

    figure = per_line((8_000, start_up + 8_000 * per_event),
                      (24_000, start_up + 24_000 * per_event))

    assert figure == per_event


def test_the_sizes_must_grow() -> None:
    with pytest.raises(ValueError, match="more lines"):
        per_line((100, 5), (100, 9))


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_free_serialisation_executes_fewer_instructions(tmp_path: Path) -> None:
    log = tmp_path / "day.jsonl"
    write_simulation(SimulationOptions(days=1, seed=3, calls_per_day=30), log)

    as_is, without_json = measure(log, 60, "as-is"), measure(log, 60, "no-json")

    assert 0 < without_json < as_is
