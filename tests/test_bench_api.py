"""The API latency bench runs end to end at a tiny size: it fills a ledger, serves it with
``sla-police api``, calls every endpoint with real tokens at a fixed rate, and every
request is answered 200 with rows (no timing is asserted: figures are the bench's job)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import bench_api


def test_the_bench_measures_every_endpoint_on_a_tiny_ledger(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ["--penalties", "3000", "--open-clocks", "200", "--rate", "20", "--seconds", "0.5",
            "--database-url", url]

    results = bench_api.main(args)

    assert [e.label.split(",")[0] for e, _ in results] == ["worklist"] * 2 + ["penalties"] * 4
    for endpoint, result in results:
        assert (len(result.latencies), result.failed) == (10, 0), endpoint.label
        assert result.items > 0, endpoint.label
    printed = capsys.readouterr().out
    assert "penalties: 3,000 rows, filled" in printed
    verdicts = [line for line in printed.splitlines() if line.endswith(("goal met", "not met"))
                or "goal met " in line or "not met " in line]
    assert len(verdicts) == 6
