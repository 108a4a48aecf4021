"""What a worker's Faust app and pipeline need to know, as one small frozen object.

The shell (:mod:`sla_police.worker`) builds a :class:`StreamSettings` from its own
settings, which it reads from the environment; nothing in :mod:`streams` reads the
environment or imports the shell. The names are those of the shell's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["StreamSettings"]


@dataclass(frozen=True)
class StreamSettings:
    """The worker's cluster, identity, state and timing (see ``sla_police.settings``)."""

    kafka_bootstrap: str  #: host:port[,host:port] of the Kafka cluster
    app_id: str = "sla-police"  #: consumer group, prefix of the internal topics
    topic_partitions: int = 4  #: partitions of the topics the app creates
    data_dir: Path = Path("var")  #: the app's state lives in data_dir/faust
    table_store: str = "rocksdb://"  #: Faust table store URL
    broker_session_timeout: float = 6.0  #: seconds (Kafka's least by default; Tansu: 2 is enough)
    broker_rebalance_timeout: float = 3.0  #: seconds
    broker_heartbeat_interval: float = 1.0  #: seconds
    #: seconds a record may wait for the broker's ack before the worker stops, uncommitted
    producer_request_timeout: float = 1200.0
    clock: Literal["wall", "stream"] = "wall"  #: what moves deadlines forward
    timer_interval: float = 0.1  #: seconds between two looks at the deadlines
    batch_size: int = 1000  #: messages a stage agent takes at most at once (stream.take_events)
    batch_within: float = 0.1  #: seconds an agent waits for a batch to fill before taking it
    ticket_cache: int = 10_000  #: tickets the ticket stage keeps decoded (streams/ticket_cache.py)

    web_host: str = "127.0.0.1"  #: bind address of the web server (/metrics, /health)
    web_port: int = 6066
    log_level: str = "INFO"  #: DEBUG also turns on Faust's and the Kafka clients' logs
