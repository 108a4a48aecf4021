"""``GET /api/v1/payroll/{period}.csv`` and ``.xlsx``: a month's payroll as HR downloads it.

The bytes are what ``sla-police ledger report --format csv|xlsx`` writes for the same
month and options: both call :mod:`ledger.export` on :mod:`ledger.payroll`'s rows, so a
closed month's download never changes. HR and executives (read only) may download; a
department, the contact center and admin get 403. The month's state (``closed``: final,
``open``: may still change) is in the ``X-Period-Status`` header.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy import Engine

from api.auth import allow
from api.principals import Principal, Role
from api.routes._common import AUTH_ERRORS, PERIOD_PATTERN, engine_of, settings_of
from api.settings import ApiSettings
from ledger import payroll_lines, payroll_totals
from ledger.export import payroll_csv, payroll_xlsx
from ledger.periods import closed_periods

__all__ = ["CSV_TYPE", "PAYROLL_READERS", "XLSX_TYPE", "payroll_download", "router"]

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(prefix="/payroll", tags=["payroll"])
PAYROLL_READERS = (Role.HR, Role.EXECUTIVE)
_PERIOD = Path(..., pattern=PERIOD_PATTERN, description="the month, e.g. 2026-11")
_BY = Query("department", description="rows per department, or per department and employee")


def _file(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {**AUTH_ERRORS, 200: {
        "description": f"{what}, as an attachment (Content-Disposition names the file); "
                       "X-Period-Status says whether the month is closed",
        "content": {media_type.split(";")[0]: {"schema": {"type": "string",
                                                          "format": "binary"}}}}}


def _read(engine: Engine, period: str, by: str, with_lines: bool) -> tuple[list, list, str]:
    """The month's totals, its lines (when asked) and ``closed`` or ``open``."""
    totals = payroll_totals(engine, period, by)  # type: ignore[arg-type]
    lines = payroll_lines(engine, period) if with_lines else []
    with engine.connect() as conn:
        state = "closed" if period in closed_periods(conn) else "open"
    return totals, lines, state


def _download(body: bytes, media_type: str, name: str, state: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Period-Status": state})


@router.get("/{period}.csv", response_class=Response, responses=_file(CSV_TYPE, "RFC 4180 CSV"),
            summary="A month's payroll as CSV (the summary, or with detail=true every line)")
def payroll_as_csv(
    period: str = _PERIOD,
    by: Literal["department", "employee"] = _BY,
    detail: bool = Query(False, description="one row per penalty, reversal or adjustment"),
    excel: bool = Query(False, description="a UTF-8 byte order mark first, for Excel"),
    _reader: Principal = Depends(allow(*PAYROLL_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> Response:
    return _csv(engine, settings, period, by, detail, excel)


def _csv(engine: Engine, settings: ApiSettings, period: str, by: str, detail: bool,
         excel: bool) -> Response:
    totals, lines, state = _read(engine, period, by, detail)
    body = payroll_csv(totals, lines, period, by, ZoneInfo(settings.timezone), detail=detail,
                       bom=excel)
    name = f"payroll-{period}-" + ("detail" if detail else f"by-{by}") + ".csv"
    return _download(body, CSV_TYPE, name, state)


def _xlsx(engine: Engine, settings: ApiSettings, period: str, by: str) -> Response:
    totals, lines, state = _read(engine, period, by, True)
    body = payroll_xlsx(totals, lines, period, by, ZoneInfo(settings.timezone))
    return _download(body, XLSX_TYPE, f"payroll-{period}-by-{by}.xlsx", state)


def payroll_download(engine: Engine, settings: ApiSettings, period: str, kind: str, *,
                     detail: bool = False) -> Response:
    """The download ``GET /{period}.{kind}`` gives (by department) for the status page's
    links; ValueError on a month or a kind that is not one."""
    if not re.fullmatch(PERIOD_PATTERN, period) or kind not in ("csv", "xlsx"):
        raise ValueError(f"no payroll file {period}.{kind}: ask for <month>.csv or .xlsx")
    if kind == "csv":
        return _csv(engine, settings, period, "department", detail, False)
    return _xlsx(engine, settings, period, "department")


@router.get("/{period}.xlsx", response_class=Response,
            responses=_file(XLSX_TYPE, "an xlsx workbook: a summary and a detail sheet"),
            summary="A month's payroll as an xlsx workbook (summary and detail sheets)")
def payroll_as_xlsx(
    period: str = _PERIOD,
    by: Literal["department", "employee"] = _BY,
    _reader: Principal = Depends(allow(*PAYROLL_READERS)),
    engine: Engine = Depends(engine_of),
    settings: ApiSettings = Depends(settings_of),
) -> Response:
    return _xlsx(engine, settings, period, by)
