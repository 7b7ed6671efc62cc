"""`xlner bench serve`: Poisson arrivals, the summary of a rate, and a short real run against
servers it starts on 127.0.0.1 (fake backends), every request counted back."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from xlner.bench.serve import LoadConfig, arrivals, highest_sustained, summarize


def test_arrivals_are_seeded_poisson() -> None:
    a = arrivals(50.0, 20.0, seed=1, cap=10_000)
    assert a == arrivals(50.0, 20.0, seed=1, cap=10_000) != arrivals(50.0, 20.0, 2, 10_000)
    assert abs(len(a) - 1000) < 120  # mean rate x duration, Poisson spread
    gaps = np.diff(a)
    assert abs(gaps.mean() - 0.02) < 0.003 and abs(gaps.std() / gaps.mean() - 1) < 0.15
    assert len(arrivals(50.0, 20.0, 1, cap=10)) == 10 and all(0 <= t < 20 for t in a)


def test_summary_counts_every_request() -> None:
    cfg = LoadConfig(slo=1.0)
    results = [("200", 0.1)] * 97 + [("503", 0.001)] * 2 + [("ReadTimeout", 60.0)]
    row = summarize(10.0, results, 10.0, Counter({"200": 97, "503": 2}), cfg)
    assert row["sent"] == 100 and row["by_status"] == {"200": 97, "503": 2, "ReadTimeout": 1}
    assert not row["all_counted"]  # the server never answered the timed-out one
    assert not row["sustained"]  # 3% refused
    ok = summarize(5.0, [("200", 0.5)] * 100, 10.0, Counter({"200": 100}), cfg)
    assert ok["all_counted"] and ok["sustained"] and ok["throughput"] == 10.0
    assert highest_sustained([row, ok]) is ok


def test_sweep_stops_past_capacity_then_bisects_towards_the_limit() -> None:
    """A server that sustains up to 37/s: the grid 10, 20, 40, 80 stops after 40 (past the
    capacity), then two bisections between 20 and 40 try 30 (sustained) and 35 (sustained)."""
    import asyncio

    from xlner.bench.serve import _sweep_rates

    tried: list[float] = []

    async def measure(rate: float) -> dict[str, object]:
        tried.append(rate)
        ok = rate <= 37
        throughput = rate if ok else 30.0
        return {"rate": rate, "sustained": ok, "throughput": throughput, "sent": 10,
                "by_status": {"200": 10}, "p95": 0.5 if ok else 3.0}  # fmt: skip

    asyncio.run(_sweep_rates(measure, LoadConfig(rates=(10, 20, 40, 80), refine=2)))
    assert tried == [10, 20, 40, 30, 35]
    tried.clear()
    asyncio.run(_sweep_rates(measure, LoadConfig(rates=(10, 20), refine=2)))
    assert tried == [10, 20]  # nothing past the capacity: nothing to refine


@pytest.mark.slow  # starts real servers and loads them for seconds each
def test_bench_serve_runs_against_servers_it_starts(
    plugin: Path, data_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    from xlner.cli import main

    out = tmp_path / "bench"
    args = ["bench", "serve", "--out", str(out), "--data-dir", str(data_dir)]
    args += ["--serve-args", "--methods heuristic --translator echo --tagger caps --aligner diag"]
    args += ["--max-batches", "1,8", "--rates", "4,8", "--duration", "1.5"]
    rc = main([*args, "--reference-sentences", "8", "--no-plots"])
    assert rc == 0
    result = json.loads((out / "bench-serve.json").read_text())
    assert [r["max_batch"] for r in result["runs"]] == [1, 8]
    assert result["floors"]["all_counted"]
    rows = [r for run in result["runs"] for r in run["rows"]]
    assert all(r["sent"] == sum(r["server_counted"].values()) for r in rows)
    assert result["reference"]["heuristic"] > 0
    assert "Highest sustained rate" in (out / "bench-serve.md").read_text()


def test_report_says_the_load_and_an_unbounded_ratio_plainly() -> None:
    from xlner.bench.serve_report import format_markdown

    row = {
        "rate": 2.0,
        "sent": 4,
        "by_status": {"200": 4},
        "all_counted": True,
        "p50": 0.1,
        "p95": 0.2,
        "p99": 0.3,
        "throughput": 2.0,
        "sustained": True,
    }
    result = {
        "machine": {"cpu": "CPU X", "cores": 2, "load_average": 0.31},
        "command": "xlner bench serve",
        "reference": {"heuristic": 9.0},
        "runs": [{"method": "heuristic", "max_batch": 32, "rows": [row]}],
        "floors": {
            "slo_seconds": 2.0,
            "all_counted": True,
            "heuristic": {
                "sustained": {"1": 0.0, "32": 2.0},
                "peak_throughput": {"1": 0.5, "32": 2.0},
                "batching_x": float("inf"),
                "batching_ok": True,
                "batching_peak_x": 4.0,
            },
        },
    }
    text = format_markdown(result)
    assert "Machine: CPU X, 2 cores (load average 0.31 when it started;" in text
    assert "shared with other jobs" not in text
    assert "batch size 1 sustains no rate, batching does (met: floor 3x), 4.0x its peak" in text
    assert "infx" not in text
