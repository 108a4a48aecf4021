"""Where each event type's JSON Schema lives, and which of them are versioned.

A versioned type names its schema in the CloudEvents ``dataschema`` attribute of every
event, so a consumer (HR's payroll system) can tell which contract an event follows
without guessing from its fields. The schema file of that type has the same URI as its
``$id``. A new, incompatible version of a payload gets a new number here (and a model
of its own); adding an optional field keeps the version.
"""

from __future__ import annotations

__all__ = ["SCHEMA_BASE", "SCHEMA_VERSIONS", "dataschema_for", "schema_id"]

SCHEMA_BASE = "https://sla-police.internal/schemas/"

#: event type -> version of its schema, for the types whose events carry ``dataschema``.
SCHEMA_VERSIONS: dict[str, int] = {
    "penalty.assessed": 1,
    "penalty.reversed": 1,
}


def schema_id(event_type: str) -> str:
    """The ``$id`` of ``event_type``'s schema: versioned types have ``<type>/v<n>.json``."""
    version = SCHEMA_VERSIONS.get(event_type)
    if version is None:
        return f"{SCHEMA_BASE}{event_type}.json"
    return f"{SCHEMA_BASE}{event_type}/v{version}.json"


def dataschema_for(event_type: str) -> str | None:
    """The ``dataschema`` an event of ``event_type`` carries (None: not versioned)."""
    return schema_id(event_type) if event_type in SCHEMA_VERSIONS else None
