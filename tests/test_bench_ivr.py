"""The IVR lookup bench runs end to end at a tiny size: it fills a ledger with blocks,
serves it with ``sla-police api``, asks with a real ``ivr`` token at a fixed rate, and every
lookup is answered 200, half of them "blocked" (no timing is asserted: figures are the
bench's job)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_ivr


def test_the_bench_asks_about_blocked_and_free_callers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"

    result = bench_ivr.main(["--blocks", "500", "--rate", "20", "--seconds", "1",
                             "--database-url", url])

    assert (len(result.latencies), result.failed, result.blocked_answers) == (20, 0, 10)
    printed = capsys.readouterr().out
    assert "blocks: 500 rows on sqlite" in printed
    assert "p99 < 20 ms: " in printed and "lookups 20 at 20/s (10 blocked)" in printed
