"""``xlner bench serve``: the load sweeps of :mod:`xlner.bench.serve` against one running
server (``--url``) or against servers it starts on 127.0.0.1, one per ``--max-batches`` value
(batch size 1 against batching, in one run), and the batch throughput of the same methods and
stages measured the way ``xlner bench pipeline`` measures it (models loaded first, then the
method's stage seconds on sentences of the same dataset), before any load, in this process.

Floors checked in the report: batching sustains at least 3x the rate of batch size 1; the
highest rate at p95 ≤ SLO is at least 70% of the batch throughput; every request sent is
counted back (the client's statuses and the server's ``/metrics`` agree, sent = answered).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from xlner.bench.serve import LoadConfig, highest_sustained, sweep
from xlner.errors import XlnerError

#: ``--rates auto``: fractions of the batch throughput of each method.
AUTO_RATES = (0.1, 0.25, 0.5, 0.7, 0.85, 1.0, 1.25)
BATCHING_FLOOR = 3.0
#: The batch reference is the fastest of this many timed runs (one run varied ±20%).
REFERENCE_ROUNDS = 3
SLO_FLOOR = 0.7


@dataclass
class ServeBenchConfig:
    out: Path
    url: str | None = None  # a running server; None: start one per max batch
    serve_args: list[str] = field(default_factory=list)  # for the servers started here
    max_batches: list[int] = field(default_factory=lambda: [1, 32])
    methods: list[str] | None = None  # default: every method the server serves
    lang: str = "es"
    dataset: str = "conll02-es"
    split: str = "train"
    data_dir: str | None = None
    reference_sentences: int = 128  # the batch reference; 0: none (then --rates is needed)
    rates: list[float] | None = None  # None: AUTO_RATES x the batch throughput
    load: LoadConfig = field(default_factory=LoadConfig)
    plots: bool = True
    command: str = ""


def texts(cfg: ServeBenchConfig) -> tuple[list[list[str]], list[str]]:
    """The reference sentences (as words): a seeded random sample of the split, so that they
    are as long as the sentences sent (a split's first sentences can be much shorter:
    CoNLL-2002 Spanish train's first 64 have 19 words on average, the rest 32), leaving out
    any longer than a server takes (:attr:`ServeConfig.max_words`: CoNLL-2002 has one of
    1,238 "words"); and every other sentence, as text, in order."""
    import random

    from xlner.datasets import load_dataset
    from xlner.serve.config import ServeConfig
    from xlner.text import detokenize

    sents = load_dataset(cfg.dataset, cfg.lang, cfg.split, cfg.data_dir)
    fits = [i for i, s in enumerate(sents) if len(s.tokens) <= ServeConfig.max_words]
    k = min(cfg.reference_sentences, len(fits))
    picked = set(random.Random(cfg.load.seed).sample(fits, k))
    ref = [sents[i].tokens for i in sorted(picked)]
    rest = [detokenize(s.tokens, cfg.lang) for i, s in enumerate(sents) if i not in picked]
    return ref, rest


def streams(rest: list[str], methods: list[str]) -> dict[str, Iterator[str]]:
    """What each method of one server sends: a projection method never repeats a sentence
    (the server's translation cache would answer it; projection methods share one stream, as
    they share the cache), a model-transfer method goes round the sentences again."""
    from xlner.methods import Method

    unique = iter(rest)
    return {m: unique if Method.parse(m).is_projection else itertools.cycle(rest) for m in methods}


def batch_reference(
    info: dict[str, Any], methods: list[str], lang: str, words: list[list[str]]
) -> dict[str, float]:
    """Sentences per second of each method run as a batch job (stage seconds summed as
    ``xlner bench pipeline`` sums them, the fastest of :data:`REFERENCE_ROUNDS` runs), with
    the server's stages, here, before any load."""
    from xlner.bench.experiments import (
        fresh_stages,
        method_costs,
        role_load_seconds,
        timed_run,
        uncached,
    )
    from xlner.data import Sentence
    from xlner.methods import Method
    from xlner.stages import StageConfig
    from xlner.steps import Plan

    specs, opts = info["stages"], info.get("options", {})
    cfg = StageConfig(
        translator=specs.get("translator"),
        tagger=specs.get("source_tagger"),
        mt_tagger=specs.get("mt_tagger"),
        candidate_tagger=specs.get("candidate_tagger"),
        aligner=specs.get("aligner"),
        **{k: opts[k] for k in ("layer", "device", "batch_size", "runtime", "seed") if k in opts},
    )
    sents = [Sentence(w, None, lang, str(i)) for i, w in enumerate(words)]
    out = {}
    with tempfile.TemporaryDirectory(prefix="xlner-bench-serve-") as tmp:
        stages = fresh_stages(cfg, Path(tmp))
        for name in methods:
            m = Method.parse(name)
            role_load_seconds(stages, Plan((m,)).roles())
            warm = len(sents) // 8  # warm-up: the first calls, done before a server's load
            if warm:
                timed_run(stages, {lang: sents[:warm]}, [m])
            seconds = min(  # the fastest of REFERENCE_ROUNDS, each translating afresh
                sum(method_costs(Plan((m,)), sink.seconds)[m.name].values())
                for sink in (
                    timed_run(uncached(stages), {lang: sents[warm:]}, [m])
                    for _ in range(REFERENCE_ROUNDS)
                )
            )
            out[m.name] = (len(sents) - warm) / seconds
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    args: list[str], max_batch: int, folder: Path
) -> tuple[subprocess.Popen[str], str]:
    """``xlner serve`` on 127.0.0.1 with a fresh translation cache; ready when /v1/health is."""
    import httpx

    port = _free_port()
    cmd = [sys.executable, "-m", "xlner.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--max-batch", str(max_batch), "--quiet"]
    cmd += ["--translation-cache", str(folder / f"translations-{max_batch}.sqlite"), *args]
    log = (folder / f"server-{max_batch}.log").open("w")
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=dict(os.environ)
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise XlnerError(f"xlner serve exited ({proc.returncode}); see {log.name}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.5)
    proc.kill()
    raise XlnerError(f"xlner serve did not start in 15 minutes; see {log.name}")


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _info(url: str) -> dict[str, Any]:
    import httpx

    info: dict[str, Any] = httpx.get(f"{url}/v1/info", timeout=30).json()
    return info


def run_serve_bench(cfg: ServeBenchConfig) -> dict[str, Any]:
    """Sweep every method on every server; the batch reference first; floors checked."""
    from xlner.bench.experiments import machine_info

    cfg.out.mkdir(parents=True, exist_ok=True)
    ref_words, rest = texts(cfg)
    result: dict[str, Any] = {
        "command": cfg.command,
        "machine": machine_info(),
        "config": {**asdict(cfg), "out": str(cfg.out)},
        "reference": {},
        "runs": [],
    }
    configs = [None] if cfg.url else cfg.max_batches
    folder = cfg.out / "servers"
    folder.mkdir(exist_ok=True)
    for max_batch in configs:
        proc, url = (
            (None, cfg.url)
            if max_batch is None
            else start_server(cfg.serve_args, max_batch, folder)
        )
        assert url is not None
        try:
            info = _info(url)
            methods = cfg.methods or info["methods"]
            if not result["reference"] and cfg.reference_sentences:
                result["reference"] = batch_reference(info, methods, cfg.lang, ref_words)
            sends = streams(rest, methods)  # each server has a fresh translation cache
            for name in methods:
                rates = cfg.rates or _auto_rates(result["reference"], name)
                load = replace(cfg.load, rates=tuple(rates))
                rows = asyncio.run(sweep(url, name, cfg.lang, sends[name], load))
                best = highest_sustained(rows)
                result["runs"].append(
                    {
                        "method": name,
                        "max_batch": info["limits"]["max_batch"],
                        "rows": rows,
                        "sustained_rate": best["rate"] if best else 0.0,
                        "peak_throughput": max(r["throughput"] for r in rows),
                    }
                )
        finally:
            if proc is not None:
                stop_server(proc)
    result["floors"] = floors(result, cfg.load.slo)
    return result


def _auto_rates(reference: dict[str, float], method: str) -> list[float]:
    from xlner.methods import Method

    name = Method.parse(method).name
    if name not in reference:
        raise XlnerError(
            "--rates auto needs the batch reference: give --rates or --reference-sentences"
        )
    return [round(f * reference[name], 2) for f in AUTO_RATES]


def floors(result: dict[str, Any], slo: float) -> dict[str, Any]:
    """Each method's ratios, and whether every request was counted back."""
    from xlner.methods import Method

    out: dict[str, Any] = {
        "all_counted": all(r["all_counted"] for run in result["runs"] for r in run["rows"])
    }
    for name in dict.fromkeys(run["method"] for run in result["runs"]):
        runs = {
            run["max_batch"]: run["sustained_rate"]
            for run in result["runs"]
            if run["method"] == name
        }
        best = max(runs)
        row: dict[str, Any] = {"sustained": runs}
        peaks = {
            run["max_batch"]: run["peak_throughput"]
            for run in result["runs"]
            if run["method"] == name
        }
        row["peak_throughput"] = peaks
        if 1 in runs and best > 1:
            x = runs[best] / runs[1] if runs[1] else (float("inf") if runs[best] else 0.0)
            row["batching_x"] = x
            row["batching_ok"] = x >= BATCHING_FLOOR
            row["batching_peak_x"] = peaks[best] / peaks[1] if peaks[1] else None
        ref = result["reference"].get(Method.parse(name).name)
        if ref:
            row["batch_throughput"] = ref
            row["slo_share"] = runs[best] / ref
            row["slo_ok"] = runs[best] / ref >= SLO_FLOOR
        out[name] = row
    out["slo_seconds"] = slo
    return out
