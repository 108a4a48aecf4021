"""``sla-police api``: serve the HTTP API; ``sla-police api token``: manage its principals.

The API reads the ledger (``SLA_DATABASE_URL``), knows principals by the token hashes in
``SLA_PRINCIPALS`` (default ``<SLA_DATA_DIR>/principals.yaml``) and publishes commands to
``SLA_KAFKA_BOOTSTRAP`` (unset: reads only, commands answer 503). docs/api.md has the
roles and examples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from sla_police.commands._common import fail, load_config_or_exit, wide_console

__all__ = ["register", "serve"]

_PRINCIPALS = typer.Option(None, "--principals", show_default=False,
                           help="principals file [default: SLA_PRINCIPALS]")


def register(app: typer.Typer) -> None:
    """Add the ``api`` command and its ``token`` group to the CLI."""
    api_app = typer.Typer(name="api", invoke_without_command=True,
                          help="The HTTP API: serve it, manage its tokens.")
    api_app.callback(invoke_without_command=True)(serve)
    token_app = typer.Typer(name="token", no_args_is_help=True,
                            help="Bearer tokens of the API's principals.")
    token_app.command("create")(create_token)
    token_app.command("list")(list_tokens)
    token_app.command("revoke")(revoke_token)
    api_app.add_typer(token_app, name="token")
    app.add_typer(api_app, name="api")


def _settings() -> Any:
    from pydantic import ValidationError

    from sla_police.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")


def serve(
    ctx: typer.Context,
    host: str = typer.Option(None, "--host", help="bind address [SLA_API_HOST, 127.0.0.1]"),
    port: int = typer.Option(None, "--port", min=1, max=65535,
                             help="port [SLA_API_PORT, 8080]"),
) -> None:
    """Serve the HTTP API until Ctrl-C (OpenAPI at /openapi.json, docs at /docs)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from sla_police.logs import configure_logging, get_logger

    settings = _settings()
    app = build_app(settings)
    configure_logging(settings.log_level)
    host, port = host or settings.api_host, port or settings.api_port
    get_logger("sla_police.api").info("api_starting", url=f"http://{host}:{port}",
                                      principals=str(settings.principals))
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=True,
                server_header=False)


def build_app(settings: Any) -> Any:
    """The API app of ``settings``, or exit with one line saying what is missing."""
    from api import ApiSettings, create_app
    from ledger import Ledger, LedgerError
    from sla_police.command_bus import KafkaCommandBus, NoCommandBus

    config = load_config_or_exit(settings.config)
    if not Path(settings.principals).is_file():
        fail(f"no principals file at {settings.principals}: create a token first with "
             "`sla-police api token create --name N --role R` (or set SLA_PRINCIPALS)")
    try:
        with Ledger(settings.database_url, timezone=config.timezone) as ledger:
            ledger.require_current()
    except LedgerError as exc:
        fail(str(exc))
    except Exception as exc:  # unreachable server, bad URL: one line, no traceback
        fail(f"cannot open the ledger: {type(exc).__name__}: {exc}".splitlines()[0])
    bus = (KafkaCommandBus(settings.kafka_bootstrap) if settings.kafka_bootstrap
           else NoCommandBus())
    extra = {}
    if settings.clock == "stream":  # a demo or replay: now is the stream's time, not today
        from sla_police.api_clock import StreamTime

        extra["clock"] = StreamTime(settings.database_url)
    return create_app(ApiSettings.for_policy(
        config, database_url=settings.database_url, principals_path=Path(settings.principals),
        publisher=bus, **extra))


def create_token(
    name: str = typer.Option(..., "--name", help="who holds the token, e.g. logistics-desk"),
    role: str = typer.Option(..., "--role",
                             help="department, hr, executive, contact_center, "
                                  "contact_center_lead (decides and lifts caller blocks), "
                                  "auditor (audit and QA queues, verdicts), ivr (asks whether a "
                                  "caller is blocked, nothing else) or admin"),
    department: str | None = typer.Option(None, "--department",
                                          help="the department (department role only)"),
    principals: Path | None = _PRINCIPALS,
) -> None:
    """Create a principal and print its token once, alone on the last line."""
    from api.principals import PrincipalError, Role, add_principal

    settings = _settings()
    try:
        chosen = Role(role)
    except ValueError:
        fail(f"--role {role!r}: use one of " + ", ".join(r.value for r in Role))
    if department is not None:
        known = load_config_or_exit(settings.config).departments
        if department not in known:
            fail(f"--department {department!r} is not in the policy; known: "
                 + ", ".join(sorted(known)))
    path = principals or Path(settings.principals)
    try:
        principal, token = add_principal(path, name, chosen, department, datetime.now(UTC))
    except (PrincipalError, OSError) as exc:
        fail(str(exc))
    scope = f", department {principal.department}" if principal.department else ""
    typer.echo(f"created principal {principal.name} (role {principal.role.value}{scope}) "
               f"in {path}")
    typer.echo("the token is shown only now; keep it secret:")
    typer.echo(token)


def list_tokens(principals: Path | None = _PRINCIPALS) -> None:
    """List the principals (never their tokens or hashes)."""
    from rich.table import Table

    from api.principals import PrincipalError, read_principals

    path = principals or Path(_settings().principals)
    try:
        found = read_principals(path)
    except PrincipalError as exc:
        fail(str(exc))
    table = Table(title=f"Principals in {path}")
    for column in ("name", "role", "department", "created"):
        table.add_column(column)
    for p in found:
        table.add_row(p.name, p.role.value, p.department or "", p.created_at)
    if not found:
        table.caption = "none yet: sla-police api token create --name N --role R"
    wide_console().print(table)


def revoke_token(
    name: str = typer.Option(..., "--name", help="the principal whose token stops working"),
    principals: Path | None = _PRINCIPALS,
) -> None:
    """Remove a principal: its token stops working on the API's next request."""
    from api.principals import PrincipalError, remove_principal

    path = principals or Path(_settings().principals)
    try:
        removed = remove_principal(path, name)
    except (PrincipalError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"revoked principal {removed.name} ({removed.role.value})")
