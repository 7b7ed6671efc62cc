"""Latency under load (``xlner bench serve``): an open-loop load generator against a running
``xlner serve``.

Requests arrive as a Poisson process (seeded) at each offered rate in turn, whatever the
server's answers — an open loop, so a slow server meets the load it would meet, not a load
that waits for it. Each request is one sentence of a dataset, never sent twice in a benchmark
(the server's translation cache would answer a repeat). For each rate: latency p50/p95/p99
of the 2xx answers, throughput, answers by status, and the server's own ``/metrics`` counts
before and after (every request sent must be counted back once: 2xx + 503 + other = sent).
A rate is *sustained* when p95 ≤ the SLO and at most 1% of requests are refused; the sweep of
a method stops at the first rate far past it, so a run stays bounded.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: At most this share of requests refused (non-2xx) for a rate to count as sustained.
MAX_REFUSED = 0.01


@dataclass(frozen=True)
class LoadConfig:
    rates: tuple[float, ...] = (1, 2, 4, 8, 16, 32)  # requests per second, in turn
    duration: float = 10.0  # seconds of arrivals per rate
    slo: float = 2.0  # p95 seconds
    timeout: float = 60.0  # per request
    seed: int = 0
    max_requests: int = 2000  # per rate: arrivals past it are not sent


def arrivals(rate: float, duration: float, seed: int, cap: int) -> list[float]:
    """Poisson arrival times in ``[0, duration)`` (exponential gaps), at most ``cap``."""
    rng = np.random.default_rng(seed)
    out: list[float] = []
    t = float(rng.exponential(1.0 / rate))
    while t < duration and len(out) < cap:
        out.append(t)
        t += float(rng.exponential(1.0 / rate))
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


_COUNT = re.compile(r'^xlner_requests_total\{status="(\d+)"\} (\d+)$', re.M)


async def server_counts(client: Any, url: str) -> Counter[str]:
    """``/v1/tag`` requests the server counted, by status (its ``/metrics``)."""
    text = (await client.get(f"{url}/metrics")).text
    return Counter({k: int(v) for k, v in _COUNT.findall(text)})


async def idle(client: Any, url: str, limit: float = 300.0) -> None:
    """Wait (up to ``limit`` seconds) until the server has nothing queued or running, so
    that one rate's backlog does not load the next."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        h = (await client.get(f"{url}/v1/health")).json()
        if not h.get("queue") and not h.get("running"):
            return
        await asyncio.sleep(0.5)


async def one_rate(
    client: Any,
    url: str,
    docs: Iterator[dict[str, Any]],
    rate: float,
    cfg: LoadConfig,
    seed: int,
) -> dict[str, Any]:
    """Send requests at Poisson arrivals of ``rate`` per second; what came back."""
    times = arrivals(rate, cfg.duration, seed, cfg.max_requests)
    before = await server_counts(client, url)
    results: list[tuple[str, float]] = []

    async def send(body: dict[str, Any]) -> None:
        sent = time.perf_counter()
        try:
            r = await client.post(f"{url}/v1/tag", json=body, timeout=cfg.timeout)
            status = str(r.status_code)
        except Exception as e:  # counted, never lost: a timeout or a refused connection
            status = type(e).__name__
        results.append((status, time.perf_counter() - sent))

    start = time.perf_counter()
    tasks = []
    for t in times:
        delay = start + t - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(next(docs))))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    after = await server_counts(client, url)
    return summarize(rate, results, wall, after - before, cfg)


def summarize(
    rate: float,
    results: Sequence[tuple[str, float]],
    wall: float,
    counted: Counter[str],
    cfg: LoadConfig,
) -> dict[str, Any]:
    ok = [s for status, s in results if status.startswith("2")]
    by_status = Counter(status for status, _ in results)
    sent = len(results)
    refused = sent - len(ok)
    p95 = percentile(ok, 95)
    return {
        "rate": rate,
        "sent": sent,
        "by_status": dict(sorted(by_status.items())),
        "server_counted": dict(sorted(counted.items())),
        "all_counted": sum(counted.values()) == sent and dict(counted) == dict(by_status),
        "p50": percentile(ok, 50),
        "p95": p95,
        "p99": percentile(ok, 99),
        "throughput": len(ok) / wall if wall > 0 else 0.0,
        "seconds": wall,
        "sustained": bool(ok)
        and p95 is not None
        and p95 <= cfg.slo
        and refused <= MAX_REFUSED * sent,
    }


async def sweep(
    url: str, method: str, lang: str, texts: Iterator[str], cfg: LoadConfig
) -> list[dict[str, Any]]:
    """Every rate in turn for ``method``, stopping after the first rate past the server's
    capacity (answered under 80% of the offered rate, or more refused than answered) or
    whose p95 is over ten times the SLO: the sweep measures the capacity, and stays short."""
    import httpx

    docs = ({"lang": lang, "text": t, "method": method} for t in texts)
    # idle connections dropped well before the server's keep-alive timeout: a request sent on
    # a connection the server is closing would fail before reaching it
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=64, keepalive_expiry=2.0)
    rows = []
    async with httpx.AsyncClient(limits=limits, timeout=cfg.timeout) as client:
        for i, rate in enumerate(cfg.rates):
            await idle(client, url)
            row = await one_rate(client, url, docs, rate, cfg, cfg.seed + i)
            rows.append(row)
            ok = sum(v for k, v in row["by_status"].items() if k.startswith("2"))
            saturated = row["throughput"] < 0.8 * rate or ok < row["sent"] / 2
            if saturated or (row["p95"] or math.inf) > 10 * cfg.slo:
                break
    return rows


def highest_sustained(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The row of the highest rate that was sustained (p95 ≤ SLO, ≤ 1% refused)."""
    good = [r for r in rows if r["sustained"]]
    return max(good, key=lambda r: r["rate"]) if good else None
