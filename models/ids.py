"""Deterministic ids for outbound events, so reprocessing never mints a new one."""

from __future__ import annotations

import uuid

__all__ = ["NAMESPACE", "derived_id"]

#: Fixed namespace of SLA Police ids (uuid5 of the project name).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "sla-police.internal")


def derived_id(*parts: object) -> str:
    """A stable UUID string from its parts, e.g. (ticket, department, metric, cycle, kind).

    ``None`` parts are written as an empty field, so ('a', None) != ('a', 'None').
    """
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return str(uuid.uuid5(NAMESPACE, text))
