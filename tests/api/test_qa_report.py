"""QA compliance per agent and team over a span of days: ``sla-police report qa`` and
``GET /api/v1/reports/qa`` on the same ledger (60 simulated days of calls, half the QA
items reviewed) give the same figures, and those equal a count made here from the
``qa.item_opened`` and ``qa.reviewed`` events themselves."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import ApiSettings, create_app, departments_of
from sla_police.cli import app as cli
from tests.api.conftest import CONFIG, CONFIG_PATH, FakePublisher, Principals, bearer
from tests.api.test_calls_report import SPEC, ZONE, story  # noqa: F401 (the ledger)

FIRST, LAST = date(2026, 10, 10), date(2026, 11, 20)


def _share(compliant: int, reviewed: int) -> str | None:
    return None if not reviewed else str((Decimal(compliant) / reviewed).quantize(
        Decimal("0.0001")))


def _expected(outputs, verdicts) -> dict:
    """The report counted here: items of calls ended in [FIRST, LAST] local days."""
    since = datetime.combine(FIRST, datetime.min.time(), tzinfo=ZONE)
    until = datetime.combine(LAST + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    verdict = {v.data.qa_id: v.data.verdict for v in verdicts}
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in outputs:
        if e.type != "qa.item_opened" or not since <= e.data.ended_at < until:
            continue
        said = verdict.get(e.data.qa_id)
        for key in ((e.data.team, e.data.agent), (e.data.team, None), ("all", None)):
            counts[key][0] += 1
            counts[key][1] += said is not None
            counts[key][2] += said == "compliant"

    def row(key: tuple[str, str | None]) -> dict:
        items, reviewed, compliant = counts[key]
        return {"team": key[0], "agent": key[1], "items": items, "reviewed": reviewed,
                "compliant": compliant, "share": _share(compliant, reviewed),
                "open": items - reviewed}

    keys = sorted((k for k in counts if k[0] != "all"), key=lambda k: (k[0], k[1] or ""))
    return {"from": FIRST.isoformat(), "to": LAST.isoformat(), "timezone": SPEC.qa.timezone,
            "agents": [row(k) for k in keys if k[1] is not None],
            "teams": [row(k) for k in keys if k[1] is None], "total": row(("all", None))}


def _api(url: str, principals: Principals) -> TestClient:
    return TestClient(create_app(ApiSettings(
        database_url=url, principals_path=principals.path, publisher=FakePublisher(),
        departments=departments_of(CONFIG), calls=SPEC)))


def _cli(url: str, *args: str):
    return CliRunner().invoke(cli, ["report", "qa", "--from", FIRST.isoformat(), "--to",
                                    LAST.isoformat(), "--database-url", url,
                                    "--config", str(CONFIG_PATH), *args])


def test_the_cli_and_the_api_agree_with_a_count_of_the_events(
        story, principals: Principals) -> None:  # noqa: F811
    url, _, outputs, verdicts, _ = story
    expected = _expected(outputs, verdicts)
    result = _cli(url, "--format", "json")
    assert result.exit_code == 0, result.output
    with _api(url, principals) as client:
        answer = client.get(f"/api/v1/reports/qa?from={FIRST}&to={LAST}",
                            headers=bearer(principals, "ceo"))
    assert answer.status_code == 200, answer.text
    assert json.loads(result.stdout) == answer.json() == expected
    # a story with something to judge: several agents and teams, reviewed and open items
    assert len(expected["agents"]) > 2 and len(expected["teams"]) > 1
    assert 0 < expected["total"]["reviewed"] < expected["total"]["items"]
    assert 0 < expected["total"]["compliant"] < expected["total"]["reviewed"]


def test_the_table_and_the_csv(story) -> None:  # noqa: F811
    url = story[0]
    table = _cli(url)
    assert table.exit_code == 0, table.output
    assert "QA compliance of calls" in table.output and "(all)" in table.output
    lines = _cli(url, "--format", "csv").stdout.splitlines()
    assert lines[0] == "team,agent,items,reviewed,compliant,share,open"
    assert lines[-1].startswith("all,,")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "Monday", "--to", "2026-11-30"], "--from 'Monday'"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "is before from"),
    (["--from", "2025-01-01", "--to", "2026-11-01"], "at most 366 days"),
    (["--from", "2026-11-01", "--to", "2026-11-30", "--format", "xml"], "table, json or csv"),
    (["--from", "2026-11-01", "--to", "2026-11-30", "--out", "x.csv"], "--out writes files"),
])
def test_a_wrong_option_is_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["report", "qa", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_an_unmigrated_ledger_is_clear(tmp_path: Path) -> None:
    empty = CliRunner().invoke(cli, ["report", "qa", "--from", "2026-11-01", "--to",
                                     "2026-11-30", "--config", str(CONFIG_PATH),
                                     "--database-url", f"sqlite:///{tmp_path / 'none.db'}"])
    assert empty.exit_code == 1 and "sla-police ledger migrate" in empty.output


def test_the_api_refuses_a_wrong_span(story, principals: Principals) -> None:  # noqa: F811
    with _api(story[0], principals) as client:
        for query in ("from=2026-11-30&to=2026-11-01", "from=2026-11-01",
                      "from=2026-13-01&to=2026-11-30", "from=1000-01-01&to=1000-01-02"):
            answer = client.get(f"/api/v1/reports/qa?{query}",
                                headers=bearer(principals, "qa-auditor"))
            assert answer.status_code == 422, query
