"""Inference cost of model transfer vs each translate-test pipeline (``xlner bench pipeline``).

Every stage is timed once per language on the same sentences — translate, split_words,
tag_source (English NER), tag_target (the multilingual tagger on the target words: the whole
of model transfer, and the candidates of ``ner`` projection), align, project (per projection
method) and the back-translation sub-stages bt_translate / bt_align / bt_project — and each
method's cost is the sum of the stages it runs:

=================  =============================================================
model-transfer     tag_target
heuristic / ngram  translate + split_words + tag_source + align + project:<method>
ner                the same + tag_target + project:ner
<method>+bt        translate + split_words + tag_source (+ tag_target for ner)
                   + bt_translate + bt_align + bt_project:<method>
=================  =============================================================

Model loading is timed separately. Also measured: scaling with the number of languages (one
set of models for all of them), with the number of sentences, translation throughput per
backend (HF fp32 vs CTranslate2 int8) and batch size, length-sorted vs unsorted batches, and a
cached re-run of translate-test against its first run. ``--arch-only`` builds the reference
architectures (:mod:`xlner.models.configs`) with random weights and forces each translation
to be as long as its source, so compute follows real lengths.
"""

from __future__ import annotations

import contextlib
import json
import resource
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xlner.data import Sentence
from xlner.errors import XlnerError
from xlner.io.atomic import atomic_write_text
from xlner.project.backtranslate import backtranslate_project
from xlner.project.base import PROJECTORS, project_batch
from xlner.stages import StageConfig, Stages
from xlner.text import detokenize, split_words
from xlner.timing import Timer

PROJECTION_METHODS = ("heuristic", "ngram", "ner")
PIVOT = "en"
#: NLLB-covered languages used when sentences are synthetic (scaling to 16 languages).
SYNTHETIC_LANGS = (
    "hau",
    "yor",
    "ibo",
    "swa",
    "zul",
    "kin",
    "lug",
    "luo",
    "nya",
    "sna",
    "twi",
    "wol",
    "bam",
    "fon",
    "ewe",
    "xho",
)


@dataclass
class BenchConfig:
    out: Path
    stages: StageConfig = field(default_factory=StageConfig)
    arch_only: bool = False
    translator_arch: str = "nllb-200-distilled-600M"
    dataset: str | None = "masakhaner2"
    langs: list[str] = field(default_factory=lambda: ["hau"])
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_cuda_mb() -> float | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def synthetic_sentences(n: int, seed: int = 0, lang: str = "hau") -> list[Sentence]:
    """Sentences of MasakhaNER-like length (log-normal, median ~22 words) from a fixed
    word list: realistic compute, meaningless content."""
    from xlner.models.tiny import SAMPLE_TEXTS

    words = sorted({w for t in SAMPLE_TEXTS for w in t.split() if w.isalpha()})
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(22), 0.45, n).astype(int), 4, 120)
    return [
        Sentence([str(w) for w in rng.choice(words, k)], [], lang, f"syn-{i}")
        for i, k in enumerate(lengths)
    ]


# --------------------------------------------------------------------------- backends


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
        batch_size=cfg.stages.batch_size,
    )


def build_stages(cfg: StageConfig, arch_only: bool) -> Stages:
    stages = Stages(cfg)
    if arch_only:  # generated length follows source length (random weights stop at random)
        stages.translator.inner.output_ratio = 1.0
    return stages


def raw_translator(stages: Stages) -> Any:
    """The translator without the persistent cache: the benchmark measures real work."""
    tr = stages.translator
    return getattr(tr, "inner", tr)


def load_models(stages: Stages) -> dict[str, float]:
    """Force every model to load; seconds per backend."""
    out: dict[str, float] = {}
    tr = raw_translator(stages)
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


# --------------------------------------------------------------------------- stages


def stage_times(
    stages: Stages,
    sents: Sequence[Sentence],
    lang: str,
    with_bt: bool = True,
    info: dict[str, int] | None = None,
) -> dict[str, float]:
    """Seconds of every stage on ``sents`` (see the module docstring); ``info`` receives
    counts of English words and source entities (evidence that later stages had real input)."""
    t = Timer()
    tr = raw_translator(stages)
    tgt = [list(s.tokens) for s in sents]
    texts = [detokenize(x, lang) for x in tgt]
    with t.stage("translate"):
        english = tr.translate(texts, lang, PIVOT)
    with t.stage("split_words"):
        en_words = [split_words(x, PIVOT) for x in english]
    with t.stage("tag_source"):
        en_spans = stages.source_tagger.tag(en_words)
    if info is not None:
        info["english_words"] = info.get("english_words", 0) + sum(map(len, en_words))
        info["source_entities"] = info.get("source_entities", 0) + sum(map(len, en_spans))
    with t.stage("tag_target"):
        candidates = stages.mt_tagger.tag(tgt)
    with t.stage("align"):
        alignments = stages.aligner.align(en_words, tgt)
    projectors = {m: PROJECTORS.create(m) for m in PROJECTION_METHODS}
    src_lens = [len(w) for w in en_words]
    for m, proj in projectors.items():
        with t.stage(f"project:{m}"):
            project_batch(proj, en_spans, alignments, src_lens, tgt, candidates)
    if with_bt:
        bt_timer = Timer()
        bt = backtranslate_project(
            en_words,
            en_spans,
            tgt,
            tr,
            stages.aligner,
            projectors["heuristic"],
            tgt_lang=lang,
            src_lang=PIVOT,
            timer=bt_timer,
        )
        t.seconds["bt_translate"] = bt_timer.seconds["bt_translate"]
        t.seconds["bt_align"] = bt_timer.seconds["bt_align"]
        bt_lens = [len(w) for w in bt.backtranslations]
        for m, proj in projectors.items():
            with t.stage(f"bt_project:{m}"):
                project_batch(proj, bt.bt_spans, bt.alignments, bt_lens, tgt, candidates)
    return t.seconds


def method_costs(st: dict[str, float], with_bt: bool = True) -> dict[str, dict[str, float]]:
    """Per-method stage breakdown composed from :func:`stage_times`."""
    common = ("translate", "split_words", "tag_source")
    out: dict[str, dict[str, float]] = {"model-transfer": {"tag_target": st["tag_target"]}}
    for m in PROJECTION_METHODS:
        parts = {k: st[k] for k in common}
        if m == "ner":
            parts["tag_target"] = st["tag_target"]
        out[m] = {**parts, "align": st["align"], "project": st[f"project:{m}"]}
        if with_bt:
            out[f"{m}+bt"] = {
                **parts,
                "bt_translate": st["bt_translate"],
                "bt_align": st["bt_align"],
                "project": st[f"bt_project:{m}"],
            }
    return out


def _add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in a.keys() | b.keys()}


# --------------------------------------------------------------------------- experiments


def _subwords(obj: Any, texts: Sequence[str]) -> int | None:
    tok = getattr(obj, "tokenizer", None)
    if tok is None:
        return None
    return sum(len(x) for x in tok(list(texts))["input_ids"])


def translation_throughput(
    tr: Any, texts: Sequence[str], lang: str, batch_sizes: Sequence[int], sorted_too: bool = True
) -> list[dict[str, Any]]:
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
    stages_cfg: StageConfig, sents: Sequence[Sentence], lang: str, arch_only: bool
) -> dict[str, float]:
    """translate-test (heuristic) twice with a fresh translation cache and stage memo."""
    from xlner import pipelines
    from xlner.memo import StageMemo

    with tempfile.TemporaryDirectory(prefix="xlner-bench-") as tmp:
        cfg = StageConfig(**{**asdict(stages_cfg), "translation_cache": Path(tmp) / "t.sqlite"})
        st = build_stages(cfg, arch_only)
        load_models(st)
        memo = StageMemo(Path(tmp) / "memo")
        proj = PROJECTORS.create("heuristic")
        times = []
        for _ in range(2):
            start = time.perf_counter()
            pipelines.translate_test(
                sents, lang, st.translator, st.source_tagger, st.aligner, proj, memo=memo
            )
            times.append(time.perf_counter() - start)
    return {"first_s": times[0], "rerun_s": times[1], "ratio": times[1] / times[0]}


def _fit(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    slope, intercept = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    pred = slope * np.asarray(x, float) + intercept
    ss_res = float(((np.asarray(y) - pred) ** 2).sum())
    ss_tot = float(((np.asarray(y) - np.mean(y)) ** 2).sum()) or 1e-12
    return {"slope": float(slope), "intercept": float(intercept), "r2": 1 - ss_res / ss_tot}


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


def run_pipeline_bench(cfg: BenchConfig) -> dict[str, Any]:
    inputs = load_inputs(cfg)
    if not inputs:
        raise XlnerError("no languages to benchmark")
    stage_cfg = cfg.stages
    if cfg.arch_only:
        corpus = [detokenize(s.tokens) for ss in inputs.values() for s in ss]
        from xlner.datasets import load_dataset

        with contextlib.suppress(XlnerError):  # English text helps the tokenizer; optional
            english = load_dataset("conll03-en", None, "dev", cfg.data_dir)[:3000]
            corpus += [detokenize(s.tokens) for s in english]
        stage_cfg = arch_stage_config(cfg, corpus)
    result: dict[str, Any] = {
        "config": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(cfg).items()
            if k != "stages"
        },
        "stages": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(stage_cfg).items()},
    }
    stages = build_stages(stage_cfg, cfg.arch_only)
    result["load_seconds"] = load_models(stages)
    result["peak_rss_mb_after_load"] = peak_rss_mb()

    # 1. per-stage and per-method cost on the inputs
    totals: dict[str, float] = {}
    per_lang = {}
    n_sent = n_words = 0
    counts: dict[str, int] = {}
    for lang, sents in inputs.items():
        st = stage_times(stages, sents, lang, cfg.with_backtranslation, counts)
        per_lang[lang] = st
        totals = _add(totals, st)
        n_sent += len(sents)
        n_words += sum(len(s.tokens) for s in sents)
    methods = method_costs(totals, cfg.with_backtranslation)
    tr = raw_translator(stages)
    all_texts = [detokenize(s.tokens, lang) for lang, ss in inputs.items() for s in ss]
    sub_tr = _subwords(tr, all_texts)
    sub_tag = _subwords(stages.mt_tagger, all_texts)
    result["stage_seconds"] = totals
    result["stage_seconds_per_language"] = per_lang
    result["sentences"] = n_sent
    result["words"] = n_words
    result["english_words"] = counts.get("english_words", 0)
    result["source_entities"] = counts.get("source_entities", 0)
    result["subword_tokens"] = {"translator_input": sub_tr, "tagger_input": sub_tag}
    table = {}
    for m, parts in methods.items():
        total = sum(parts.values())
        row: dict[str, Any] = {
            "stages_per_1000": {k: 1000 * v / n_sent for k, v in parts.items()},
            "seconds_per_1000": 1000 * total / n_sent,
            "sentences_per_s": n_sent / total if total else None,
            "words_per_s": n_words / total if total else None,
        }
        if "project" in parts and total:
            row["projection_share"] = parts["project"] / total
        if cfg.usd_per_hour:
            row["usd_per_million"] = cfg.usd_per_hour * (total / n_sent) * 1e6 / 3600
        table[m] = row
    mt = table["model-transfer"]["seconds_per_1000"]
    for row in table.values():
        row["cost_vs_model_transfer"] = row["seconds_per_1000"] / mt if mt else None
    result["methods"] = table
    stage_rates = {}
    if sub_tr and totals.get("translate"):
        stage_rates["translate_subwords_per_s"] = sub_tr / totals["translate"]
    if sub_tag and totals.get("tag_target"):
        stage_rates["tag_target_subwords_per_s"] = sub_tag / totals["tag_target"]
    result["stage_rates"] = stage_rates
    result["peak_rss_mb"] = peak_rss_mb()
    result["peak_cuda_mb"] = peak_cuda_mb()

    # 2. scaling with the number of languages (same models for all)
    first = next(iter(inputs.values()))
    if cfg.scaling_langs:
        k = cfg.scaling_sentences_per_lang
        pool: Sequence[str] = SYNTHETIC_LANGS
        try:
            tr.check_languages(pool[0], PIVOT)
        except XlnerError:  # e.g. Apertium spa-eng only: repeat the input language
            pool = list(inputs)
        rows = []
        for n_langs in cfg.scaling_langs:
            langs = [pool[i % len(pool)] for i in range(n_langs)]
            start = time.perf_counter()
            for i, lang in enumerate(langs):
                sents = (
                    first[i * k : (i + 1) * k]
                    if len(first) >= (i + 1) * k
                    else synthetic_sentences(k, cfg.seed + 100 + i, lang)
                )
                stage_times(stages, sents, lang, with_bt=False)
            rows.append(
                {
                    "languages": n_langs,
                    "sentences": n_langs * k,
                    "seconds": time.perf_counter() - start,
                }
            )
        result["scaling_languages"] = {
            "rows": rows,
            "fit": _fit([r["languages"] for r in rows], [r["seconds"] for r in rows]),
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
            stage_times(stages, sents, lang, with_bt=False)
            rows.append({"sentences": n, "seconds": time.perf_counter() - start})
        result["scaling_sentences"] = {
            "rows": rows,
            "fit": _fit([r["sentences"] for r in rows], [r["seconds"] for r in rows]),
        }
    # 4. translation backends and batch sizes
    lang0 = next(iter(inputs))
    texts0 = [detokenize(s.tokens, lang0) for s in first]
    backends: dict[str, Any] = {}
    if cfg.batch_sizes and hasattr(tr, "batch_size"):
        backends["hf"] = translation_throughput(tr, texts0, lang0, cfg.batch_sizes)
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
        ct2.translate(texts0[:2], lang0, PIVOT)  # load
        backends["ct2_int8"] = translation_throughput(
            ct2, texts0, lang0, cfg.batch_sizes or [tr.batch_size], sorted_too=False
        )
        if "hf" not in backends:
            backends["hf"] = translation_throughput(
                tr, texts0, lang0, [tr.batch_size], sorted_too=False
            )
        hf_best = max(r["sentences_per_s"] for r in backends["hf"])
        ct2_best = max(r["sentences_per_s"] for r in backends["ct2_int8"])
        backends["ct2_int8_vs_hf_fp32"] = ct2_best / hf_best
    result["translation_backends"] = backends
    # 5. cached re-run
    result["cached_rerun"] = cached_rerun(stage_cfg, first, lang0, cfg.arch_only)

    cfg.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cfg.out / "bench.json", json.dumps(result, indent=1, default=float))
    atomic_write_text(cfg.out / "bench.md", format_markdown(result))
    if cfg.plots:
        write_plots(result, cfg.out)
    return result


# --------------------------------------------------------------------------- output


def format_markdown(r: dict[str, Any]) -> str:
    lines = [
        f"{r['sentences']} sentences ({r['words']} words; after translation {r['english_words']} "
        f"English words, {r['source_entities']} English entities); stages: "
        f"translator `{r['stages']['translator']}`, tagger `{r['stages']['tagger']}`, "
        f"aligner `{r['stages']['aligner']}`.",
        "",
        "| method | s / 1,000 sent. | sent./s | × model transfer | projection share | "
        "$ / M sent. | stages (s / 1,000 sent.) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m, row in r["methods"].items():
        stages = ", ".join(f"{k} {v:.1f}" for k, v in row["stages_per_1000"].items())
        share = row.get("projection_share")
        usd = row.get("usd_per_million")
        lines.append(
            f"| {m} | {row['seconds_per_1000']:.1f} | {row['sentences_per_s'] or 0:.2f} | "
            f"{row['cost_vs_model_transfer'] or 0:.2f} | "
            f"{'' if share is None else f'{100 * share:.2f}%'} | "
            f"{'' if usd is None else f'{usd:.2f}'} | {stages} |"
        )
    lines += [
        "",
        f"Model load (s): {r['load_seconds']}; peak RSS {r['peak_rss_mb']:.0f} MB"
        + (f"; peak CUDA {r['peak_cuda_mb']:.0f} MB" if r.get("peak_cuda_mb") else "")
        + ".",
    ]
    if r.get("stage_rates"):
        lines.append(
            "Subword tokens/s: " + ", ".join(f"{k} {v:.0f}" for k, v in r["stage_rates"].items())
        )
    if "scaling_languages" in r:
        s = r["scaling_languages"]
        lines += ["", "| languages | sentences | seconds |", "|---:|---:|---:|"]
        lines += [
            f"| {x['languages']} | {x['sentences']} | {x['seconds']:.2f} |" for x in s["rows"]
        ]
        lines.append(
            f"Fit: {s['fit']['slope']:.2f} s per language + "
            f"{s['fit']['intercept']:.2f} s (R² {s['fit']['r2']:.3f}); "
            f"{s['models_loaded']} models, each loaded once for all languages."
        )
    if "scaling_sentences" in r:
        f = r["scaling_sentences"]["fit"]
        lines.append(
            f"Sentences: {f['slope']:.3f} s per sentence + {f['intercept']:.2f} s "
            f"(R² {f['r2']:.3f})."
        )
    tb = r.get("translation_backends") or {}
    for name in ("hf", "ct2_int8"):
        for x in tb.get(name, []):
            order = "" if x["sorted"] else " unsorted"
            lines.append(
                f"- translate {name} batch {x['batch_size']}{order}: "
                f"{x['sentences_per_s']:.2f} sent./s"
            )
    if "ct2_int8_vs_hf_fp32" in tb:
        lines.append(
            f"CTranslate2 int8 / HF fp32 translation throughput: {tb['ct2_int8_vs_hf_fp32']:.2f}×"
        )
    c = r["cached_rerun"]
    lines.append(
        f"Cached re-run of translate-test: {c['rerun_s']:.3f} s vs {c['first_s']:.2f} s "
        f"first run ({100 * c['ratio']:.2f}%)."
    )
    return "\n".join(lines) + "\n"


def write_plots(r: dict[str, Any], out: Path) -> list[Path]:
    try:
        import matplotlib
    except ImportError:
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    methods = list(r["methods"])
    stages = sorted({k for m in methods for k in r["methods"][m]["stages_per_1000"]})
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bottom = np.zeros(len(methods))
    for st in stages:
        vals = np.array([r["methods"][m]["stages_per_1000"].get(st, 0.0) for m in methods])
        ax.bar(methods, vals, bottom=bottom, label=st)
        bottom += vals
    ax.set_ylabel("seconds per 1,000 sentences")
    ax.set_title("Cost per stage and method")
    ax.legend(fontsize=8)
    plt.xticks(rotation=30, ha="right")
    fig.tight_layout()
    paths.append(out / "stages.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    if "scaling_languages" in r:
        rows = r["scaling_languages"]["rows"]
        fit = r["scaling_languages"]["fit"]
        x = np.array([row["languages"] for row in rows])
        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot(x, [row["seconds"] for row in rows], "o-", label="measured")
        ax.plot(x, fit["slope"] * x + fit["intercept"], "--", label="linear fit")
        ax.set_xlabel("languages")
        ax.set_ylabel("seconds")
        ax.set_title("translate-test time vs languages")
        ax.legend()
        fig.tight_layout()
        paths.append(out / "languages.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    tb = r.get("translation_backends") or {}
    if any(tb.get(k) for k in ("hf", "ct2_int8")):
        fig, ax = plt.subplots(figsize=(5, 4))
        for name in ("hf", "ct2_int8"):
            rows = [x for x in tb.get(name, []) if x["sorted"] or name == "ct2_int8"]
            if rows:
                ax.plot(
                    [x["batch_size"] for x in rows],
                    [x["sentences_per_s"] for x in rows],
                    "o-",
                    label=name,
                )
        ax.set_xlabel("batch size")
        ax.set_ylabel("sentences / s (translation)")
        ax.set_title("Translation throughput")
        ax.legend()
        fig.tight_layout()
        paths.append(out / "batch.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
