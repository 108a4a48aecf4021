"""Derived ids are standard UUIDv5 values and depend on every part."""

import uuid

from models.ids import NAMESPACE, derived_id


def test_derived_id_is_the_standard_uuid5() -> None:
    for parts in [("T-1", "logistics", "resolve", 1, "breached"), ("x",), ("物流", None, 3)]:
        text = "\x1f".join("" if p is None else str(p) for p in parts)
        assert derived_id(*parts) == str(uuid.uuid5(NAMESPACE, text))


def test_every_part_matters() -> None:
    base = derived_id("T-1", "logistics", "resolve", 1, "breached")
    assert base != derived_id("T-1", "logistics", "resolve", 2, "breached")
    assert base != derived_id("T-1", "billing", "resolve", 1, "breached")
    assert derived_id("a", None) != derived_id("a", "None")
