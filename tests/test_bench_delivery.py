"""The delivery bench runs at a tiny size: both paths it compares hand every message to the
queue, in order, whether the queue has room or its reader takes one at a time (no timing is
asserted: figures are the bench's job)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_delivery import measure, stock_and_eager
from sla_police.settings import Settings
from streams.app import create_app


@pytest.mark.parametrize("full", [False, True], ids=["room", "full"])
async def test_both_paths_deliver_every_message_in_order(tmp_path: Path, full: bool) -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:9", data_dir=tmp_path,
                        table_store="memory://", topic_partitions=4)
    consumer = create_app(settings, web_enabled=False).consumer  # never started
    for name, wait_first in stock_and_eager(consumer).items():
        spent, received = await measure(consumer, wait_first, 50, full=full)
        assert received == list(range(50)), name
        assert spent > 0
