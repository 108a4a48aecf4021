"""Generate one JSON Schema file per event type into ``models/schemas/``.

The files are committed so that other teams can validate without Python; a test
fails when they drift from the models (``sla-police schemas --write`` refreshes).
"""

from __future__ import annotations

import json
from pathlib import Path

from models.parse import ALL_TYPES
from models.schema_ids import schema_id

__all__ = ["SCHEMA_DIR", "render_schemas", "stale_schemas", "write_schemas"]

SCHEMA_DIR = Path(__file__).parent / "schemas"


def render_schemas() -> dict[str, str]:
    """File name -> schema text, for every event type, deterministic bytes.

    Each file's ``$id`` is :func:`models.schema_ids.schema_id` of its type: for the
    versioned types, the URI their events carry as ``dataschema``.
    """
    out: dict[str, str] = {}
    for event_type, model in sorted(ALL_TYPES.items()):
        schema = model.model_json_schema(mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_id(event_type),
            **schema,
        }
        schema["properties"]["type"]["const"] = event_type
        out[f"{event_type}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files missing, different, or left over for a removed type."""
    wanted = render_schemas()
    present = {p.name for p in directory.glob("*.json")}
    stale = [n for n, t in wanted.items() if not (directory / n).is_file()
             or (directory / n).read_text(encoding="utf-8") != t]
    return sorted(stale + [n for n in present - wanted.keys()])


def write_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Write every schema, delete left-overs; return the names that changed."""
    changed = stale_schemas(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = render_schemas()
    for name in changed:
        path = directory / name
        if name in wanted:
            path.write_text(wanted[name], encoding="utf-8")
        else:
            path.unlink()
    return changed
