"""Replay is deterministic, sharding does not change a byte, what-if against
itself differs by nothing, and the CLI prints a per-department summary and a what-if
difference equal to counts made by hand on a small log."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sla.config import load_config
from sla.parallel import replay_sharded
from sla.replay import replay_lines
from sla.testing import acknowledged, cancelled, complaint, resolved
from sla_police.cli import app
from sla_police.simulator import SimulationOptions, simulate

CONFIG_PATH = Path("deploy/config/sla-police.yaml")
CONFIG = load_config(CONFIG_PATH)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days at a small volume, with every perturbation switched on."""
    options = SimulationOptions(days=2, seed=7, calls_per_day=600, invalid_rate=0.01,
                                duplicate_rate=0.01, out_of_order_rate=0.05)
    path = tmp_path_factory.mktemp("replay") / "events.jsonl"
    path.write_text("".join(line if line.endswith("\n") else line + "\n"
                            for line in simulate(options)), encoding="utf-8")
    return path


def test_replay_is_deterministic(log: Path) -> None:
    lines = log.read_bytes().splitlines()
    first = replay_lines(lines, CONFIG).jsonl()
    assert first == replay_lines(lines, CONFIG).jsonl()
    kinds = {line.split('"type":"')[1].split('"')[0] for line in first.splitlines()}
    assert {"sla.attributed", "sla.met", "sla.breached", "penalty.assessed",
            "notification.requested", "event.rejected"} <= kinds


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_sharded_replay_writes_the_same_bytes(log: Path, workers: int) -> None:
    lines = log.read_bytes().splitlines()
    sequential = replay_lines(lines, CONFIG)
    sharded = replay_sharded(lines, CONFIG, workers=workers)
    assert "".join(line + "\n" for line in sharded.lines) == sequential.jsonl()
    assert (sharded.events, sharded.duplicates, sharded.invalid) == (
        sequential.events, sequential.duplicates, sequential.invalid)


def test_replay_cli_writes_jsonl_and_prints_the_summary(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["replay", str(log), "-c", str(CONFIG_PATH),
                                      "-o", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    for department in CONFIG.departments:
        assert department in result.output
    expected = replay_lines(log.read_bytes().splitlines(), CONFIG).jsonl()
    assert out.read_text(encoding="utf-8") == expected


def test_a_log_with_calls_replays_them_with_the_calls_replay_not_as_dead_letters(
        log: Path, tmp_path: Path) -> None:
    """A log as ``sla-police publish`` sends it: ticket lines and calls lines (the demo's
    day). Ticket replay skips the calls lines; the calls replay gives their outputs; the
    file holds both, in time order."""
    from sla.calls_replay import replay_calls
    from sla_police.simulator.calls import CallsOptions, simulate_calls

    calls = list(simulate_calls(CallsOptions(days=2, seed=3, start=date(2026, 11, 2),
                                             change=date(2026, 11, 1), calls_per_day=150)))
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(log.read_text(encoding="utf-8")
                     + "".join(e.to_json() + "\n" for e in calls), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["replay", str(mixed), "-c", str(CONFIG_PATH),
                                      "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    tickets = replay_lines(log.read_bytes().splitlines(), CONFIG)
    expected_calls = replay_calls(calls, CONFIG.calls, until=tickets.until).outputs
    written = out.read_text(encoding="utf-8").splitlines()
    assert sorted(written) == sorted(tickets.jsonl().splitlines()
                                     + [e.to_json() for e in expected_calls])
    assert expected_calls and "calls event" not in out.read_text(encoding="utf-8")
    instants = [datetime.fromisoformat(line.split('"time":"', 1)[1].split('"', 1)[0])
                for line in written]
    assert instants == sorted(instants)


def test_whatif_against_itself_reports_zero_difference(log: Path) -> None:
    result = CliRunner().invoke(app, ["whatif", str(log), "-c", str(CONFIG_PATH),
                                      "-a", str(CONFIG_PATH)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    assert rows
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells[3] == cells[6] == cells[9] == "0", row


def test_whatif_shows_the_effect_of_a_stricter_policy(log: Path, tmp_path: Path) -> None:
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(CONFIG_PATH.read_text(encoding="utf-8").replace(
        "resolve: 2d", "resolve: 4h"), encoding="utf-8")
    result = CliRunner().invoke(app, ["whatif", str(log), "-c", str(CONFIG_PATH),
                                      "-a", str(stricter)])
    assert result.exit_code == 0, result.output
    deltas = [row.strip("│").split("│")[3].strip() for row in result.output.splitlines()
              if row.startswith("│")]
    assert any(d.startswith("+") for d in deltas), result.output
    assert not any(d.startswith("-") for d in deltas)


def test_replay_cli_rejects_a_naive_until(log: Path) -> None:
    result = CliRunner().invoke(app, ["replay", str(log), "-c", str(CONFIG_PATH),
                                      "--until", "2026-11-05T00:00:00"])
    assert result.exit_code == 2
    assert "UTC offset" in result.output


STORIES_PATH = Path("tests/sla/stories.yaml")


@pytest.fixture(scope="module")
def counted_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six tickets under tests/sla/stories.yaml (office hours 09-12, 13:30-18; standard
    policy acknowledge 2h, resolve 16h, warnings at 50% and 80%; late-ack 100 + 1 point,
    late-resolution 500 + 2 points). Counted by hand, Mon 2026-11-16 onwards:

    logistics
      A  Mon 09:00, ack 09:30 (met). resolve: warnings Tue 09:30 (8h), Tue 15:48 (12.8h),
         breach Wed 10:00 -> 500, 2 points.
      B  Mon 10:00. ack: warnings 11:00, 11:36, breach 12:00 = end of span -> 13:30
         -> 100, 1 point. Resolved 15:00 after 3.5h (met; stops nothing else).
      F  Tue 09:00, cancelled 09:45: two clocks cancelled, no warning yet.
      -> attributed 3, warnings 4, met 2, breached 2, cancelled 2, penalties 2,
         fines 600, points 3, compliance 2/4.
    billing
      C  Mon 09:00, ack 09:10, resolved 17:00 after 6.5h: met twice, no warning.
      D  Tue 09:00, nothing more. ack: warnings 10:00, 10:36, breach 11:00 -> 100, 1.
         resolve: warnings Wed 09:30, Wed 15:48, breach Thu 10:00 -> 500, 2 (first for
         billing: no repeat multiplier).
      -> attributed 2, warnings 4, met 2, breached 2, penalties 2, fines 600, points 3.
    triage (24x7)
      E  Mon 09:00 general.inquiry, ack 09:50 (met), resolve warning 17:00 (8h),
         resolved 20:00 after 11h (met).
      -> attributed 1, warnings 1, met 2.
    """
    events = [
        complaint("A", "2026-11-16T09:00:00+08:00"),
        acknowledged("A", "2026-11-16T09:30:00+08:00"),
        complaint("B", "2026-11-16T10:00:00+08:00"),
        resolved("B", "2026-11-16T15:00:00+08:00"),
        complaint("F", "2026-11-17T09:00:00+08:00"),
        cancelled("F", "2026-11-17T09:45:00+08:00"),
        complaint("C", "2026-11-16T09:00:00+08:00", category="billing.overcharge"),
        acknowledged("C", "2026-11-16T09:10:00+08:00"),
        resolved("C", "2026-11-16T17:00:00+08:00"),
        complaint("D", "2026-11-17T09:00:00+08:00", category="billing.refund"),
        complaint("E", "2026-11-16T09:00:00+08:00", category="general.inquiry"),
        acknowledged("E", "2026-11-16T09:50:00+08:00"),
        resolved("E", "2026-11-16T20:00:00+08:00"),
    ]
    path = tmp_path_factory.mktemp("counted") / "events.jsonl"
    path.write_text("".join(e.to_json() + "\n" for e in events), encoding="utf-8")
    return path


UNTIL = "2026-11-20T00:00:00+08:00"
HAND_COUNTED_SUMMARY = {
    # department: attributed, warnings, met, breached, compliance, cancelled,
    #             penalties, reversed, fines, points
    "billing": ["2", "4", "2", "2", "50.0%", "0", "2", "0", "600.00", "3"],
    "logistics": ["3", "4", "2", "2", "50.0%", "2", "2", "0", "600.00", "3"],
    "triage": ["1", "1", "2", "0", "100.0%", "0", "0", "0", "0.00", "0"],
    "total": ["6", "9", "6", "4", "60.0%", "2", "4", "0", "1,200.00", "6"],
}


def table_rows(output: str) -> dict[str, list[str]]:
    """The body rows of the rich tables in ``output``, by their first cell."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.strip().strip("│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def test_replay_summary_equals_the_hand_count(counted_log: Path) -> None:
    result = CliRunner().invoke(app, ["replay", str(counted_log), "-c", str(STORIES_PATH),
                                      "--until", UNTIL, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert table_rows(result.output) == HAND_COUNTED_SUMMARY


@pytest.mark.parametrize(("change", "expected"), [
    # resolve 16h -> 8h: only E goes over (11h on the 24x7 calendar; breach Mon 17:00,
    # 500 + 2 points). A and D breach earlier but once each; B (3.5h) and C (6.5h) still met.
    (("resolve: 16h", "resolve: 8h"), {
        "billing": ["2", "2", "0", "600.00", "600.00", "0", "3", "3", "0"],
        "logistics": ["2", "2", "0", "600.00", "600.00", "0", "3", "3", "0"],
        "triage": ["0", "1", "+1", "0.00", "500.00", "+500.00", "0", "2", "+2"],
    }),
    # late-ack 100 -> 250: B and D, one late acknowledgement each.
    (("fine: 100", "fine: 250"), {
        "billing": ["2", "2", "0", "600.00", "750.00", "+150.00", "3", "3", "0"],
        "logistics": ["2", "2", "0", "600.00", "750.00", "+150.00", "3", "3", "0"],
        "triage": ["0", "0", "0", "0.00", "0.00", "0", "0", "0", "0"],
    }),
], ids=["resolve-8h", "late-ack-250"])
def test_whatif_difference_equals_the_hand_count(counted_log: Path, tmp_path: Path,
                                                 change: tuple[str, str],
                                                 expected: dict[str, list[str]]) -> None:
    text = STORIES_PATH.read_text(encoding="utf-8")
    assert text.count(change[0]) == 1
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(text.replace(*change), encoding="utf-8")
    result = CliRunner().invoke(app, ["whatif", str(counted_log), "-c", str(STORIES_PATH),
                                      "-a", str(proposed), "--until", UNTIL, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert table_rows(result.output) == expected
