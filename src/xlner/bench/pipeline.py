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
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from xlner.bench.costcheck import leave_one_language_out, validate
from xlner.bench.costmodel import bench_languages
from xlner.bench.experiments import (
    ROLES,
    best_of_rounds,
    cached_rerun,
    distinct_sentences,
    fit_line,
    fresh_stages,
    machine_info,
    method_costs,
    peak_cuda_mb,
    peak_rss_mb,
    role_load_seconds,
    timed_run,
    translation_throughput,
    uncached,
)
from xlner.bench.languages import (
    Corpus,
    check_pairs,
    format_languages,
    language_info,
    load_pools,
    plot_languages,
    real_corpora,
)
from xlner.bench.report import format_markdown, write_plots
from xlner.bench.synthetic import SYNTHETIC_LANGS, synthetic_sentences
from xlner.bench.translate_train import (
    TrainBenchConfig,
    data_runs,
    english_sentences,
    finetune_runs,
    inference_runs,
    method_info,
)
from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.io.atomic import atomic_write_text
from xlner.languages import PIVOT
from xlner.methods import Method, parse_methods
from xlner.stages import StageConfig
from xlner.steps import Plan
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


def language_pool(tr: Any, inputs: dict[str, list[Sentence]]) -> list[str]:
    """Languages for runs of several languages: NLLB-covered codes where the translator takes
    them, else the input languages repeated (e.g. Apertium spa-eng only)."""
    pool: list[str] = list(SYNTHETIC_LANGS)
    try:
        tr.check_languages(pool[0], PIVOT)
    except XlnerError:
        pool = list(inputs)
    return pool


def tagging_method_info(methods: list[Method], stage_cfg: StageConfig) -> dict[str, Any]:
    """Each method's stages and roles; ``ner``'s candidates are charged what model transfer's
    tagging costs when both use one tagger: the same tagger on the same words is the same work
    (and, run together, one memo entry — the ``tag_candidates`` timing is then a cache hit)."""
    info = method_info(methods, "test")
    same = stage_cfg.spec("candidate_tagger") == stage_cfg.spec("mt_tagger")
    if same and any(m.kind == "model-transfer" for m in methods):
        for m in methods:
            if m.needs_candidates:
                stages = info[m.name]["stages"]
                info[m.name]["stages"] = [
                    "tag_target" if s == "tag_candidates" else s for s in stages
                ]
    return info


def copy_corpora(
    first: list[Sentence], pool: list[str], point: tuple[int, int], seed: int
) -> list[list[Corpus]]:
    """One run of ``L`` languages of ``n`` sentences, all from the first language's sentences
    (distinct per language; topped up with synthetic ones), named after ``pool``."""
    n_langs, n = point
    return [
        [
            (pool[i % len(pool)], distinct_sentences(first, i * n, n, seed + 200 + i, pool[0]))
            for i in range(n_langs)
        ]
    ]


def cost_point_runs(
    stages: Any,
    inputs: dict[str, list[Sentence]],
    methods: list[Method],
    points: list[tuple[int, int]],
    held_back: list[tuple[int, int]],
    seed: int,
    rounds: int = 1,
    pools: dict[str, list[Sentence]] | None = None,
) -> list[dict[str, Any]]:
    """Every method on ``L`` languages of ``n`` sentences for each point, uncached; the fastest
    of ``rounds`` round-robin repeats. With ``pools`` (real languages, ``--datasets``) each
    language's own sentences (:func:`real_corpora`), else copies of the first language's."""
    first = next(iter(inputs.values()))
    pool = language_pool(getattr(stages.translator, "inner", stages.translator), inputs)

    def corpora(point: tuple[int, int]) -> list[list[Corpus]]:
        if pools:
            return real_corpora(pools, point)
        return copy_corpora(first, pool, point, seed)

    def run(item: tuple[list[Corpus], bool]) -> dict[str, Any]:
        runs, held = item
        sink = timed_run(uncached(stages), runs, methods)
        row = {
            "languages": len(runs),
            "sentences_per_language": [len(c) for _, c in runs],
            "words_per_language": [sum(len(s.tokens) for s in c) for _, c in runs],
            # Σ words² per language: eflomal samples each word's link over the whole other
            # sentence, so its work per sentence grows with the square of its length
            "squared_words_per_language": [sum(len(s.tokens) ** 2 for s in c) for _, c in runs],
            "words": sink.words,
            "synthetic_sentences": sum((s.id or "").startswith("syn-") for _, c in runs for s in c),
            "stage_seconds": sink.seconds,
            "holdout": held,
        }
        if pools:
            row["langs"] = [lang for lang, _ in runs]
        return row

    todo = [(c, False) for p in points for c in corpora(p)]
    todo += [(c, True) for p in held_back for c in corpora(p)]
    return best_of_rounds(rounds, todo, run)


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


def _subwords(obj: Any, texts: list[str]) -> int | None:
    tok = getattr(obj, "tokenizer", None)
    if tok is None:
        return None
    return sum(len(x) for x in tok(list(texts))["input_ids"])


def method_table(
    costs: dict[str, dict[str, float]], n_sent: int, n_words: int, usd_per_hour: float
) -> dict[str, dict[str, Any]]:
    table = {}
    for m, parts in costs.items():
        total = sum(parts.values())
        row: dict[str, Any] = {
            "stages_per_1000": {k: 1000 * v / n_sent for k, v in parts.items()},
            "seconds_per_1000": 1000 * total / n_sent,
            "sentences_per_s": n_sent / total if total else None,
            "words_per_s": n_words / total if total else None,
        }
        if "project" in parts and total:
            row["projection_share"] = parts["project"] / total
        if usd_per_hour:
            row["usd_per_million"] = usd_per_hour * (total / n_sent) * 1e6 / 3600
        table[m] = row
    mt = table.get("model-transfer", {}).get("seconds_per_1000")
    for row in table.values():
        row["cost_vs_model_transfer"] = row["seconds_per_1000"] / mt if mt else None
    return table


def run_pipeline_bench(cfg: BenchConfig) -> dict[str, Any]:
    pools = load_pools(cfg.datasets, cfg.split, cfg.data_dir) if cfg.datasets else {}
    inputs = {k: v[: cfg.sentences] for k, v in pools.items()} or load_inputs(cfg)
    if not inputs:
        raise XlnerError("no languages to benchmark")
    stage_cfg = cfg.stages
    ratio = 1.0 if cfg.arch_only else None
    if cfg.arch_only:
        corpus = [detokenize(s.tokens) for ss in inputs.values() for s in ss]
        from xlner.datasets import load_dataset

        with contextlib.suppress(XlnerError):  # English text helps the tokenizer; optional
            english = load_dataset("conll03-en", None, "dev", cfg.data_dir)[:3000]
            corpus += [detokenize(s.tokens) for s in english]
        stage_cfg = arch_stage_config(cfg, corpus)
    methods = parse_methods(cfg.methods)
    if cfg.with_backtranslation:
        methods += [Method(m.kind, m.variant, True) for m in methods if m.is_projection]
    plan = Plan(tuple(methods))
    tt_cfg = train_config(cfg, methods, inputs)
    if tt_cfg is not None:
        tt_cfg.check()
    result: dict[str, Any] = {
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
    if pools:
        result["languages"] = language_info(cfg.datasets, cfg.split, pools)
    tmp = Path(tempfile.mkdtemp(prefix="xlner-bench-"))
    stages = fresh_stages(stage_cfg, tmp, ratio)
    if pools:
        check_pairs(stages.translator, list(pools), cfg.with_backtranslation)
    roles = role_load_seconds(stages, ROLES)
    result["role_load_seconds"] = roles
    result["role_backends"] = {r: stage_cfg.spec(r) for r in ROLES}
    first_role: dict[str, str] = {}
    for role, spec in result["role_backends"].items():
        first_role.setdefault(spec, role)
    result["load_seconds"] = {role: roles[role] for role in first_role.values()}
    result["peak_rss_mb_after_load"] = peak_rss_mb()

    # 1. per-stage and per-method cost on the inputs
    sink = timed_run(stages, inputs, methods)
    n_sent, n_words = sink.sentences, sink.words
    tr = getattr(stages.translator, "inner", stages.translator)
    all_texts = [detokenize(s.tokens, lang) for lang, ss in inputs.items() for s in ss]
    sub_tr = _subwords(tr, all_texts)
    sub_tag = _subwords(stages.mt_tagger, all_texts)
    result["stage_seconds"] = sink.seconds
    result["stage_seconds_per_language"] = sink.per_language
    result["sentences"] = n_sent
    result["words"] = n_words
    result["english_words"] = sink.english_words
    result["source_entities"] = sink.source_entities
    result["subword_tokens"] = {"translator_input": sub_tr, "tagger_input": sub_tag}
    result["methods"] = method_table(
        method_costs(plan, sink.seconds), n_sent, n_words, cfg.usd_per_hour
    )
    stage_rates = {}
    if sub_tr and sink.seconds.get("translate"):
        stage_rates["translate_subwords_per_s"] = sub_tr / sink.seconds["translate"]
    if sub_tag and sink.seconds.get("tag_target"):
        stage_rates["tag_target_subwords_per_s"] = sub_tag / sink.seconds["tag_target"]
    result["stage_rates"] = stage_rates
    result["peak_rss_mb"] = peak_rss_mb()
    result["peak_cuda_mb"] = peak_cuda_mb()
    no_bt = [m for m in methods if not m.backtranslate]

    # 1b. the cost model's runs: every method at several languages x sentences, uncached,
    # round-robin repeats; without any, the main run above is the model's only run
    points, held_back = cfg.resolved_cost_points()
    rows = cost_point_runs(stages, inputs, methods, points, held_back, cfg.seed, cfg.repeats, pools)
    if not points:
        rows.append(
            {
                "languages": len(inputs),
                "sentences_per_language": [len(v) for v in inputs.values()],
                "words": n_words,
                "synthetic_sentences": 0,
                "stage_seconds": sink.seconds,
                "holdout": False,
                "main": True,
            }
        )
    result["cost_points"] = {
        "methods": tagging_method_info(methods, stage_cfg),
        "repeats": cfg.repeats,
        "rows": rows,
    }

    # 2. scaling with the number of languages (same models for all)
    first = next(iter(inputs.values()))
    if cfg.scaling_langs:
        k = cfg.scaling_sentences_per_lang
        pool = language_pool(tr, inputs)
        rows = []
        for n_langs in cfg.scaling_langs:
            langs = [pool[i % len(pool)] for i in range(n_langs)]
            corpora: list[tuple[str, list[Sentence]]] = [
                (
                    lang,
                    first[i * k : (i + 1) * k]
                    if len(first) >= (i + 1) * k
                    else synthetic_sentences(k, cfg.seed + 100 + i, lang),
                )
                for i, lang in enumerate(langs)
            ]
            start = time.perf_counter()
            timed_run(stages, corpora, no_bt)
            rows.append(
                {
                    "languages": n_langs,
                    "sentences": n_langs * k,
                    "seconds": time.perf_counter() - start,
                }
            )
        result["scaling_languages"] = {
            "rows": rows,
            "fit": fit_line([r["languages"] for r in rows], [r["seconds"] for r in rows]),
            "models_loaded": len(result["load_seconds"]),
            "note": "one Stages object: every model loaded once, before the loop",
        }
    # 3. scaling with the number of sentences (one language)
    if cfg.growth_sentences:
        rows = []
        lang = next(iter(inputs))
        for n in cfg.growth_sentences:
            sents = synthetic_sentences(n, cfg.seed + 7, lang)
            start = time.perf_counter()
            timed_run(stages, {lang: sents}, no_bt)
            rows.append({"sentences": n, "seconds": time.perf_counter() - start})
        result["scaling_sentences"] = {
            "rows": rows,
            "fit": fit_line([r["sentences"] for r in rows], [r["seconds"] for r in rows]),
        }
    # 4. translation backends and batch sizes
    lang0 = next(iter(inputs))
    texts0 = [detokenize(s.tokens, lang0) for s in first]
    result["translation_backends"] = translation_backends(cfg, tr, texts0, lang0)
    # 5. cached re-run
    result["cached_rerun"] = cached_rerun(stage_cfg, {lang0: first}, Method("heuristic"), ratio)

    # 6. translate-train: one-time work per language on slices, then the tuned tagger
    if tt_cfg is not None:
        inference_sizes = sorted({n for n_langs, n in points if n_langs == 1})
        tt = translate_train_english(tt_cfg, stages, cfg.repeats)
        del stages, tr  # free the translation models before fine-tuning
        gc.collect()
        if "skipped" not in tt:
            tt.update(
                translate_train_model(
                    tt_cfg, tt, stage_cfg, first, inference_sizes, tmp, cfg.repeats
                )
            )
        result["translate_train"] = tt
        result["peak_rss_mb"] = peak_rss_mb()

    cfg.out.mkdir(parents=True, exist_ok=True)
    # the measurements first: a failing check below loses none of them
    atomic_write_text(cfg.out / "bench.json", json.dumps(result, indent=1, default=float))
    result["validation"] = validate(result)
    if len(bench_languages(result)) >= 2:
        result["validation_languages"] = leave_one_language_out(result)
    atomic_write_text(cfg.out / "bench.json", json.dumps(result, indent=1, default=float))
    markdown = "\n".join([format_markdown(result), *format_languages(result)])
    atomic_write_text(cfg.out / "bench.md", markdown)
    if cfg.plots:
        write_plots(result, cfg.out)
        plot_languages(result, cfg.out)
    return result


def translate_train_english(
    tt_cfg: TrainBenchConfig, stages: Any, rounds: int = 1
) -> dict[str, Any]:
    """translate-train's data stages on slices of the English training set (or why they
    were skipped: e.g. a translator without the English -> target pair)."""
    methods = tt_cfg.method_list()
    out: dict[str, Any] = {
        "lang": tt_cfg.lang,
        "dataset": tt_cfg.dataset or "synthetic",
        "methods": method_info(methods, "train"),
    }
    try:
        stages.translator.check_languages(PIVOT, tt_cfg.lang)
    except XlnerError as e:
        return {**out, "skipped": str(e)}
    english, size = english_sentences(tt_cfg, max(tt_cfg.slices + tt_cfg.holdout))
    out["train_size"] = size
    rows, silver = data_runs(stages, tt_cfg, english, rounds)
    out["slices"] = rows
    out["_silver"] = silver  # removed by translate_train_model
    return out


def translate_train_model(
    tt_cfg: TrainBenchConfig,
    tt: dict[str, Any],
    stage_cfg: StageConfig,
    pool: list[Sentence],
    inference_sizes: list[int],
    tmp: Path,
    rounds: int = 1,
) -> dict[str, Any]:
    """Fine-tuning runs on the silver data, then the tuned tagger's load and cost."""
    silver = tt.pop("_silver")
    folder = tmp / "translate-train"
    folder.mkdir(parents=True, exist_ok=True)
    finetune, model = finetune_runs(tt_cfg, silver, max(tt_cfg.slices), folder, rounds)
    sizes = inference_sizes or [len(pool)]
    holdout = [len(pool)] if len(pool) not in sizes else []  # the main run's sentences
    inference = inference_runs(
        stage_cfg, model, tt_cfg.lang, pool, sizes, holdout, folder, tt_cfg.seed, rounds
    )
    return {"finetune": finetune, "inference": inference}


def translation_backends(cfg: BenchConfig, tr: Any, texts: list[str], lang: str) -> dict[str, Any]:
    backends: dict[str, Any] = {}
    if cfg.batch_sizes and hasattr(tr, "batch_size"):
        backends["hf"] = translation_throughput(tr, texts, lang, cfg.batch_sizes)
    if cfg.ct2 and hasattr(tr, "model_name"):
        from xlner.translate.ct2 import CT2Translator, convert

        ct2_dir = Path(tr.model_name + "-ct2-int8")
        if not (ct2_dir / "model.bin").is_file():
            convert(tr.model_name, ct2_dir, quantization="int8")
        ct2 = CT2Translator(
            str(ct2_dir),
            device=cfg.device,
            compute_type="int8",
            output_ratio=tr.output_ratio,
            batch_size=tr.batch_size,
        )
        ct2.translate(texts[:2], lang, PIVOT)  # load
        backends["ct2_int8"] = translation_throughput(
            ct2, texts, lang, cfg.batch_sizes or [tr.batch_size], sorted_too=False
        )
        if "hf" not in backends:
            backends["hf"] = translation_throughput(
                tr, texts, lang, [tr.batch_size], sorted_too=False
            )
        hf_best = max(r["sentences_per_s"] for r in backends["hf"])
        ct2_best = max(r["sentences_per_s"] for r in backends["ct2_int8"])
        backends["ct2_int8_vs_hf_fp32"] = ct2_best / hf_best
    return backends
