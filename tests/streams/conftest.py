"""An SLA Police app that is built but never started: its consumer, producer and table
stores are Faust's real objects (with the fence's patches), and no broker is needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import faust
import pytest

from sla_police.settings import Settings
from streams.app import create_app


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., faust.App]:
    def make(table_store: str = "memory://") -> faust.App:
        settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path,
                            table_store=table_store, topic_partitions=4)
        return create_app(settings, web_enabled=False)

    return make
