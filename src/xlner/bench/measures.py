"""The measurements of ``xlner bench pipeline``, one function each, in the order
:func:`xlner.bench.pipeline.run_pipeline_bench` runs them; each returns its part of the bench
JSON. The timing tools they share (a timed run through the real executor, uncached stages,
model loads, best of rounds) are in :mod:`xlner.bench.experiments`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlner.bench.experiments import (
    TimingSink,
    best_of_rounds,
    distinct_sentences,
    fit_line,
    method_costs,
    timed_run,
    translation_throughput,
    uncached,
)
from xlner.bench.languages import Corpus, real_corpora
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
from xlner.languages import PIVOT
from xlner.methods import Method
from xlner.stages import StageConfig
from xlner.steps import Plan
from xlner.text import detokenize

if TYPE_CHECKING:
    from xlner.bench.pipeline import BenchConfig


def translator_of(stages: Any) -> Any:
    """The translator itself (a caching wrapper's ``inner``)."""
    return getattr(stages.translator, "inner", stages.translator)


def main_run(
    stages: Any, inputs: dict[str, list[Sentence]], plan: Plan, usd_per_hour: float
) -> tuple[dict[str, Any], TimingSink]:
    """1. Per-stage and per-method cost of every method on the inputs, all run together;
    subword counts and rates of the translator's and the tagger's inputs."""
    sink = timed_run(stages, inputs, list(plan.methods))
    n_sent, n_words = sink.sentences, sink.words
    all_texts = [detokenize(s.tokens, lang) for lang, ss in inputs.items() for s in ss]
    sub_tr = _subwords(translator_of(stages), all_texts)
    sub_tag = _subwords(stages.mt_tagger, all_texts)
    out: dict[str, Any] = {
        "stage_seconds": sink.seconds,
        "stage_seconds_per_language": sink.per_language,
        "sentences": n_sent,
        "words": n_words,
        "english_words": sink.english_words,
        "source_entities": sink.source_entities,
        "subword_tokens": {"translator_input": sub_tr, "tagger_input": sub_tag},
        "methods": method_table(method_costs(plan, sink.seconds), n_sent, n_words, usd_per_hour),
    }
    stage_rates = {}
    if sub_tr and sink.seconds.get("translate"):
        stage_rates["translate_subwords_per_s"] = sub_tr / sink.seconds["translate"]
    if sub_tag and sink.seconds.get("tag_target"):
        stage_rates["tag_target_subwords_per_s"] = sub_tag / sink.seconds["tag_target"]
    out["stage_rates"] = stage_rates
    return out, sink


def cost_points(
    cfg: BenchConfig,
    stages: Any,
    inputs: dict[str, list[Sentence]],
    methods: list[Method],
    stage_cfg: StageConfig,
    pools: dict[str, list[Sentence]],
    main: TimingSink,
) -> dict[str, Any]:
    """1b. The cost model's runs: every method at several languages x sentences, uncached,
    round-robin repeats; without any, the main run is the model's only run."""
    points, held_back = cfg.resolved_cost_points()
    rows = cost_point_runs(stages, inputs, methods, points, held_back, cfg.seed, cfg.repeats, pools)
    if not points:
        rows.append(
            {
                "languages": len(inputs),
                "sentences_per_language": [len(v) for v in inputs.values()],
                "words": main.words,
                "synthetic_sentences": 0,
                "stage_seconds": main.seconds,
                "holdout": False,
                "main": True,
            }
        )
    return {
        "methods": tagging_method_info(methods, stage_cfg),
        "repeats": cfg.repeats,
        "rows": rows,
    }


def scaling_languages(
    cfg: BenchConfig,
    stages: Any,
    inputs: dict[str, list[Sentence]],
    methods: list[Method],
    models_loaded: int,
) -> dict[str, Any]:
    """2. Scaling with the number of languages, the same models for all of them."""
    first = next(iter(inputs.values()))
    k = cfg.scaling_sentences_per_lang
    pool = language_pool(translator_of(stages), inputs)
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
        timed_run(stages, corpora, methods)
        rows.append(
            {
                "languages": n_langs,
                "sentences": n_langs * k,
                "seconds": time.perf_counter() - start,
            }
        )
    return {
        "rows": rows,
        "fit": fit_line([r["languages"] for r in rows], [r["seconds"] for r in rows]),
        "models_loaded": models_loaded,
        "note": "one Stages object: every model loaded once, before the loop",
    }


def scaling_sentences(
    cfg: BenchConfig, stages: Any, inputs: dict[str, list[Sentence]], methods: list[Method]
) -> dict[str, Any]:
    """3. Scaling with the number of sentences of one language."""
    rows = []
    lang = next(iter(inputs))
    for n in cfg.growth_sentences:
        sents = synthetic_sentences(n, cfg.seed + 7, lang)
        start = time.perf_counter()
        timed_run(stages, {lang: sents}, methods)
        rows.append({"sentences": n, "seconds": time.perf_counter() - start})
    return {
        "rows": rows,
        "fit": fit_line([r["sentences"] for r in rows], [r["seconds"] for r in rows]),
    }


def translation_backends(cfg: BenchConfig, tr: Any, texts: list[str], lang: str) -> dict[str, Any]:
    """4. Translation throughput per backend (HF; CTranslate2 int8 with ``--ct2``) and batch
    size (``--batch-sizes``)."""
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
    # the model-transfer tagger's tokenizer, when it has one (an HF tagger): its work grows
    # with subwords, which differ per word from language to language
    tokenizer_of = stages.mt_tagger if any(not m.is_projection for m in methods) else None

    def corpora(point: tuple[int, int]) -> list[list[Corpus]]:
        if pools:
            return real_corpora(pools, point)
        return copy_corpora(first, pool, point, seed)

    def subwords(runs: list[Corpus]) -> list[int] | None:
        counts = [_subwords(tokenizer_of, [" ".join(s.tokens) for s in c]) for _, c in runs]
        return None if None in counts else [n for n in counts if n is not None]

    def run(item: tuple[list[Corpus], bool, list[int] | None]) -> dict[str, Any]:
        runs, held, counted = item
        sink = timed_run(uncached(stages), runs, methods)
        row = {
            "languages": len(runs),
            "sentences_per_language": [len(c) for _, c in runs],
            "words_per_language": [sum(len(s.tokens) for s in c) for _, c in runs],
            # Σ words² per language: eflomal samples each word's link over the whole other
            # sentence, so its work per sentence grows with the square of its length
            "squared_words_per_language": [sum(len(s.tokens) ** 2 for s in c) for _, c in runs],
            "subwords_per_language": counted,
            "words": sink.words,
            "synthetic_sentences": sum((s.id or "").startswith("syn-") for _, c in runs for s in c),
            "stage_seconds": sink.seconds,
            "holdout": held,
        }
        if pools:
            row["langs"] = [lang for lang, _ in runs]
        return row

    # each run's subwords counted once, not again in every round
    todo = [(c, False, subwords(c)) for p in points for c in corpora(p)]
    todo += [(c, True, subwords(c)) for p in held_back for c in corpora(p)]
    return best_of_rounds(rounds, todo, run)


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


def translate_train_english(
    tt_cfg: TrainBenchConfig, stages: Any, rounds: int = 1
) -> dict[str, Any]:
    """6. translate-train's data stages on slices of the English training set (or why they
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
    """6b. Fine-tuning runs on the silver data, then the tuned tagger's load and cost."""
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
