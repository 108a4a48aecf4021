"""``sla-police report authority`` and ``sla-police authority flag`` as a manager runs them:
the story's November as tables, JSON and CSV (the same figures as the report), refusals in
one line, and flags raised once however often the command runs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from ledger import Ledger
from ledger.authority import authority_report
from ledger.authority_export import report_dict
from sla.authority_view import PolicyView
from sla_police.cli import app
from tests.ledger.cli import url_of

from .authority_story import CONFIG, story_outputs, write_policy

STORIES = str(Path(__file__).resolve().parents[1] / "sla" / "stories.yaml")  # no authority


def sla(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def recorded(backend, tmp_path: Path) -> tuple[Ledger, str]:
    ledger = backend.fresh_ledger()
    ledger.record(story_outputs())
    return ledger, str(write_policy(tmp_path))


def report_args(recorded: tuple[Ledger, str], *more: str) -> list[str]:
    ledger, policy = recorded
    return ["report", "authority", "--period", "2026-11", "--config", policy,
            "--database-url", url_of(ledger), *more]


def test_the_table_shows_reasons_flags_and_the_pilot(recorded) -> None:
    result = sla(*report_args(recorded))
    assert result.exit_code == 0, result.output
    text = result.stdout
    for words in ("Agent authority 2026-11", "delivery.late", "3/14 (21.4%)", "1h30m",
                  "7h30m", "Over-generous agents 2026-11", "ann", "not yet",
                  "Pilot pilot-week, 2026-11-02 to 2026-11-08", "approvals avoided",
                  "cost per contact", "100.00", "80.00"):
        assert words in text, words


def test_json_is_the_report_and_csv_has_its_three_blocks(recorded) -> None:
    ledger, _ = recorded
    result = sla(*report_args(recorded, "--format", "json"))
    assert result.exit_code == 0, result.output
    expected = report_dict(authority_report(ledger.engine, "2026-11",
                                            ZoneInfo("Asia/Shanghai"),
                                            PolicyView(CONFIG.authority), datetime.now(UTC)))
    assert json.loads(result.stdout) == expected
    blocks = sla(*report_args(recorded, "--format", "csv")).stdout.split("\n\n")
    reasons, flags, pilots = (list(csv.DictReader(io.StringIO(b))) for b in blocks)
    assert [(r["contact_reason"], r["grants"]) for r in reasons] == [
        ("billing.overcharge", "1"), ("delivery.late", "14"), ("all", "15")]
    assert [(f["agent"], f["metrics"]) for f in flags] == [("ann", "grant_rate")]
    assert [(p["group"], p["cost_per_contact"], p["approvals_avoided"]) for p in pilots] == [
        ("pilot", "100.00", "2"), ("rest", "80.00", "0")]


@pytest.mark.parametrize(("args", "says"), [
    (["--period", "2026-13"], "--period"),
    (["--period", "2026-11", "--format", "xml"], "--format 'xml'"),
    (["--period", "2026-11", "--config", STORIES], "no authority section"),
])
def test_mistakes_are_one_line(args: list[str], says: str) -> None:
    result = sla("report", "authority", *args)
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output


def test_flag_dry_run_shows_ann_and_publishes_nothing(recorded, monkeypatch) -> None:
    ledger, policy = recorded
    published: list = []
    monkeypatch.setattr("sla_police.command_bus.KafkaCommandBus.publish",
                        lambda self, e: published.append(e))
    result = sla("authority", "flag", "--period", "2026-11", "--dry-run", "--config", policy,
                 "--database-url", url_of(ledger))
    assert result.exit_code == 0, result.output
    assert "ann" in result.stdout and "dry run: nothing published" in result.stdout
    assert published == []


def test_flag_without_a_cluster_says_so(recorded) -> None:
    ledger, policy = recorded
    result = sla("authority", "flag", "--period", "2026-11", "--config", policy,
                 "--database-url", url_of(ledger), env={"SLA_KAFKA_BOOTSTRAP": ""})
    assert result.exit_code == 1 and "SLA_KAFKA_BOOTSTRAP is not set" in result.output


def test_flagging_twice_publishes_the_same_ids_and_the_ledger_keeps_one(
        recorded, monkeypatch) -> None:
    ledger, policy = recorded
    published: list = []

    async def publish(self, event) -> None:
        published.append(event)

    async def close(self) -> None:
        return None

    monkeypatch.setattr("sla_police.command_bus.KafkaCommandBus.publish", publish)
    monkeypatch.setattr("sla_police.command_bus.KafkaCommandBus.close", close)
    for _ in range(2):
        result = sla("authority", "flag", "--period", "2026-11", "--config", policy,
                     "--database-url", url_of(ledger), env={"SLA_KAFKA_BOOTSTRAP": "k:9092"})
        assert result.exit_code == 0, result.output
        assert "published 1 authority.flagged to topic authority" in result.stdout
    assert [(e.type, e.subject) for e in published] == [("authority.flagged", "ann")] * 2
    assert published[0].id == published[1].id
    ledger.record(published)  # what the ledger sink does when they come back
    report = authority_report(ledger.engine, "2026-11", ZoneInfo("Asia/Shanghai"),
                              PolicyView(CONFIG.authority), datetime.now(UTC))
    assert [f.raised for f in report.flags] == [True]
