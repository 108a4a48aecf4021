"""The ``sla-police`` command line. Each command lives in its own module under
:mod:`sla_police.commands` and registers itself; heavy imports stay inside the
command bodies so ``--help`` is instant."""

from __future__ import annotations

import typer

from sla_police.commands import COMMAND_MODULES

__all__ = ["app", "main"]

app = typer.Typer(
    name="sla-police",
    help="Internal SLA accountability for contact centers: attribution, SLA clocks, "
    "breaches and penalties on Kafka.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Internal SLA accountability for contact centers. Settings come from SLA_* variables."""


for module in COMMAND_MODULES:
    module.register(app)


def main() -> None:
    app()
