"""The measurements of ``xlner bench pipeline``. Every pipeline timing runs the real plan
through the real executor (:func:`xlner.execute.execute`), so the benchmark measures exactly
what ``xlner run`` does; a method's cost is the sum of the stages it runs
(:meth:`xlner.steps.Plan.method_stages`)."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from xlner.batch import Batch
from xlner.data import Sentence
from xlner.execute import Source, execute
from xlner.languages import PIVOT
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.stages import StageConfig, Stages
from xlner.steps import ROLE_ORDER, BackendRole, Context, Plan, project_stage

T = TypeVar("T")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_cuda_mb() -> float | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return float(torch.cuda.max_memory_allocated() / 2**20)


def machine_info() -> dict[str, Any]:
    """What the benchmark ran on: CPU model and cores, memory, Python, torch, GPU if any."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((x.split(":", 1)[1].strip() for x in fh if x.startswith("model name")), cpu)
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    with contextlib.suppress(OSError, AttributeError):
        info["load_average"] = round(os.getloadavg()[0], 2)  # 1 min, when the bench started
    with contextlib.suppress(ValueError, OSError, AttributeError):
        info["memory_gb"] = round(
            os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
        )
    try:
        import torch
    except ImportError:
        return info
    info["torch"] = torch.__version__
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


@dataclass
class TimingSink:
    """Sums stage seconds and counts what the stages saw (evidence of real input)."""

    seconds: dict[str, float] = field(default_factory=dict)
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    sentences: int = 0
    words: int = 0
    english_words: int = 0
    source_entities: int = 0
    on_batch: Callable[[Batch], None] | None = None  # e.g. to keep translate-train's output

    def start(self, lang: str) -> None:
        self.per_language.setdefault(lang, {})

    def add(self, batch: Batch) -> None:
        if self.on_batch is not None:
            self.on_batch(batch)
        self.sentences += len(batch)
        self.words += sum(len(s.tokens) for s in batch.sentences)
        if batch.direction == "test":
            self.english_words += sum(len(w) for w in batch.src_words or [])
        self.source_entities += sum(len(s) for s in batch.src_spans or [])
        self.add_seconds(batch.lang, batch.seconds)

    def add_seconds(self, lang: str, seconds: dict[str, float]) -> None:
        for table in (self.seconds, self.per_language.setdefault(lang, {})):
            for k, v in seconds.items():
                table[k] = table.get(k, 0.0) + v

    def finish(self, lang: str) -> None:
        pass


def fresh_stages(cfg: StageConfig, folder: Path, output_ratio: float | None = None) -> Stages:
    """Stages with an empty translation cache in ``folder``: the benchmark times real work."""
    stages = Stages(replace(cfg, translation_cache=folder / "translations.sqlite"))
    if output_ratio is not None:  # random weights: generated length follows the source
        stages.translator.inner.output_ratio = output_ratio  # type: ignore[attr-defined]
    return stages


def timed_run(
    stages: Stages,
    inputs: dict[str, list[Sentence]] | Sequence[tuple[str, list[Sentence]]],
    methods: Sequence[Method],
    memo: StageMemo | None = None,
    direction: str = "test",
    on_batch: Callable[[Batch], None] | None = None,
) -> TimingSink:
    """Run ``methods`` on every language's sentences (one executor call); seconds per stage.
    ``direction="train"``: translate-train (the sentences are labelled English)."""
    sink = TimingSink(on_batch=on_batch)
    pairs = inputs.items() if isinstance(inputs, dict) else inputs
    sources = [Source.of(lang, sents) for lang, sents in pairs]
    execute(sources, Plan(tuple(methods), direction), stages, Context(memo), sink)  # type: ignore[arg-type]
    return sink


def load_models(stages: Stages) -> dict[str, float]:
    """Force every model to load; seconds per backend."""
    out: dict[str, float] = {}
    tr = getattr(stages.translator, "inner", stages.translator)
    for name, obj, attr in (
        ("translator", tr, "model"),
        ("tagger_source", stages.source_tagger, "model"),
        ("tagger_target", stages.mt_tagger, "model"),
        ("aligner", getattr(stages.aligner, "encoder", None), "tokenizer"),
        ("spacy", stages.source_tagger, "nlp"),
    ):
        if obj is None or not hasattr(type(obj), attr):
            continue
        start = time.perf_counter()
        getattr(obj, attr)
        out[name] = round(time.perf_counter() - start, 3)
    return out


def _force_load(obj: Any) -> None:
    """Load ``obj``'s model now (HF ``model``, spaCy ``nlp``, an aligner's encoder)."""
    for holder, attr in (
        (obj, "model"),
        (obj, "nlp"),
        (getattr(obj, "encoder", None), "tokenizer"),
    ):
        if holder is not None and hasattr(type(holder), attr):
            getattr(holder, attr)
            return


def role_load_seconds(
    stages: Stages, roles: Sequence[BackendRole] = ROLE_ORDER
) -> dict[str, float]:
    """Seconds to load each role's model; roles sharing one backend object report that
    object's load (so a method's load is the sum over its distinct backends)."""
    by_object: dict[int, float] = {}
    out: dict[str, float] = {}
    for role in roles:
        obj = stages.backend(role)
        obj = getattr(obj, "inner", obj)
        if id(obj) not in by_object:
            start = time.perf_counter()
            _force_load(obj)
            by_object[id(obj)] = round(time.perf_counter() - start, 3)
        out[role] = by_object[id(obj)]
    return out


def best_of_rounds(
    rounds: int, points: Sequence[T], run: Callable[[T], dict[str, Any]]
) -> list[dict[str, Any]]:
    """``run(point)`` for every point, ``rounds`` times round-robin; per point, the first
    round's row with each timing (``seconds`` and every ``stage_seconds`` entry) replaced by
    its minimum over the rounds, and every round's timings kept under ``rounds``. Round-robin
    repeats let a burst of load from other jobs on a shared machine spoil one round of a point
    instead of all its repeats; the minimum is the least disturbed measurement."""
    rows: list[dict[str, Any]] = []
    for r in range(max(1, rounds)):
        for i, point in enumerate(points):
            got = run(point)
            timing = {k: got[k] for k in ("seconds", "stage_seconds") if k in got}
            if r == 0:
                rows.append({**got, "rounds": [timing]})
                continue
            row = rows[i]
            row["rounds"].append(timing)
            if "seconds" in got:
                row["seconds"] = min(row["seconds"], got["seconds"])
            if "stage_seconds" in got:
                old = row["stage_seconds"]
                row["stage_seconds"] = {
                    k: min(v, old[k]) if k in old else v for k, v in got["stage_seconds"].items()
                }
    return rows


def distinct_sentences(
    pool: Sequence[Sentence], start: int, n: int, seed: int, lang: str
) -> list[Sentence]:
    """``n`` sentences: ``pool[start:start + n]``, topped up with synthetic ones where the pool
    runs out (so no two languages of a run share a sentence, and no translation is a cache
    hit)."""
    from xlner.bench.synthetic import synthetic_sentences

    got = list(pool[start : start + n])
    if len(got) < n:
        got += synthetic_sentences(n - len(got), seed, lang)
    return got


def uncached(stages: Stages) -> Stages:
    """Give ``stages``' translator an empty (in-memory) translation cache, so the next run
    translates everything again: every timed run of the cost model does real work."""
    from xlner.translate.cache import TranslationCache

    stages.translator.cache = TranslationCache(None)  # type: ignore[attr-defined]
    return stages


def method_costs(plan: Plan, seconds: dict[str, float]) -> dict[str, dict[str, float]]:
    """Each method's stage breakdown (shared stages counted in every method using them; its
    own projection stage named ``project``)."""
    out = {}
    for m in plan.methods:
        own = project_stage(m)
        out[m.name] = {
            ("project" if k == own else k): seconds.get(k, 0.0) for k in plan.method_stages(m)
        }
    return out


def fit_line(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    slope, intercept = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    pred = slope * np.asarray(x, float) + intercept
    ss_res = float(((np.asarray(y) - pred) ** 2).sum())
    ss_tot = float(((np.asarray(y) - np.mean(y)) ** 2).sum()) or 1e-12
    return {"slope": float(slope), "intercept": float(intercept), "r2": 1 - ss_res / ss_tot}


def translation_throughput(
    tr: Any, texts: Sequence[str], lang: str, batch_sizes: Sequence[int], sorted_too: bool = True
) -> list[dict[str, Any]]:
    """Sentences/s of one translator object (no cache) per batch size, sorted or not."""
    rows = []
    for bs in batch_sizes:
        for sort in (True, False) if sorted_too else (True,):
            old = (tr.batch_size, tr.sort_by_length)
            tr.batch_size, tr.sort_by_length = bs, sort
            start = time.perf_counter()
            tr.translate(list(texts), lang, PIVOT)
            dt = time.perf_counter() - start
            tr.batch_size, tr.sort_by_length = old
            rows.append(
                {
                    "batch_size": bs,
                    "sorted": sort,
                    "seconds": dt,
                    "sentences_per_s": len(texts) / dt,
                }
            )
    return rows


def cached_rerun(
    cfg: StageConfig,
    inputs: dict[str, list[Sentence]],
    method: Method,
    output_ratio: float | None = None,
) -> dict[str, float]:
    """``method`` twice with a fresh translation cache and stage memo: the re-run's share."""
    with tempfile.TemporaryDirectory(prefix="xlner-bench-") as tmp:
        stages = fresh_stages(cfg, Path(tmp), output_ratio)
        load_models(stages)
        memo = StageMemo(Path(tmp) / "memo")
        times = []
        for _ in range(2):
            start = time.perf_counter()
            timed_run(stages, inputs, [method], memo)
            times.append(time.perf_counter() - start)
    return {"first_s": times[0], "rerun_s": times[1], "ratio": times[1] / times[0]}
