"""``sla-police up``: broker + worker (+ demo traffic) in one process tree."""

from __future__ import annotations

from rich.console import Console

from sla_police.settings import Settings

__all__ = ["run_up"]


def run_up(settings: Settings, *, demo: bool, speed: float) -> None:
    from sla_police.broker import BrokerError, EmbeddedBroker, ensure_inbound_topics
    from sla_police.commands._common import fail, load_config_or_exit
    from sla_police.logs import configure_logging
    from sla_police.worker import create_worker_app, run_faust

    console = Console()
    level = _log_level(settings, quiet=demo)
    configure_logging(level)
    load_config_or_exit(settings.config)
    broker = None
    if settings.kafka_bootstrap is None:
        broker = EmbeddedBroker(log_path=settings.data_dir / "broker.log")
        try:
            bootstrap = broker.start()
        except BrokerError as exc:
            fail(str(exc))
        settings = settings.model_copy(update={"kafka_bootstrap": bootstrap})
        console.print(f"[bold]broker[/]   embedded Kafka (Tansu, memory only) at {bootstrap}")
        _forget_local_state(console, settings)
    try:
        ensure_inbound_topics(settings.kafka_bootstrap or "", settings.topic_partitions)
        app, pipeline = create_worker_app(settings)
        _print_where_to_look(console, settings)
        if demo:
            from sla_police.demo_live import attach_demo

            attach_demo(app, settings, console, speed=speed)
        run_faust(app, level)
    finally:
        if broker is not None:
            broker.stop()


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


def _print_where_to_look(console: Console, settings: Settings) -> None:
    base = f"http://{settings.web_host}:{settings.web_port}"
    console.print(f"[bold]worker[/]   {settings.app_id}, clock={settings.clock}, "
                  f"state in {settings.data_dir}/faust")
    console.print(f"[bold]web[/]      {base}/metrics   {base}/health   "
                  f"{base}/tickets/<ticket-id>/ (operators' bearer token)")
    console.print(f"[bold]publish[/]  SLA_KAFKA_BOOTSTRAP={settings.kafka_bootstrap} "
                  "sla-police publish events.jsonl")
    console.print("Ctrl-C stops everything.")
