"""Times put on the shared fixed-offset zones keep their fields and their offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, TypeAdapter

from sla.replay import shared_time

_PARSE = TypeAdapter(AwareDatetime).validate_python


@pytest.mark.parametrize("text", ["2026-11-02T00:01:07+08:00", "2026-11-02T00:01:07Z",
                                  "2026-11-02T00:01:07.5-05:30", "2026-11-02T00:01:07+00:00"])
def test_a_parsed_time_keeps_its_fields_on_one_shared_zone(text: str) -> None:
    parsed, again = _PARSE(text), _PARSE(text)
    assert parsed.tzinfo is not again.tzinfo  # pydantic gives each time its own
    shared = shared_time(parsed)
    offset = parsed.utcoffset()
    assert shared.replace(tzinfo=None) == parsed.replace(tzinfo=None)
    assert shared.utcoffset() == offset and shared.fold == parsed.fold
    assert shared.tzinfo is shared_time(again).tzinfo
    assert shared.tzinfo is (timezone(offset) if offset else UTC) or shared.tzinfo == timezone(
        offset)
    assert shared.isoformat() == parsed.isoformat()


def test_a_zone_whose_offset_changes_takes_the_offset_of_each_time() -> None:
    paris = ZoneInfo("Europe/Paris")
    summer, winter = datetime(2026, 7, 1, 12, tzinfo=paris), datetime(2026, 1, 1, 12, tzinfo=paris)
    assert shared_time(summer).utcoffset() == timedelta(hours=2)
    assert shared_time(winter).utcoffset() == timedelta(hours=1)
    assert shared_time(winter).replace(tzinfo=None) == datetime(2026, 1, 1, 12)
