"""One module per command group; each exposes ``register(app)``."""

from sla_police.commands import (
    api,
    authority,
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
    whatif_authority,
)

COMMAND_MODULES = (stream, broker, simulate, simulate_calls, publish, schemas, config, replay,
                   ledger, report, authority, whatif_authority, api, demo)
__all__ = ["COMMAND_MODULES"]
