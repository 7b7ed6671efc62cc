"""The measurements of ``xlner bench pipeline``. Every pipeline timing runs the real plan
through the real executor (:func:`xlner.execute.execute`), so the benchmark measures exactly
what ``xlner run`` does; a method's cost is the sum of the stages it runs
(:meth:`xlner.steps.Plan.method_stages`)."""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from xlner.batch import Batch
from xlner.data import Sentence
from xlner.execute import Source, execute
from xlner.languages import PIVOT
from xlner.memo import StageMemo
from xlner.methods import Method
from xlner.stages import StageConfig, Stages
from xlner.steps import Context, Plan, project_stage


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


@dataclass
class TimingSink:
    """Sums stage seconds and counts what the stages saw (evidence of real input)."""

    seconds: dict[str, float] = field(default_factory=dict)
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    sentences: int = 0
    words: int = 0
    english_words: int = 0
    source_entities: int = 0

    def start(self, lang: str) -> None:
        self.per_language.setdefault(lang, {})

    def add(self, batch: Batch) -> None:
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
) -> TimingSink:
    """Run ``methods`` on every language's sentences (one executor call); seconds per stage."""
    sink = TimingSink()
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
