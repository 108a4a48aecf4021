"""The bucketed replay (``sla-police replay``) writes the sequential replay's bytes, for any
bucket size and worker count, and holds one bounded bucket at a time."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla.calls_replay import replay_calls
from sla.config import load_config
from sla.replay import replay_lines
from sla.testing import acknowledged, complaint
from sla_police.bucketed_replay import replay_log
from sla_police.bucketed_replay.runs import RunWriter, merged_lines
from sla_police.bucketed_replay.spill import bounded_buckets, spill
from sla_police.simulator import SimulationOptions, simulate

CONFIG = load_config(Path("deploy/config/sla-police.yaml"))


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days with every perturbation switched on (invalid lines, duplicates,
    events out of order)."""
    options = SimulationOptions(days=2, seed=11, calls_per_day=400, invalid_rate=0.01,
                                duplicate_rate=0.01, out_of_order_rate=0.05)
    path = tmp_path_factory.mktemp("bucketed") / "events.jsonl"
    path.write_text("".join(line if line.endswith("\n") else line + "\n"
                            for line in simulate(options)), encoding="utf-8")
    return path


def _bucketed(log: Path, **options) -> tuple[bytes, object]:
    out = io.BytesIO()
    result = replay_log(log, CONFIG, out, **options)
    return out.getvalue(), result


@pytest.mark.parametrize(("workers", "bucket_bytes"), [(1, 1 << 30), (2, 1 << 30),
                                                       (2, 40_000), (3, 150_000)])
def test_bucketed_replay_writes_the_sequential_bytes(log: Path, workers: int,
                                                     bucket_bytes: int) -> None:
    sequential = replay_lines(log.read_bytes().splitlines(), CONFIG)
    written, result = _bucketed(log, workers=workers, bucket_bytes=bucket_bytes)
    assert written == sequential.jsonl().encode()
    assert (result.events, result.duplicates, result.invalid, result.until) == (
        sequential.events, sequential.duplicates, sequential.invalid, sequential.until)
    assert result.lines == len(sequential.outputs)


def test_open_tickets_are_kept_to_the_end_of_the_log(tmp_path: Path) -> None:
    """A ticket still open after its bucket's last event (its deadline after it) is
    advanced to the log's last event, in another bucket: it breaches there, as in replay."""
    at = datetime.fromisoformat
    lines = [complaint("T-1", at("2026-11-02T09:00:00+08:00")).to_json(),
             complaint("T-2", at("2026-11-02T09:05:00+08:00")).to_json(),
             acknowledged("T-2", at("2026-11-02T09:10:00+08:00")).to_json()]
    lines += [complaint(f"T-{n}", at("2026-11-20T09:00:00+08:00")).to_json()
              for n in range(3, 40)]
    path = tmp_path / "log.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    sequential = replay_lines([line.encode() for line in lines], CONFIG)
    written, result = _bucketed(path, workers=2, bucket_bytes=400)
    assert written == sequential.jsonl().encode()
    assert result.open_tickets > 0
    assert b"sla.breached" in written


def test_until_before_the_last_event_equals_replay(log: Path) -> None:
    until = datetime.fromisoformat("2026-11-03T12:00:00+08:00")
    sequential = replay_lines(log.read_bytes().splitlines(), CONFIG, until=until)
    written, _ = _bucketed(log, workers=2, bucket_bytes=60_000, until=until)
    assert written == sequential.jsonl().encode()


def test_calls_lines_go_through_the_calls_replay_merged_by_time(log: Path,
                                                                tmp_path: Path) -> None:
    from sla_police.simulator.calls import CallsOptions, simulate_calls

    calls = list(simulate_calls(CallsOptions(days=2, seed=3, start=date(2026, 11, 2),
                                             change=date(2026, 11, 1), calls_per_day=150)))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(log.read_text(encoding="utf-8")
                     + "".join(e.to_json() + "\n" for e in calls), encoding="utf-8")
    tickets = replay_lines(log.read_bytes().splitlines(), CONFIG)
    theirs = replay_calls(calls, CONFIG.calls, until=tickets.until).outputs
    written, result = _bucketed(mixed, workers=2, bucket_bytes=50_000)
    assert sorted(written.decode().splitlines()) == sorted(
        tickets.jsonl().splitlines() + [e.to_json() for e in theirs])
    assert result.calls is not None and len(result.calls.outputs) == len(theirs) > 0


def test_spilled_buckets_keep_each_ticket_whole_and_in_order(log: Path,
                                                             tmp_path: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    paths = spill(log, tmp_path, 5)
    seen: dict[bytes, int] = {}
    for n, path in enumerate(paths):
        held = path.read_bytes().splitlines(keepends=True)
        assert held == [line for line in lines if line in set(held)]  # log order kept
        for line in held:
            subject = line.split(b'"subject":"', 1)[-1].split(b'"', 1)[0]
            assert seen.setdefault(subject, n) == n  # no ticket in two buckets
    assert sum(len(p.read_bytes().splitlines()) for p in paths) == len(lines)


def test_bounded_buckets_honour_the_cap(log: Path, tmp_path: Path) -> None:
    """Memory is bounded by construction: a bucket over the cap is split again (only a
    file of a single ticket may stay larger)."""
    (bucket,) = spill(log, tmp_path, 1)
    cap = 20_000
    parts = list(bounded_buckets(bucket, cap))
    assert len(parts) > 1
    total = 0
    for part in parts:
        size = part.stat().st_size
        total += size
        subjects = {line.split(b'"subject":"', 1)[-1].split(b'"', 1)[0]
                    for line in part.read_bytes().splitlines()}
        assert size <= cap or len(subjects) == 1
    assert total == log.stat().st_size


def test_run_writer_holds_at_most_its_cap_and_the_merge_is_sorted(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, "r", cap=40)  # each line is 16 bytes
    keys = [f"{n * 7919 % 101:03d}" for n in range(20)]
    for key in keys:
        writer.add(key, b'{"k":"' + key.encode() + b'"}')
        assert sum(map(len, writer._lines)) < 40
    paths = writer.close()
    assert len(paths) == 7
    merged = [line.split(b"\t", 1)[0].decode() for line in merged_lines(paths)]
    assert merged == sorted(keys)


@pytest.mark.parametrize("repeat", [1, 2])
@pytest.mark.parametrize("cuts", [1, 2, 3, 7])
def test_merging_by_key_range_equals_one_merge(tmp_path: Path, cuts: int, repeat: int) -> None:
    """The first key range merged straight into the output and the others' parts copied
    after it, in order, equal one merge with repeated ids dropped, also when one id has
    two keys side by side across a cut or a block (ids all new: the merge's blocks
    written whole)."""
    from sla_police.bucketed_replay.merge_stage import (
        copy_parts,
        merge_range,
        merge_range_into,
    )
    from sla_police.bucketed_replay.runs import split_keys

    def key(n: int, event_id: str) -> str:
        return f"{n:016x}7{event_id}"

    writers = [RunWriter(tmp_path, f"w{n}", cap=100) for n in range(3)]
    expected_keys = []
    for n in range(60):
        event_id = f"id-{n // repeat:04d}"  # twice: under two keys side by side
        writers[n % 3].add(key(n, event_id), f'{{"n":{n}}}'.encode())
        expected_keys.append((key(n, event_id), n))
    runs = [path for writer in writers for path in writer.close()]
    single, last = [], None
    for line in merged_lines(runs):
        event_id = line[17:line.index(b"\t")]
        if event_id != last:
            single.append(line[line.index(b"\t") + 1:])
            last = event_id
    keys = split_keys(runs, cuts)
    bounds: list[bytes | None] = [None, *keys, None]
    out = io.BytesIO()
    first = merge_range_into(runs, bounds[0], bounds[1], out)  # as the parent does
    parts = [first] + [merge_range(runs, bounds[n], bounds[n + 1], tmp_path / f"part-{n}")
                       for n in range(1, len(bounds) - 1)]
    assert copy_parts(parts, out) == len(single) == 60 // repeat
    assert out.getvalue() == b"".join(single)
    assert not list(tmp_path.glob("part-*"))  # copied, then deleted


def test_a_retired_ticket_has_no_trigger_after_its_retirement_line(log: Path,
                                                                   tmp_path: Path) -> None:
    """The penalty stage forgets a ticket's records at its retirement line: sound only if
    none of its triggers sorts after that line."""
    from sla_police.bucketed_replay.ticket_stage import RETIRED, TicketWorker

    paths = spill(log, tmp_path, 4)
    worker = TicketWorker(CONFIG, tmp_path, "t", until=None, cap=1 << 30)
    worker.run_buckets(paths)
    report = worker.finish(worker.report.last, worker.report.first)
    retired: set[str] = set()
    retirements = 0
    for line in merged_lines(report.trigger_runs):
        payload = line.split(b"\t", 2)[2]
        if payload.startswith(RETIRED):
            retired.add(payload[len(RETIRED):].strip().decode())
            retirements += 1
        else:
            assert payload.split(b'"subject":"', 1)[1].split(b'"', 1)[0].decode() not in retired
    assert retirements == len(retired) > 100


def _fail() -> None:
    raise ValueError("boom")


def test_a_child_sends_back_its_result_or_its_failure() -> None:
    """Each bucket is replayed in a forked child: what it returns comes back pickled, a
    failure comes back as an error with the child's traceback."""
    from sla_police.bucketed_replay.child import run_in_child

    assert run_in_child(sorted, [3, 1, 2]) == [1, 2, 3]
    assert len(run_in_child(bytes, 3 << 20)) == 3 << 20  # larger than a pipe's buffer
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        run_in_child(_fail)


_RUN_LINES = st.lists(st.lists(st.integers(0, 60), max_size=40), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=_RUN_LINES, low=st.none() | st.integers(0, 60), span=st.none() | st.integers(1, 60))
def test_the_merge_of_any_runs_is_their_lines_sorted(tmp_path: Path, monkeypatch, runs,
                                                     low, span) -> None:
    """Blocks of a line or two, so every run is read in many blocks: runs of any length
    (empty ones too), dense or sparse in any stretch of keys, lines repeated within and
    across runs, merged whole and by key range, give their lines sorted."""
    from sla_police.bucketed_replay import runs as runs_module

    monkeypatch.setattr(runs_module, "_BLOCK_BYTES", 20)  # each line is 12 to 14 bytes
    directory = tmp_path / f"runs-{uuid.uuid4().hex}"
    directory.mkdir()
    paths, everything = [], []
    for n, keys in enumerate(runs):
        lines = sorted(b"%03d\t{\"r\":%d}\n" % (key, n % 3) for key in keys)
        path = directory / f"{n}.run"
        path.write_bytes(b"".join(lines))
        paths.append(path)
        everything += lines
    assert list(merged_lines(paths)) == sorted(everything)
    low_key = None if low is None else b"%03d" % low
    high_key = None if low is None or span is None else b"%03d" % (low + span)
    wanted = [line for line in everything if (low_key is None or line[:3] >= low_key)
              and (high_key is None or line[:3] < high_key)]
    assert list(runs_module.merged_range(paths, low_key, high_key)) == sorted(wanted)
