"""Inference cost of model transfer vs each translate-test pipeline (``xlner bench pipeline``).

Every method runs through the real plan and executor (:mod:`xlner.bench.experiments`) on the
same sentences, all methods together, so shared stages run once and each method's cost is the
sum of the stages it runs (:meth:`xlner.steps.Plan.method_stages`):

=================  =============================================================
model-transfer     tag_target
heuristic / ngram  translate + tag_source + align + project
ner                the same + tag_candidates
<method>+bt        translate + tag_source (+ tag_candidates for ner)
                   + bt_translate + bt_align + project
=================  =============================================================

Model loading is timed separately. Also measured: scaling with the number of languages (one
set of models for all of them), with the number of sentences, translation throughput per
backend (HF fp32 vs CTranslate2 int8) and batch size, length-sorted vs unsorted batches, and a
cached re-run against the first run. ``--arch-only`` builds the reference architectures
(:mod:`xlner.models.configs`) with random weights and forces each translation to be as long as
its source, so compute follows real lengths.

For the cost model (:mod:`xlner.bench.costmodel`, ``xlner plan``): every method again at
several ``languages × sentences`` points ("cost points", uncached), the main run held back to
check its prediction; and translate-train (:mod:`xlner.bench.translate_train`): its one-time
work per language on slices of the English training set and a few fine-tuning steps, and the
tuned tagger's cost per sentence.
"""

from __future__ import annotations

import contextlib
import gc
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from xlner.bench.costcheck import leave_one_language_out, validate
from xlner.bench.costmodel import bench_languages
from xlner.bench.experiments import (
    cached_rerun,
    fresh_stages,
    machine_info,
    peak_cuda_mb,
    peak_rss_mb,
    role_load_seconds,
)
from xlner.bench.languages import (
    check_pairs,
    format_languages,
    language_info,
    load_pools,
    plot_languages,
)
from xlner.bench.measures import (
    cost_points,
    main_run,
    scaling_languages,
    scaling_sentences,
    translate_train_english,
    translate_train_model,
    translation_backends,
    translator_of,
)
from xlner.bench.report import format_markdown, write_plots
from xlner.bench.schema import write_bench
from xlner.bench.synthetic import SYNTHETIC_LANGS, synthetic_sentences
from xlner.bench.translate_train import TrainBenchConfig
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.io.atomic import atomic_write_text
from xlner.methods import Method, parse_methods
from xlner.stages import StageConfig
from xlner.steps import ROLE_ORDER, Plan
from xlner.text import detokenize

BENCH_METHODS = "model-transfer,heuristic,ngram,ner"


@dataclass
class BenchConfig:
    out: Path
    stages: StageConfig = field(default_factory=StageConfig)
    methods: str = BENCH_METHODS
    arch_only: bool = False
    translator_arch: str = "nllb-200-distilled-600M"
    dataset: str | None = "masakhaner2"
    langs: list[str] = field(default_factory=lambda: ["hau"])
    #: (dataset, language) per language, each language's sentences from its own dataset
    #: (--datasets); empty: --dataset for every --langs
    datasets: list[tuple[str, str]] = field(default_factory=list)
    split: str = "test"
    data_dir: str | None = None
    sentences: int = 32
    scaling_langs: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16])
    scaling_sentences_per_lang: int = 4
    growth_sentences: list[int] = field(default_factory=lambda: [8, 16, 32])
    batch_sizes: list[int] = field(default_factory=list)
    ct2: bool = False
    with_backtranslation: bool = True
    usd_per_hour: float = 0.0
    device: str = "cpu"
    plots: bool = True
    seed: int = 0
    #: languages x sentences per language of the cost model's runs (None: from --sentences),
    #: and of the runs held back to check its predictions
    cost_points: list[tuple[int, int]] | None = None
    cost_holdout: list[tuple[int, int]] | None = None
    repeats: int = 1  # round-robin repeats of every cost-model run; the fastest is kept
    translate_train: TrainBenchConfig | None = field(default_factory=TrainBenchConfig)
    command: str = ""  # the command line that ran the benchmark, recorded in its JSON

    def resolved_cost_points(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(fitted points, held-back points); auto: 1 x S/4, 1 x S/2, 2 x S/4 fitted and
        1 x S, 4 x S/4 held back, for S = --sentences."""
        n = self.sentences
        fit = self.cost_points
        if fit is None:
            fit = [p for p in ((1, n // 4), (1, n // 2), (2, n // 4)) if p[1] > 0]
        held = self.cost_holdout
        if held is None:
            held = [p for p in ((1, n), (4, n // 4)) if p[1] > 0] if fit else []
        return fit, held


def arch_stage_config(cfg: BenchConfig, texts: Sequence[str]) -> StageConfig:
    """Build (once, cached) the reference architectures with random weights and return a
    StageConfig pointing at them: NLLB translator (forced output length), XLM-R-large tagger
    for both English and target, mBERT SimAlign layer 8."""
    from xlner.models.loading import cache_dir
    from xlner.models.tiny import build_arch

    root = cache_dir() / "arch"
    paths = {}
    for name in (cfg.translator_arch, "xlm-roberta-large", "mbert"):
        path = root / name
        if not (path / "config.json").is_file():
            build_arch(path, name, texts, vocab_size=16000, seed=cfg.seed)
        paths[name] = path
    return StageConfig(
        translator=f"hf:{paths[cfg.translator_arch]}",
        tagger=f"hf:{paths['xlm-roberta-large']}",
        aligner=f"simalign:{paths['mbert']}",
        layer=8,
        device=cfg.device,
        batch_size=cfg.stages.batch_size or 32,
    )


def load_inputs(cfg: BenchConfig) -> dict[str, list[Sentence]]:
    if cfg.dataset is None:
        langs = cfg.langs or list(SYNTHETIC_LANGS[:1])
        return {
            lang: synthetic_sentences(cfg.sentences, cfg.seed + i, lang)
            for i, lang in enumerate(langs)
        }
    from xlner.datasets import load_dataset

    return {
        lang: load_dataset(cfg.dataset, lang, cfg.split, cfg.data_dir)[: cfg.sentences]
        for lang in cfg.langs
    }


def train_config(
    cfg: BenchConfig, methods: list[Method], inputs: dict[str, list[Sentence]]
) -> TrainBenchConfig | None:
    """translate-train's settings, empty fields filled from the benchmark's."""
    tt = cfg.translate_train
    if tt is None:
        return None
    names = tt.methods or ",".join(
        m.name for m in methods if m.is_projection and not m.backtranslate
    )
    if not names:
        return None
    base = tt.base_model
    if not base:
        if cfg.arch_only:
            from xlner.models.loading import cache_dir

            base = str(cache_dir() / "arch" / "xlm-roberta-large")
        else:
            base = "e5-small"
    return replace(
        tt,
        methods=names,
        lang=tt.lang or next(iter(inputs)),
        dataset=None if cfg.dataset is None else tt.dataset,
        data_dir=tt.data_dir or cfg.data_dir,
        base_model=base,
        device=cfg.device if cfg.device != "auto" else "cpu",
        seed=cfg.seed,
    )


def bench_methods(cfg: BenchConfig) -> list[Method]:
    """The methods benchmarked: ``--methods``, and each projection method's ``+bt`` too."""
    methods = parse_methods(cfg.methods)
    if cfg.with_backtranslation:
        methods += [Method(m.kind, m.variant, True) for m in methods if m.is_projection]
    return methods


def _arch_corpus(cfg: BenchConfig, inputs: dict[str, list[Sentence]]) -> list[str]:
    """The text the reference architectures' tokenizers are built from: the inputs, and
    English where the data is there (it helps the tokenizer; optional)."""
    from xlner.datasets import load_dataset

    corpus = [detokenize(s.tokens) for ss in inputs.values() for s in ss]
    with contextlib.suppress(XlnerError):
        english = load_dataset("conll03-en", None, "dev", cfg.data_dir)[:3000]
        corpus += [detokenize(s.tokens) for s in english]
    return corpus


def _header(cfg: BenchConfig, stage_cfg: StageConfig) -> dict[str, Any]:
    """What was run, when, where and how: the start of the bench JSON."""
    return {
        "command": cfg.command,
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_info(),
        "config": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(cfg).items()
            if k not in ("stages", "translate_train")
        },
        "stages": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(stage_cfg).items()},
    }


def _load_times(stages: Any, stage_cfg: StageConfig) -> dict[str, Any]:
    """Each role's model load, its backend, and the seconds of each distinct backend's load."""
    roles = role_load_seconds(stages, ROLE_ORDER)
    backends = {r: stage_cfg.spec(r) for r in ROLE_ORDER}
    first_role: dict[str, str] = {}
    for role, spec in backends.items():
        first_role.setdefault(spec, role)
    return {
        "role_load_seconds": roles,
        "role_backends": backends,
        "load_seconds": {role: roles[role] for role in first_role.values()},
    }


def run_pipeline_bench(cfg: BenchConfig) -> dict[str, Any]:
    """Every measurement of the module docstring, in order, into one bench JSON (and its
    Markdown and plots) in ``cfg.out``."""
    pools = load_pools(cfg.datasets, cfg.split, cfg.data_dir) if cfg.datasets else {}
    inputs = {k: v[: cfg.sentences] for k, v in pools.items()} or load_inputs(cfg)
    if not inputs:
        raise XlnerError("no languages to benchmark")
    stage_cfg = arch_stage_config(cfg, _arch_corpus(cfg, inputs)) if cfg.arch_only else cfg.stages
    ratio = 1.0 if cfg.arch_only else None
    methods = bench_methods(cfg)
    plan = Plan(tuple(methods))
    tt_cfg = train_config(cfg, methods, inputs)
    if tt_cfg is not None:
        tt_cfg.check()
    result = _header(cfg, stage_cfg)
    if pools:
        result["languages"] = language_info(cfg.datasets, cfg.split, pools)
    tmp = Path(tempfile.mkdtemp(prefix="xlner-bench-"))
    stages = fresh_stages(stage_cfg, tmp, ratio)
    if pools:
        check_pairs(stages.translator, list(pools), cfg.with_backtranslation)
    result |= _load_times(stages, stage_cfg)
    result["peak_rss_mb_after_load"] = peak_rss_mb()
    main, sink = main_run(stages, inputs, plan, cfg.usd_per_hour)
    result |= main
    result["peak_rss_mb"] = peak_rss_mb()
    result["peak_cuda_mb"] = peak_cuda_mb()
    result["cost_points"] = cost_points(cfg, stages, inputs, methods, stage_cfg, pools, sink)
    no_bt = [m for m in methods if not m.backtranslate]
    if cfg.scaling_langs:
        models = len(result["load_seconds"])
        result["scaling_languages"] = scaling_languages(cfg, stages, inputs, no_bt, models)
    if cfg.growth_sentences:
        result["scaling_sentences"] = scaling_sentences(cfg, stages, inputs, no_bt)
    lang0, first = next(iter(inputs.items()))
    texts0 = [detokenize(s.tokens, lang0) for s in first]
    result["translation_backends"] = translation_backends(cfg, translator_of(stages), texts0, lang0)
    result["cached_rerun"] = cached_rerun(stage_cfg, {lang0: first}, Method("heuristic"), ratio)
    if tt_cfg is not None:
        points, _ = cfg.resolved_cost_points()
        inference_sizes = sorted({n for n_langs, n in points if n_langs == 1})
        tt = translate_train_english(tt_cfg, stages, cfg.repeats)
        del stages  # free the translation models before fine-tuning
        gc.collect()
        if "skipped" not in tt:
            tt.update(
                translate_train_model(
                    tt_cfg, tt, stage_cfg, first, inference_sizes, tmp, cfg.repeats
                )
            )
        result["translate_train"] = tt
        result["peak_rss_mb"] = peak_rss_mb()
    _write(cfg, result)
    return result


def _write(cfg: BenchConfig, result: dict[str, Any]) -> None:
    """bench.json (the measurements first: a failing check below loses none of them), then
    with the cost model's checks added, bench.md and the plots."""
    cfg.out.mkdir(parents=True, exist_ok=True)
    report = write_bench(cfg.out / "bench.json", result)
    loo = leave_one_language_out(report) if len(bench_languages(report)) >= 2 else None
    report = replace(report, validation=validate(report), validation_languages=loo)
    result.update(write_bench(cfg.out / "bench.json", report).to_json())
    markdown = "\n".join([format_markdown(result), *format_languages(result)])
    atomic_write_text(cfg.out / "bench.md", markdown)
    if cfg.plots:
        write_plots(result, cfg.out)
        plot_languages(result, cfg.out)
