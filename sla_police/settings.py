"""The one frozen settings object, read from ``SLA_*`` environment variables.

Every process (worker, CLI, tests) builds a :class:`Settings` once and passes it
down; nothing else reads the environment. The ``SLA_`` prefix keeps stray
variables such as ``KAFKA_BOOTSTRAP`` from redirecting the broker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "load_settings"]

DEFAULT_CONFIG = Path("deploy/config/sla-police.yaml")


class Settings(BaseSettings):
    """Runtime settings. Unset ``kafka_bootstrap`` means: start the embedded broker."""

    model_config = SettingsConfigDict(env_prefix="SLA_", frozen=True, extra="ignore")

    kafka_bootstrap: str | None = Field(
        default=None,
        description="host:port[,host:port] of a Kafka cluster; unset starts the embedded broker",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the penalty/breach ledger; default: a SQLite file "
        "in data_dir (sqlite:///var/sla-police.db)",
    )
    config: Path = Field(default=DEFAULT_CONFIG, description="SLA policy YAML file")
    data_dir: Path = Field(default=Path("var"), description="worker state (RocksDB tables, logs)")
    app_id: str = Field(default="sla-police", description="Kafka consumer group / Faust app id")
    topic_partitions: int = Field(default=4, ge=1, le=256, description="partitions of new topics")
    web_host: str = Field(default="127.0.0.1", description="worker web server bind address")
    web_port: int = Field(default=6066, ge=1, le=65535, description="worker web server port")
    table_store: str = Field(default="rocksdb://", description="Faust table store URL")
    broker_session_timeout: float = Field(
        default=6.0, gt=0,
        description="seconds; Apache Kafka refuses less than its "
        "group.min.session.timeout.ms (6 s by default)")
    broker_rebalance_timeout: float = Field(default=3.0, gt=0, description="seconds")
    broker_heartbeat_interval: float = Field(default=1.0, gt=0, description="seconds")
    producer_request_timeout: float = Field(
        default=1200.0, gt=0,
        description="seconds a record may wait for the broker's acknowledgement; past it "
        "the worker stops without committing (a restart sends it again)")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    clock: Literal["wall", "stream"] = Field(
        default="wall",
        description="wall: deadlines fire by the wall clock (production); stream: time advances "
        "only with clock ticks published on the inbound topics (replays, tests, demos)",
    )
    timer_interval: float = Field(default=0.1, gt=0, le=5, description="deadline timer, seconds")
    batch_size: int = Field(default=1000, ge=1, le=100_000,
                            description="messages a stage agent takes at most at once")
    batch_within: float = Field(default=0.1, gt=0, le=5,
                                description="seconds an agent waits for a batch to fill")
    ticket_cache: int = Field(default=10_000, ge=0, le=10_000_000,
                              description="tickets the ticket stage keeps decoded (0: none)")

    ledger_enabled: bool = Field(default=True, description="workers record outcomes in the ledger")
    principals: Path = Field(
        default=Path(""),
        description="the API's principals file (token hashes); default: "
        "<data_dir>/principals.yaml",
    )
    api_host: str = Field(default="127.0.0.1", description="API server bind address")
    api_port: int = Field(default=8080, ge=1, le=65535, description="API server port")
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Standard Webhooks signing secret (whsec_...); unset disables webhooks",
    )

    @model_validator(mode="before")
    @classmethod
    def _ledger_beside_the_data(cls, values: Any) -> Any:
        """Each worker's default ledger lives in its own data_dir, never a shared file."""
        if isinstance(values, dict) and not values.get("database_url"):
            data_dir = values.get("data_dir") or "var"
            values = {**values, "database_url": f"sqlite:///{Path(data_dir) / 'sla-police.db'}"}
        if isinstance(values, dict) and not str(values.get("principals") or ""):
            data_dir = values.get("data_dir") or "var"
            values = {**values, "principals": Path(data_dir) / "principals.yaml"}
        return values

    @field_validator("kafka_bootstrap")
    @classmethod
    def _blank_means_embedded(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"unknown log level {value!r}: use DEBUG, INFO, WARNING or ERROR")
        return level


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
