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
import itertools
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class OutOfSentences(Exception):
    """The sentences to send ran out (a projection method never sends one twice)."""


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
    refine: int = 2  # bisections between the highest sustained rate and the next tried


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
    async with client.get(f"{url}/metrics") as r:
        text = await r.text()
    return Counter({k: int(v) for k, v in _COUNT.findall(text)})


async def idle(client: Any, url: str, limit: float = 300.0) -> None:
    """Wait (up to ``limit`` seconds) until the server has nothing queued or running, so
    that one rate's backlog does not load the next."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        async with client.get(f"{url}/v1/health") as r:
            h = await r.json()
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
    import aiohttp

    times = arrivals(rate, cfg.duration, seed, cfg.max_requests)
    before = await server_counts(client, url)
    results: list[tuple[str, float]] = []
    timeout = aiohttp.ClientTimeout(total=cfg.timeout)

    async def send(body: bytes) -> None:
        sent = time.perf_counter()
        try:
            async with client.post(f"{url}/v1/tag", data=body, timeout=timeout) as r:
                await r.read()
                status = str(r.status)
        except Exception as e:  # counted, never lost: a timeout or a refused connection
            status = type(e).__name__
        results.append((status, time.perf_counter() - sent))

    # encoded before the clock
    bodies = [json.dumps(d).encode() for d in itertools.islice(docs, len(times))]
    if len(bodies) < len(times):
        raise OutOfSentences(f"{len(times)} requests needed at {rate:g}/s, {len(bodies)} left")
    start = time.perf_counter()
    tasks = []
    for t, body in zip(times, bodies):
        delay = start + t - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(body)))
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
    whose p95 is over ten times the SLO: the sweep measures the capacity, and stays short.
    Then ``cfg.refine`` bisections between the highest sustained rate and the next one tried
    (the grid is coarse; the limit lies between them)."""
    import aiohttp

    docs = ({"lang": lang, "text": t, "method": method} for t in texts)
    # aiohttp: a client that costs the shared cores little per request (the server's figures
    # are what is measured); idle connections dropped well before the server's keep-alive
    # timeout, so no request goes out on a connection the server is closing
    connector = aiohttp.TCPConnector(limit=512, keepalive_timeout=2.0)
    headers = {"Content-Type": "application/json"}
    rows: list[dict[str, Any]] = []

    async def measure(rate: float) -> dict[str, Any]:
        await idle(client, url)
        row = await one_rate(client, url, docs, rate, cfg, cfg.seed + len(rows))
        rows.append(row)
        return row

    async with aiohttp.ClientSession(connector=connector, headers=headers) as client:
        try:
            await _sweep_rates(measure, cfg)
        except OutOfSentences as e:  # what was measured stays; the sweep stops here
            print(f"xlner bench serve: {method}: out of sentences ({e}); stopped", file=sys.stderr)
    return rows


async def _sweep_rates(
    measure: Callable[[float], Awaitable[dict[str, Any]]], cfg: LoadConfig
) -> None:
    rows = []
    for rate in cfg.rates:
        row = await measure(rate)
        rows.append(row)
        ok = sum(v for k, v in row["by_status"].items() if k.startswith("2"))
        saturated = row["throughput"] < 0.8 * rate or ok < row["sent"] / 2
        if saturated or (row["p95"] or math.inf) > 10 * cfg.slo:
            break
    lo = max((r["rate"] for r in rows if r["sustained"]), default=None)
    hi = min((r["rate"] for r in rows if not r["sustained"] and r["rate"] > (lo or 0)),
             default=None)  # fmt: skip
    for _ in range(cfg.refine if lo is not None and hi is not None else 0):
        assert lo is not None and hi is not None
        mid = round((lo + hi) / 2, 2)
        if (await measure(mid))["sustained"]:
            lo = mid
        else:
            hi = mid


def highest_sustained(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The row of the highest rate that was sustained (p95 ≤ SLO, ≤ 1% refused)."""
    good = [r for r in rows if r["sustained"]]
    return max(good, key=lambda r: r["rate"]) if good else None
