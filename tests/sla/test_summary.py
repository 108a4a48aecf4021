"""Department figures: what counts, and a row for every department an outcome names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from models import PenaltyAssessed, SlaChargeSettled, SlaClocksChanged, SlaMet
from models.outbound import ChargeSettledData, ClocksChangedData, MetData, PenaltyData
from sla.summary import DepartmentFigures, summarise

AT = datetime(2026, 11, 2, tzinfo=UTC)


def test_counted_outcomes_add_up_and_others_only_name_their_department() -> None:
    outputs = [
        SlaMet.model_construct(data=MetData.model_construct(department="billing")),
        SlaMet.model_construct(data=MetData.model_construct(department="billing")),
        PenaltyAssessed.model_construct(data=PenaltyData.model_construct(
            department="billing", fine=Decimal("12.50"), points=2)),
        SlaClocksChanged.model_construct(data=ClocksChangedData.model_construct(
            department="logistics")),
        SlaChargeSettled.model_construct(data=ChargeSettledData.model_construct(
            department="billing")),
        SlaClocksChanged.model_construct(data=ClocksChangedData.model_construct(
            department=None)),
    ]
    figures = summarise(outputs)
    assert list(figures) == ["billing", "logistics"]
    assert figures["billing"] == DepartmentFigures(
        "billing", met=2, penalties=1, fines=Decimal("12.50"), points=2)
    assert figures["logistics"] == DepartmentFigures("logistics")
