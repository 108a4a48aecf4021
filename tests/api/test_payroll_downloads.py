"""HR downloads a month's payroll from the API, and gets the very bytes ``sla-police ledger
report`` writes for the same month and options (CSV, detail, Excel's BOM, xlsx), with a
file name; a bad month or grouping is 422 on the field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from sla_police.cli import app as cli
from tests.api.conftest import CONFIG_PATH, Fixture, Principals, bearer


def _cli_report(fixture: Fixture, *options: str, out: Path | None = None) -> bytes:
    args = ["ledger", "report", "--period", fixture.period, "--config", str(CONFIG_PATH),
            "--database-url", fixture.database_url, *options]
    result = CliRunner().invoke(cli, args + (["--out", str(out)] if out else []))
    assert result.exit_code == 0, result.output
    return out.read_bytes() if out else result.stdout_bytes


@pytest.mark.parametrize(("query", "options", "name"), [
    ("", ["--format", "csv"], "payroll-{period}-by-department.csv"),
    ("?by=employee", ["--format", "csv", "--by", "employee"],
     "payroll-{period}-by-employee.csv"),
    ("?detail=true&excel=true", ["--format", "csv", "--detail", "--excel"],
     "payroll-{period}-detail.csv"),
], ids=["by department", "by employee", "detail for Excel"])
def test_the_csv_download_is_the_clis_report(query: str, options: list[str], name: str,
                                             client: TestClient, principals: Principals,
                                             ledger_fixture: Fixture) -> None:
    period = ledger_fixture.period
    response = client.get(f"/api/v1/payroll/{period}.csv{query}",
                          headers=bearer(principals, "hr-payroll"))
    assert response.status_code == 200, response.text
    assert response.content == _cli_report(ledger_fixture, *options)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{name.format(period=period)}"')
    assert response.headers["x-period-status"] == "open"
    assert response.content.count(b"\r\n") > 3


def test_the_xlsx_download_is_the_clis_workbook(client: TestClient, principals: Principals,
                                                ledger_fixture: Fixture,
                                                tmp_path: Path) -> None:
    period = ledger_fixture.period
    response = client.get(f"/api/v1/payroll/{period}.xlsx?by=employee",
                          headers=bearer(principals, "ceo"))
    assert response.status_code == 200, response.text
    expected = _cli_report(ledger_fixture, "--format", "xlsx", "--by", "employee",
                           out=tmp_path / "payroll.xlsx")
    assert response.content == expected
    assert response.headers["content-disposition"] == (
        f'attachment; filename="payroll-{period}-by-employee.xlsx"')
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Summary", "Detail"]


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/payroll/2026-13.csv", ["path", "period"]),
    ("/api/v1/payroll/november.xlsx", ["path", "period"]),
    ("/api/v1/payroll/2026-11.csv?by=team", ["query", "by"]),
    ("/api/v1/payroll/2026-11.xlsx?by=assignee", ["query", "by"]),
])
def test_a_bad_month_or_grouping_is_refused_on_the_field(url: str, field: list[str],
                                                         client: TestClient,
                                                         principals: Principals) -> None:
    response = client.get(url, headers=bearer(principals, "hr-payroll"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == field
