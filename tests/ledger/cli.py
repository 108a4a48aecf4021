"""Running ``sla-police ledger ...`` in the tests, as a user would (typer's runner)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from ledger import Ledger
from sla_police.commands import ledger as ledger_commands

__all__ = ["CONFIG", "cli", "report_bytes", "run", "url_of"]

#: The example policy (Asia/Shanghai), named explicitly so the tests do not depend on cwd.
CONFIG = str(Path(__file__).resolve().parents[2] / "deploy" / "config" / "sla-police.yaml")


def cli() -> typer.Typer:
    """The CLI with only the ledger commands (the lead registers them in the real one)."""
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    ledger_commands.register(app)
    return app


def run(*args: str) -> Any:
    """``sla-police ledger *args``; the result has ``exit_code``, ``stdout``, ``stderr``."""
    return CliRunner().invoke(cli(), ["ledger", *args], catch_exceptions=False)


def url_of(ledger: Ledger) -> str:
    return ledger.engine.url.render_as_string(hide_password=False)


def report_bytes(ledger: Ledger, period: str, *options: str, out: Path | None = None) -> bytes:
    """The bytes of ``ledger report`` for ``period``: its standard output, or the file
    ``out`` it wrote (``--out`` is added)."""
    args = ["report", "--period", period, *options, "--config", CONFIG,
            "--database-url", url_of(ledger)]
    result = run(*args, *(["--out", str(out)] if out is not None else []))
    assert result.exit_code == 0, result.output
    return out.read_bytes() if out is not None else result.stdout_bytes
