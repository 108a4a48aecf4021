"""``sla-police up`` on the embedded broker: the short group timeouts Tansu wants, unless the
user chose others; the defaults stay those a real Kafka cluster accepts."""

from __future__ import annotations

from sla_police.broker import EMBEDDED_GROUP_TIMEOUTS
from sla_police.commands._up import on_embedded_broker
from sla_police.settings import Settings


def test_the_embedded_broker_gets_its_short_group_timeouts() -> None:
    settings = on_embedded_broker(Settings(kafka_bootstrap=None), "127.0.0.1:9")
    assert settings.kafka_bootstrap == "127.0.0.1:9"
    assert (settings.broker_session_timeout, settings.broker_heartbeat_interval) == (
        EMBEDDED_GROUP_TIMEOUTS["broker_session_timeout"],
        EMBEDDED_GROUP_TIMEOUTS["broker_heartbeat_interval"])


def test_what_the_user_set_wins() -> None:
    chosen = Settings(kafka_bootstrap=None, broker_session_timeout=10.0)
    settings = on_embedded_broker(chosen, "127.0.0.1:9")
    assert settings.broker_session_timeout == 10.0
    assert settings.broker_heartbeat_interval == EMBEDDED_GROUP_TIMEOUTS[
        "broker_heartbeat_interval"]


def test_defaults_are_what_apache_kafka_accepts() -> None:
    settings = Settings(kafka_bootstrap="kafka:9092")
    assert settings.broker_session_timeout >= 6.0  # group.min.session.timeout.ms default
    assert settings.broker_heartbeat_interval < settings.broker_session_timeout / 3
