"""translate-train in ``xlner bench pipeline``: its one-time cost per language, per stage, and
its per-sentence cost afterwards (a pass of the tuned tagger).

Everything is timed on the real code paths, on slices, for :mod:`xlner.bench.costmodel` to
extrapolate:

1. **data** — the labelled English training sentences (seeded shuffle, so every slice has the
   set's length distribution) go through the translate-train plan
   (``Plan(methods, "train")``: translate English → target, tag candidates for ``ner``, align,
   project the gold labels) via :func:`~xlner.bench.experiments.timed_run`, once per slice
   size, each with an empty translation cache;
2. **fine-tuning** — :func:`xlner.train.train_tagger` on the silver data of the largest slice,
   for a few step counts (a fixed part and a cost per step);
3. **inference** — the tuned model tags the benchmark's target sentences through the
   model-transfer plan, at several sentence counts; its load is timed too.

A slice (or step count) given as *held back* is measured but left out of the fit, so the
cost model can be checked against it (:func:`xlner.bench.costmodel.validate`).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from xlner.batch import Batch, Direction
from xlner.bench.experiments import (
    best_of_rounds,
    distinct_sentences,
    role_load_seconds,
    timed_run,
    uncached,
)
from xlner.bench.synthetic import synthetic_sentences
from xlner.data import REFERENCE_LABELS, Sentence, filter_spans
from xlner.errors import XlnerError
from xlner.languages import PIVOT
from xlner.methods import MODEL_TRANSFER, Method
from xlner.pipelines import silver_sentences
from xlner.stages import StageConfig, Stages
from xlner.steps import method_table

#: Sentences in CoNLL-2003's English training split: the training-set size assumed when the
#: benchmark runs on synthetic sentences (with real data, the split's own size is used).
CONLL03_TRAIN_SENTENCES = 14_041


@dataclass
class TrainBenchConfig:
    """translate-train's part of the benchmark (empty fields are filled from the rest of the
    benchmark's configuration: :func:`xlner.bench.pipeline.train_config`)."""

    methods: str = ""  # projections without +bt; "": those of the benchmark
    lang: str = ""  # the target language; "": the benchmark's first
    dataset: str | None = "conll03-en"  # None: synthetic labelled English
    data_dir: str | None = None
    train_size: int | None = None  # None: the dataset's size
    slices: list[int] = field(default_factory=lambda: [100, 200, 400])
    holdout: list[int] = field(default_factory=list)  # slices measured, not fitted
    steps: list[int] = field(default_factory=lambda: [5, 10])
    holdout_steps: list[int] = field(default_factory=list)
    base_model: str = ""  # "": the reference tagger architecture (--arch-only) or e5-small
    epochs: float = 1.0
    batch_size: int = 16
    max_length: int = 128
    learning_rate: float = 1e-4
    freeze_embeddings: bool = True
    device: str = "cpu"
    seed: int = 0

    def method_list(self) -> list[Method]:
        """The methods, checked: translate-train projects gold labels (no back-translation)."""
        from xlner.methods import parse_methods

        methods = parse_methods(self.methods)
        for m in methods:
            if not m.is_projection or m.backtranslate:
                raise XlnerError(f"translate-train projects gold labels: {m.name} cannot")
        return methods

    def check(self) -> None:
        if self.methods:
            self.method_list()
        if not self.slices or min(self.slices + self.holdout) < 1:
            raise XlnerError("--train-slices: give one or more positive sentence counts")
        if not self.steps or min(self.steps + self.holdout_steps) < 1:
            raise XlnerError("--train-steps: give one or more positive step counts")


def english_sentences(cfg: TrainBenchConfig, n: int) -> tuple[list[Sentence], int]:
    """``n`` labelled English sentences in a seeded random order (PER/ORG/LOC kept, as
    ``xlner project-train`` does by default), and the training set's size."""
    if cfg.dataset is None:
        sents = synthetic_sentences(n, cfg.seed + 11, PIVOT, entities=2)
        return sents, cfg.train_size or CONLL03_TRAIN_SENTENCES
    from xlner.datasets import load_dataset

    data = load_dataset(cfg.dataset, None, "train", cfg.data_dir)
    if len(data) < n:
        raise XlnerError(f"{cfg.dataset} train has {len(data)} sentences; slices need {n}")
    order = np.random.default_rng(cfg.seed).permutation(len(data))[:n]
    labels = list(REFERENCE_LABELS)
    sents = [data[i].with_spans(filter_spans(data[i].spans or [], labels)) for i in order]
    return sents, cfg.train_size or len(data)


def method_info(methods: Sequence[Method], direction: Direction) -> dict[str, dict[str, list[str]]]:
    """Each method's stages (what its cost sums) and backend roles (what it loads;
    translate-train projects gold labels, so it loads no English tagger): the steps'
    declarations (:data:`xlner.steps.STEPS`)."""
    return dict(method_table(methods, direction))


def data_runs(
    stages: Stages, cfg: TrainBenchConfig, english: list[Sentence], rounds: int = 1
) -> tuple[list[dict[str, Any]], list[Sentence]]:
    """Time the translate-train plan on every slice (the fastest of ``rounds`` round-robin
    repeats); the silver data of the largest fitted slice (first method) for fine-tuning."""
    stages.translator.check_languages(PIVOT, cfg.lang)
    methods = cfg.method_list()
    keep = max(cfg.slices)
    silver: list[Sentence] = []

    def collect(batch: Batch) -> None:
        silver.extend(silver_sentences(batch, methods[0]))

    def run(point: tuple[int, bool]) -> dict[str, Any]:
        n, held = point
        sink = timed_run(
            uncached(stages),
            {cfg.lang: english[:n]},
            methods,
            direction="train",
            on_batch=collect if n == keep and not held and not silver else None,
        )
        return {
            "sentences": n,
            "words": sink.words,
            "source_entities": sink.source_entities,
            "stage_seconds": sink.seconds,
            "holdout": held,
        }

    todo = [(n, False) for n in sorted(cfg.slices)] + [(n, True) for n in cfg.holdout]
    return best_of_rounds(rounds, todo, run), silver


def finetune_runs(
    cfg: TrainBenchConfig,
    silver: list[Sentence],
    english_sentences: int,
    folder: Path,
    rounds: int = 1,
) -> tuple[dict[str, Any], Path]:
    """Fine-tune on the silver data for each step count (a fresh output folder each time, no
    resume; the fastest of ``rounds`` round-robin repeats): the settings, the runs, and the
    folder of a fitted run's model."""
    from xlner.io import write_conll
    from xlner.models.loading import require_transformers
    from xlner.train import TrainConfig, train_tagger

    if not any(s.spans for s in silver):
        raise XlnerError("translate-train projected no entity: nothing to fine-tune on")
    transformers = require_transformers()
    _ = transformers.Trainer, transformers.TrainingArguments  # imported before any timing
    data = folder / "silver.conll"
    write_conll(silver, data)
    model = folder / "tuned"
    count = 0

    def run(point: tuple[int, bool]) -> dict[str, Any]:
        nonlocal count
        steps, held = point
        count += 1
        out = folder / f"finetune-{count}"
        tc = TrainConfig(
            train=data,
            base_model=cfg.base_model,
            out=out,
            labels=list(REFERENCE_LABELS),
            epochs=cfg.epochs,
            max_steps=steps,
            learning_rate=cfg.learning_rate,
            batch_size=cfg.batch_size,
            max_length=cfg.max_length,
            freeze_embeddings=cfg.freeze_embeddings,
            seed=cfg.seed,
            device=cfg.device,
            show_progress=False,
        )
        start = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs
            metrics = train_tagger(tc)
        seconds = time.perf_counter() - start
        for ckpt in out.glob("checkpoint-*"):  # optimiser states: large, never read again
            shutil.rmtree(ckpt, ignore_errors=True)
        if held or model.exists():
            shutil.rmtree(out, ignore_errors=True)
        else:  # keep one tuned model, for the inference runs
            out.rename(model)
        return {
            "steps": steps,
            "seconds": seconds,
            "train_items": metrics["train_items"],
            "holdout": held,
        }

    todo = [(s, False) for s in sorted(cfg.steps)] + [(s, True) for s in cfg.holdout_steps]
    runs = best_of_rounds(rounds, todo, run)
    items = runs[0]["train_items"]
    return (
        {
            "base_model": cfg.base_model,
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "max_length": cfg.max_length,
            "learning_rate": cfg.learning_rate,
            "freeze_embeddings": cfg.freeze_embeddings,
            "silver_sentences": len(silver),
            "english_sentences": english_sentences,
            "items_per_sentence": items / english_sentences,
            "runs": runs,
        },
        model,
    )


def inference_runs(
    stage_cfg: StageConfig,
    model: Path,
    lang: str,
    pool: list[Sentence],
    sizes: Sequence[int],
    holdout: Sequence[int],
    folder: Path,
    seed: int,
    rounds: int = 1,
) -> dict[str, Any]:
    """The tuned model tags ``lang`` sentences through the model-transfer plan: its load, and
    its seconds at each size (each on distinct sentences where the pool has enough)."""
    cfg = replace(
        stage_cfg,
        mt_tagger=f"hf:{model}",
        translation_cache=folder / "inference-translations.sqlite",
        show_progress=False,
    )
    stages = Stages(cfg)
    load = role_load_seconds(stages, ["mt_tagger"])["mt_tagger"]

    def run(point: tuple[int, bool]) -> dict[str, Any]:
        n, held = point
        sents = distinct_sentences(pool, 0, n, seed + 300 + n, lang)
        sink = timed_run(stages, {lang: sents}, [Method(MODEL_TRANSFER)])
        return {
            "sentences": n,
            "words": sink.words,
            "seconds": sink.seconds.get("tag_target", 0.0),
            "holdout": held,
        }

    todo = [(n, False) for n in sorted(set(sizes))] + [(n, True) for n in holdout]
    rows = best_of_rounds(rounds, todo, run)
    return {"tagger": cfg.mt_tagger, "load_seconds": load, "rows": rows}
