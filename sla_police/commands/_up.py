"""``sla-police up``: broker + worker + API (+ demo traffic) in one process tree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from sla_police.settings import Settings

__all__ = ["ApiChoice", "on_embedded_broker", "run_up"]


@dataclass(frozen=True, slots=True)
class ApiChoice:
    """Whether ``up`` starts the API beside the worker, and on which port."""

    enabled: bool = True
    port: int | None = None  # None: SLA_API_PORT


def run_up(settings: Settings, *, demo: bool, speed: float,
           api: ApiChoice = ApiChoice()) -> None:
    """Run until Ctrl-C or SIGTERM, then stop the API child and the embedded broker."""
    from sla_police.broker import ensure_inbound_topics
    from sla_police.commands._common import load_config_or_exit
    from sla_police.logs import configure_logging
    from sla_police.worker import create_worker_app, run_faust

    console = Console(soft_wrap=True)
    level = _log_level(settings, quiet=demo)
    configure_logging(level)
    config = load_config_or_exit(settings.config)
    demo_principals: list = []
    if demo and api.enabled:
        settings, demo_principals = _demo_principals(settings, config)
    api_process = None
    settings, broker = _start_broker(console, settings)
    try:
        ensure_inbound_topics(settings.kafka_bootstrap or "", settings.topic_partitions)
        if api.enabled:
            api_process = _start_api(settings, config, api, level)
        app, pipeline = create_worker_app(settings)
        if api_process is not None:
            _wait_for_api(api_process)
        _print_where_to_look(console, settings, api_process, demo_principals)
        if demo:
            from sla_police.demo_live import attach_demo

            attach_demo(app, settings, console, speed=speed)
        run_faust(app, level)
    finally:
        if api_process is not None:
            api_process.stop()
        if broker is not None:
            broker.stop()


def _start_broker(console: Console, settings: Settings):
    """The embedded broker when no cluster is configured (else None), and the settings
    pointing at it."""
    from sla_police.broker import BrokerError, EmbeddedBroker
    from sla_police.commands._common import fail

    if settings.kafka_bootstrap is not None:
        return settings, None
    broker = EmbeddedBroker(log_path=settings.data_dir / "broker.log")
    try:
        bootstrap = broker.start()
    except BrokerError as exc:
        fail(str(exc))
    settings = on_embedded_broker(settings, bootstrap)
    console.print(f"[bold]broker[/]   embedded Kafka (Tansu, memory only) at {bootstrap}")
    _forget_local_state(console, settings)
    return settings, broker


def on_embedded_broker(settings: Settings, bootstrap: str) -> Settings:
    """``settings`` pointed at the embedded broker at ``bootstrap``, with its group timeouts
    (:data:`sla_police.broker.EMBEDDED_GROUP_TIMEOUTS`) where the user set none."""
    from sla_police.broker import EMBEDDED_GROUP_TIMEOUTS

    chosen = {name: value for name, value in EMBEDDED_GROUP_TIMEOUTS.items()
              if name not in settings.model_fields_set}
    return settings.model_copy(update={"kafka_bootstrap": bootstrap, **chosen})


def _log_level(settings: Settings, *, quiet: bool) -> str:
    """The demo's console is for the demo: its workers log warnings only, unless asked."""
    return "WARNING" if quiet and settings.log_level == "INFO" else settings.log_level


def _forget_local_state(console: Console, settings: Settings) -> None:
    """A new embedded broker starts empty: table state kept on disk by an earlier run
    describes topics that no longer exist (Faust would refuse to start), so drop it."""
    import shutil

    state = settings.data_dir / "faust"
    if state.exists():
        shutil.rmtree(state)
        console.print(f"[bold]state[/]    cleared {state} (the embedded broker keeps nothing "
                      "between runs)")


def _demo_principals(settings: Settings, config) -> tuple[Settings, list]:
    """Fresh demo principals in their own file under the data dir; the worker's ticket
    view and the API both use that file for this run."""
    from datetime import UTC, datetime

    from sla_police.demo_access import DEMO_PRINCIPALS_FILE, write_demo_principals

    path = settings.data_dir / DEMO_PRINCIPALS_FILE
    made = write_demo_principals(path, config.departments, datetime.now(UTC))
    return settings.model_copy(update={"principals": path}), made


def _start_api(settings: Settings, config, api: ApiChoice, level: str):
    """Migrate the ledger (the API refuses an unmigrated one, and the worker's sink would
    only migrate once it runs), then launch ``sla-police api`` on the worker's stores."""
    from api.principals import write_principals
    from ledger import Ledger, LedgerError
    from sla_police.api_process import ApiProcess, ApiTarget
    from sla_police.commands._common import fail

    if not Path(settings.principals).exists():  # no token yet: the API answers 401 until
        write_principals(Path(settings.principals), [])  # `api token create` adds one
    try:
        with Ledger(settings.database_url, timezone=config.timezone) as ledger:
            ledger.migrate()
    except LedgerError as exc:
        fail(str(exc))
    except Exception as exc:  # unreachable server, bad URL: one line, no traceback
        fail(f"cannot open the ledger: {type(exc).__name__}: {exc}".splitlines()[0])
    target = ApiTarget(host=settings.api_host, port=api.port or settings.api_port,
                       database_url=settings.database_url, config=settings.config,
                       principals=settings.principals,
                       kafka_bootstrap=settings.kafka_bootstrap or "",
                       data_dir=settings.data_dir, log_level=level, clock=settings.clock)
    return ApiProcess(target, settings.data_dir / "api.log").start()


def _wait_for_api(api_process) -> None:
    from sla_police.api_process import ApiProcessError
    from sla_police.commands._common import fail

    try:
        api_process.wait_ready()
    except ApiProcessError as exc:
        fail(f"{exc}\n(--api-port N picks another port; --no-api runs without the API)")


def _print_where_to_look(console: Console, settings: Settings, api_process,
                         demo_principals: list) -> None:
    base = f"http://{settings.web_host}:{settings.web_port}"
    console.print(f"[bold]worker[/]   {settings.app_id}, clock={settings.clock}, "
                  f"state in {settings.data_dir}/faust")
    console.print(f"[bold]web[/]      {base}/metrics   {base}/health   "
                  f"{base}/tickets/<ticket-id>/ (operators' bearer token)")
    if api_process is not None:
        _print_api(console, api_process, demo_principals)
    console.print(f"[bold]publish[/]  SLA_KAFKA_BOOTSTRAP={settings.kafka_bootstrap} "
                  "sla-police publish events.jsonl")
    console.print("Ctrl-C stops everything.")


def _print_api(console: Console, api_process, demo_principals: list) -> None:
    """The API's URLs and, in the demo, each principal's token (shown here only)."""
    from sla_police.demo_access import signin_link

    target = api_process.target
    base = target.base_url
    console.print(f"[bold]api[/]      {base}/api/v1   docs {base}/docs   "
                  f"OpenAPI {base}/openapi.json   log {api_process.log_path}")
    console.print(f"[bold]status[/]   {base}/")
    if not demo_principals:
        console.print(f"[bold]tokens[/]   principals in {target.principals} (re-read on "
                      "change): sla-police api token create --name N --role R")
        return
    from api.principals import Role

    executive = next(p for p in demo_principals if p.role is Role.EXECUTIVE)
    console.print(f"[bold]sign in[/]  {escape(signin_link(base, executive.token))}  "
                  f"(as {executive.name})", highlight=False)
    console.print(f"[bold]tokens[/]   shown only now (the file keeps hashes: "
                  f"{Path(target.principals)}):")
    for p in demo_principals:
        role = p.role.value + (f" {p.department}" if p.department else "")
        console.print(f"  {p.name:<22} {role:<22} {escape(p.token)}", highlight=False)
