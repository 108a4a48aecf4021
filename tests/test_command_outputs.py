"""Commands that write files (``simulate --out``, ``replay --out``) refuse a path they cannot
write with one line and a non-zero exit, before doing the work, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sla_police.cli import app
from sla_police.commands._common import EXIT_CANNOT_WRITE

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "config" / "sla-police.yaml"


def one_line_refusal(result, words: str) -> None:
    assert result.exit_code == EXIT_CANNOT_WRITE, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write"), result.stderr
    assert words in lines[0]
    assert "Traceback" not in result.output


def unwritable(tmp_path: Path) -> list[tuple[Path, str]]:
    return [(tmp_path / "missing" / "out.jsonl", f"directory {tmp_path / 'missing'} does "
                                                  "not exist"),
            (tmp_path, "Is a directory"),
            (Path("/sys/sla-police-out.jsonl"), "Permission denied"),
            (Path("/dev/full"), "No space left on device")]


@pytest.mark.parametrize("case", range(4))
def test_simulate_out_to_an_unwritable_path(tmp_path: Path, case: int) -> None:
    out, words = unwritable(tmp_path)[case]

    result = CliRunner().invoke(app, ["simulate", "--days", "1", "--calls-per-day", "50",
                                      "--out", str(out)])

    one_line_refusal(result, words)


@pytest.mark.parametrize("case", range(4))
def test_replay_out_to_an_unwritable_path(tmp_path: Path, case: int) -> None:
    log = tmp_path / "day.jsonl"
    made = CliRunner().invoke(app, ["simulate", "--days", "1", "--calls-per-day", "50",
                                    "--out", str(log)])
    assert made.exit_code == 0, made.output
    out, words = unwritable(tmp_path)[case]

    result = CliRunner().invoke(app, ["replay", str(log), "--config", str(CONFIG),
                                      "--workers", "1", "--out", str(out)])

    one_line_refusal(result, words)
