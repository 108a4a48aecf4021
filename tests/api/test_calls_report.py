"""Judging the calls policy after a month: ``sla-police report calls`` and
``GET /api/v1/reports/calls`` on the same ledger give the same figures, and those equal an
independent computation here from the simulated events themselves (calls, blocks, QA
verdicts, complaints by the same pseudonym)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import ApiSettings, create_app, departments_of
from ledger import Ledger
from models import CloudEvent
from models.calls import QaReviewed
from models.examples import example
from models.parse import parse_event
from sla.calls_replay import replay_calls
from sla_police.cli import app as cli
from sla_police.simulator.calls import CallsOptions, simulate_calls
from tests.api.conftest import CONFIG, CONFIG_PATH, FakePublisher, Principals, bearer

SPEC = CONFIG.calls
assert SPEC is not None
CHANGE, WINDOW = date(2026, 11, 1), timedelta(days=20)
OPTIONS = CallsOptions(days=60, seed=5, start=CHANGE - timedelta(days=40), change=CHANGE,
                       calls_per_day=80)
ZONE = ZoneInfo(SPEC.qa.timezone)


def _verdict(qa_id: str) -> str:
    return "compliant" if hashlib.sha256(qa_id.encode()).digest()[0] < 200 else "non_compliant"


def _complaint(n: int, customer: str, at: datetime) -> CloudEvent:
    raw = example("sla.attributed")
    raw.update(id=f"attr-{n}", subject=f"T-CALLS-{n}", time=at.isoformat())
    raw["data"].update(customer_ref=customer, attributed_at=at.isoformat())
    parsed = parse_event(json.dumps(raw), accept="any")
    assert isinstance(parsed, CloudEvent), parsed
    return parsed


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory):
    """The ledger of a simulated 60 days, the events behind it, and its URL."""
    events = list(simulate_calls(OPTIONS))
    result = replay_calls(events, SPEC)
    outputs = result.outputs
    verdicts = [QaReviewed(id=f"v-{e.data.qa_id}", source="qa", time=e.time + timedelta(days=1),
                           subject=e.subject, data={"qa_id": e.data.qa_id, "inspector": "qa-1",
                                                    "verdict": _verdict(e.data.qa_id)})
                for e in outputs if e.type == "qa.item_opened"][::2]  # half reviewed
    first = {}
    for e in outputs:
        if e.type == "caller.blocked":
            first.setdefault(e.subject, e.data.blocked_at)
    blocked = sorted(first)
    complaints = [_complaint(1, blocked[0], first[blocked[0]] + timedelta(days=2)),  # counts
                  _complaint(2, blocked[1], first[blocked[1]] - timedelta(days=2)),  # before
                  _complaint(3, "c-000001", datetime(2026, 11, 5, tzinfo=ZONE))]  # never blocked
    url = f"sqlite:///{tmp_path_factory.mktemp('calls-report') / 'ledger.db'}"
    with Ledger(url, timezone=CONFIG.timezone) as ledger:
        ledger.migrate()
        ledger.record_calls([*result.inputs, *outputs, *verdicts])
        ledger.record(complaints)
    return url, events, outputs, verdicts, complaints


def _expected(events, outputs, verdicts, complaints) -> dict:
    """The report computed here, from the events, without sla.calls_change."""
    change = datetime(CHANGE.year, CHANGE.month, CHANGE.day, tzinfo=ZONE)
    calls = [e for e in events if e.type == "call.ended"]
    spans = {e.data.block_id: [e.subject, e.data.blocked_at, None]
             for e in outputs if e.type == "caller.blocked"}
    for e in outputs:
        if e.type == "caller.unblocked":
            spans[e.data.block_id][2] = e.data.at
    ended = {e.data.qa_id: e.data.ended_at for e in outputs if e.type == "qa.item_opened"}
    verdict = {v.data.qa_id: v.data.verdict for v in verdicts}
    first_block = {}
    for caller, start, _ in sorted(spans.values(), key=lambda s: s[1]):
        first_block.setdefault(caller, start)
    complained = {c.data.customer_ref for c in complaints
                  if c.data.customer_ref in first_block
                  and c.data.attributed_at > first_block[c.data.customer_ref]}

    def figures(start: datetime, end: datetime) -> dict:
        mine = [c for c in calls if start <= c.time < end]
        scores = [c.data.csat for c in mine if c.data.csat is not None]
        agent = sum(c.data.ended_by == "agent" for c in mine)
        customer = sum(c.data.ended_by == "customer" for c in mine)
        reviewed = [verdict[q] for q, at in ended.items() if q in verdict and start <= at < end]
        blocked = {caller for caller, s, e in spans.values()
                   if s < end and (e is None or e > start)}
        seconds = 0.0
        for caller in blocked:
            before = [c.data.duration_seconds for c in calls if c.subject == caller
                      and start - WINDOW <= c.time < start]
            taken = sum(1 for c in mine if c.subject == caller)
            if before:
                seconds += max(0, len(before) - taken) * sum(before) / len(before)
        share = round(agent / (agent + customer), 4)
        compliant = sum(v == "compliant" for v in reviewed)
        return {"start": start, "end": end, "calls": len(mine),
                "csat": round(sum(scores) / len(scores), 2), "csat_count": len(scores),
                "agent_hangups": agent, "customer_hangups": customer, "agent_share": share,
                "in_band": SPEC.agent_share[0] <= share <= SPEC.agent_share[1],
                "qa_reviewed": len(reviewed), "qa_compliant": compliant,
                "qa_compliance": round(compliant / len(reviewed), 4),
                "blocked_callers": len(blocked), "minutes_released": round(seconds / 60, 2),
                "blocked_who_complained": len(blocked & complained)}

    return {"change": CHANGE, "window_days": WINDOW.days, "band": list(SPEC.agent_share),
            "before": figures(change - WINDOW, change), "after": figures(change, change + WINDOW)}


def _normal(value):
    """JSON values with times as instants (the API writes UTC, the test local times)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > 18 and value[10] == "T":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return date.fromisoformat(value)
    return value


def test_the_cli_and_the_api_agree_with_an_independent_computation(
        story, principals: Principals) -> None:
    url, events, outputs, verdicts, complaints = story
    expected = _expected(events, outputs, verdicts, complaints)
    result = CliRunner().invoke(cli, ["report", "calls", "--change", "2026-11-01", "--window",
                                      "20d", "--format", "json", "--database-url", url,
                                      "--config", str(CONFIG_PATH)])
    assert result.exit_code == 0, result.output
    settings = ApiSettings(database_url=url, principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           calls=SPEC)
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/v1/reports/calls?change=2026-11-01&window=20d",
                            headers=bearer(principals, "cc-head"))
    assert answer.status_code == 200, answer.text
    assert _normal(json.loads(result.stdout)) == _normal(answer.json()) == expected
    # the story is the one the policy change is about
    before, after = expected["before"], expected["after"]
    assert before["agent_share"] < 0.2 < after["agent_share"]
    assert before["blocked_callers"] == 0 < after["blocked_callers"]
    assert after["minutes_released"] > 0 and after["blocked_who_complained"] == 1


def test_the_table_and_the_csv(story) -> None:
    url = story[0]
    base = ["report", "calls", "--change", "2026-11-01", "--window", "20d",
            "--database-url", url, "--config", str(CONFIG_PATH)]
    table = CliRunner().invoke(cli, base)
    assert table.exit_code == 0, table.output
    assert "agent share of hang-ups" in table.output and "minutes released" in table.output
    csv = CliRunner().invoke(cli, [*base, "--format", "csv"])
    rows = dict(line.split(",", 1) for line in csv.stdout.splitlines())
    assert rows["figure"] == "before,after" and "blocked_who_complained" in rows


@pytest.mark.parametrize(("args", "message"), [
    (["--change", "next week"], "--change 'next week'"),
    (["--change", "2026-11-01", "--window", "1m"], "whole days like 30d"),
    (["--change", "2026-11-01", "--window", "999d"], "1d to 366d"),
    (["--change", "2026-11-01", "--format", "xml"], "table, json or csv"),
    (["--change", "2026-11-01", "--out", "x.csv"], "--out writes files"),
])
def test_a_wrong_option_is_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["report", "calls", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_an_unmigrated_ledger_and_a_policy_without_calls_are_clear(tmp_path: Path) -> None:
    empty = CliRunner().invoke(cli, ["report", "calls", "--change", "2026-11-01",
                                     "--database-url", f"sqlite:///{tmp_path / 'none.db'}",
                                     "--config", str(CONFIG_PATH)])
    assert empty.exit_code == 1 and "sla-police ledger migrate" in empty.output
    policy = tmp_path / "no-calls.yaml"
    text = CONFIG_PATH.read_text()
    policy.write_text(text[:text.index("\ncalls:")] + "\n")
    bare = CliRunner().invoke(cli, ["report", "calls", "--change", "2026-11-01",
                                    "--config", str(policy)])
    assert bare.exit_code == 1 and "no calls section" in bare.output, bare.output


def test_the_api_refuses_a_wrong_window(story, principals: Principals) -> None:
    settings = ApiSettings(database_url=story[0], principals_path=principals.path,
                           publisher=FakePublisher(), departments=departments_of(CONFIG),
                           calls=SPEC)
    with TestClient(create_app(settings)) as client:
        for query, field in (("change=2026-11-01&window=999d", "window"),
                             ("change=2026-13-01", "change"), ("window=30d", "change")):
            answer = client.get(f"/api/v1/reports/calls?{query}",
                                headers=bearer(principals, "ceo"))
            assert answer.status_code == 422, query
            assert answer.json()["detail"][0]["loc"] == ["query", field]
