"""What-if for authority: a manager proposes wider limits and sees, per contact reason, the
approvals supervisors would no longer give, the hours saved and the extra exposure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sla.authority_whatif import parse_proposed, whatif_authority
from sla.config import ConfigError, load_config
from sla.replay import replay_lines
from sla_police.cli import app
from sla_police.simulator import SimulationOptions, simulate

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_config(ROOT / "deploy" / "config" / "sla-police.yaml")
SPEC = POLICY.authority
# after the pilot week: the shipped limits are 100 (delivery), 80 (billing, refund), 50
LOG = SimulationOptions(days=2, seed=4, calls_per_day=2000, start=date(2026, 11, 16))
FLAT_150 = "limits:\n  - {agent: 150, team_lead: 300, supervisor: 1000, manager: 5000}\n"


@cache
def _outputs() -> tuple:
    return tuple(replay_lines(simulate(LOG), POLICY).outputs)


def test_a_flat_150_for_agents_measured_independently_on_a_simulated_log() -> None:
    proposed = parse_proposed(FLAT_150, SPEC)
    rows = {r.contact_reason: r for r in whatif_authority(SPEC, proposed, _outputs(), 6)}
    expected: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0, Decimal(0)])
    for event in _outputs():
        data = event.data
        if event.type == "approval.recorded":  # every requester is an agent: limit 150
            row = expected[data.contact_reason]
            if data.decision == "approved":
                row[0] += 1
                row[1] += data.amount <= 150
            else:
                row[2] += 1
                if data.amount <= 150:
                    row[3] += 1
                    row[4] += data.amount
    assert expected, "the log has approvals"
    got = {reason: [r.approvals, r.approvals_avoided, r.declined, r.exposure_count,
                    r.exposure_amount] for reason, r in rows.items()}
    assert got == dict(expected)
    for row in rows.values():
        assert row.hours_saved == pytest.approx(row.approvals_avoided * 6 / 60)
    assert sum(r.approvals_avoided for r in rows.values()) > 0


def test_the_current_limits_proposed_again_change_nothing() -> None:
    same = ("limits:\n  - {reason: 'delivery.*', agent: 100, team_lead: 300}\n"
            "  - {reason: ['billing.*', 'refund.*'], agent: 80, team_lead: 250}\n"
            "  - {agent: 50, team_lead: 200, supervisor: 1000, manager: 5000}\n")
    rows = whatif_authority(SPEC, parse_proposed(same, SPEC), _outputs(), 6)
    assert rows and all(r.approvals_avoided == r.exposure_count == 0 for r in rows)
    assert all(r.approvals > 0 or r.declined > 0 for r in rows)


def test_a_pilot_in_the_proposal_widens_only_its_agents_in_its_period() -> None:
    text = FLAT_150.replace("agent: 150", "agent: 50") + (
        "pilots:\n  - {name: wide, agents: [agent-001, agent-002], from: 2026-11-16,\n"
        "     until: 2026-11-30, limits: [{agent: 5000}]}\n")
    rows = whatif_authority(SPEC, parse_proposed(text, SPEC), _outputs(), 6)
    asked = [e.data for e in _outputs() if e.type == "approval.recorded"
             and e.data.decision == "approved"]
    pilots = sum(d.agent in ("agent-001", "agent-002") for d in asked)
    assert sum(r.approvals_avoided for r in rows) == pilots + sum(
        d.amount <= 50 for d in asked if d.agent not in ("agent-001", "agent-002"))


@pytest.mark.parametrize(("text", "line", "words"), [
    ("limits:\n  - {agent: lots}\n", 2, "limits[0].agent: expected an amount"),
    ("limits:\n  - {reason: 'delivery.*', agent: 100}\n", 2, "the last limit rule is the "
     "default"),
    ("limits:\n  - {agent: 1, team_lead: 2, supervisor: 3, manager: 4}\nextra: 1\n", 3,
     "extra"),
    ("pilots: []\n", 1, "limits"),
    ("limits:\n  - {agent: 1, team_lead: 2, supervisor: 3, manager: 4}\n"
     "pilots:\n  - {name: p, team: t, from: 2026-11-09, until: 2026-11-02, limits: []}\n",
     4, "ends"),
])
def test_a_bad_proposal_is_refused_at_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_proposed(text, SPEC, "proposed.yaml")
    issue = caught.value.issues[0]
    assert issue.line == line and words in str(caught.value), str(caught.value)


def test_the_command_prints_the_table_and_refuses_a_bad_file_with_its_line(
        tmp_path: Path) -> None:
    log, good, bad = tmp_path / "log.jsonl", tmp_path / "wide.yaml", tmp_path / "bad.yaml"
    log.write_text("\n".join(simulate(LOG)) + "\n", encoding="utf-8")
    good.write_text(FLAT_150, encoding="utf-8")
    bad.write_text("limits: 3\n", encoding="utf-8")
    policy = str(ROOT / "deploy" / "config" / "sla-police.yaml")
    runner = CliRunner()
    result = runner.invoke(app, ["whatif-authority", str(log), "--limits", str(good),
                                 "--policy", policy, "--minutes-per-approval", "10",
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "no longer needed" in result.stdout and "total" in result.stdout
    refused = runner.invoke(app, ["whatif-authority", str(log), "--limits", str(bad),
                                  "--policy", policy])
    assert refused.exit_code == 1
    assert f"{bad}:1:9: limits: expected a list" in refused.stderr
    assert "Traceback" not in refused.output
