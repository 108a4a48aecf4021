"""Replay is deterministic, sharding does not change a byte, what-if against
itself differs by nothing, and the CLI prints a per-department summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sla.config import load_config
from sla.parallel import replay_sharded
from sla.replay import replay_lines
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


