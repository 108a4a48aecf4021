"""``sla-police schemas``: show or regenerate the event contract's JSON Schemas."""

from __future__ import annotations

import typer
from rich.console import Console


def register(app: typer.Typer) -> None:
    app.command("schemas")(schemas)


def schemas(
    write: bool = typer.Option(False, "--write", help="rewrite models/schemas/ from the models"),
) -> None:
    """Check (default) or rewrite the JSON Schemas generated from the event models."""
    from models.schemas import SCHEMA_DIR, stale_schemas, write_schemas

    console = Console()
    if write:
        changed = write_schemas()
        console.print(f"wrote {len(changed)} schema file(s) in {SCHEMA_DIR}")
        return
    stale = stale_schemas()
    if stale:
        names = ", ".join(stale)
        console.print(f"[red]stale schemas:[/] {names}; run `sla-police schemas --write`")
        raise typer.Exit(1)
    console.print(f"schemas in {SCHEMA_DIR} are up to date")
