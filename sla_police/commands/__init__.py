"""One module per command group; each exposes ``register(app)``."""

from sla_police.commands import (
    api,
    broker,
    config,
    demo,
    ledger,
    publish,
    replay,
    report,
    schemas,
    simulate,
    simulate_calls,
    stream,
)

COMMAND_MODULES = (stream, broker, simulate, simulate_calls, publish, schemas, config, replay,
                   ledger, report, api, demo)
__all__ = ["COMMAND_MODULES"]
