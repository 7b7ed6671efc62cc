"""Encoders side by side (``xlner bench alignment --runtimes``, ``xlner bench tagger``,
``xlner bench memory``): every runtime of xlner's aligners and tagger against today's path
(fp32 PyTorch: for aligners the full model with ``output_hidden_states``, for the tagger
32-sentence batches) and against the peer libraries (the ``simalign`` package), in one process,
on the same sentences, interleaved round by round (the best round of each is kept, so a burst
of load on a shared machine hits every system alike).

Reported: pairs (or sentences) per second and the speed-up over today's path and over the peer;
for aligners the share of today's links kept (recall of the fp32 links, the issue's "≥ 99% of
fp32 links"), the share of added links, and AER on the hand-aligned gold pairs; for taggers
entity F1 (PER/ORG/LOC) on conll02-es and MasakhaNER 2.0 test sets, and its difference to fp32
PyTorch. ``memory`` runs one tagging or aligning call of N sentences in a fresh process and
reports its peak RSS.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xlner.align.evaluate import alignment_scores, load_gold_alignments
from xlner.bench.experiments import peak_rss_mb
from xlner.data import Alignment, Sentence
from xlner.datasets import load_dataset
from xlner.models.subwords import max_subwords

Words = list[list[str]]
TODAY = "today (torch fp32, all hidden states)"
TODAY_TAGGER = "today (torch fp32, 32-sentence batches)"
PEER = "simalign library 0.4"


# ----------------------------------------------------------------------------- inputs


def translated_pairs(n: int, data_dir: str | None = None, offset: int = 0) -> tuple[Words, Words]:
    """``n`` Spanish sentences of the CoNLL-2002 test set (from ``offset``) and their Apertium
    English translations, as words (pairs with an empty side are skipped)."""
    from xlner.text import detokenize, split_words
    from xlner.translate import TRANSLATORS

    sents = [s for s in load_dataset("conll02-es", "es", "test", data_dir) if s.tokens]
    sents = sents[offset : offset + n]
    english = TRANSLATORS.create("apertium").translate(
        [detokenize(s.tokens, "es") for s in sents], "es", "en"
    )
    pairs = [(s.tokens, split_words(e, "en")) for s, e in zip(sents, english)]
    pairs = [(a, b) for a, b in pairs if a and b]
    return [list(a) for a, _ in pairs], [b for _, b in pairs]


# ----------------------------------------------------------------------------- aligners


def link_agreement(pred: Sequence[Alignment], ref: Sequence[Alignment]) -> dict[str, float]:
    """``kept``: share of the reference's links predicted; ``added``: share of predicted links
    the reference lacks; ``identical``: share of pairs with exactly the reference's links."""
    both = n_ref = n_pred = same = 0
    for p, r in zip(pred, ref):
        ps, rs = p.as_set(), r.as_set()
        both += len(ps & rs)
        n_ref += len(rs)
        n_pred += len(ps)
        same += ps == rs
    return {
        "kept": both / n_ref if n_ref else 1.0,
        "added": (n_pred - both) / n_pred if n_pred else 0.0,
        "identical": same / len(ref) if ref else 1.0,
    }


def simalign_library(model_dir: str, layer: int, method: str) -> Callable[[Words, Words], list]:
    """The ``simalign`` package (0.4) on the same encoder, layer and extraction method."""
    try:
        from simalign import SentenceAligner
    except ImportError:
        from xlner.errors import MissingDependencyError

        raise MissingDependencyError("simalign==0.4", "bench", "the simalign peer") from None
    code, key = {"itermax": ("i", "itermax"), "argmax": ("a", "inter"), "match": ("m", "mwmf")}[
        method
    ]
    aligner = SentenceAligner(
        model=model_dir, token_type="bpe", matching_methods=code, device="cpu", layer=layer
    )
    loader = aligner.embed_loader
    limit = max_subwords(loader.emb_model.config, loader.tokenizer)
    if (loader.tokenizer.model_max_length or 0) > limit:  # it truncates there, else crashes
        loader.tokenizer.model_max_length = limit

    def align(src: Words, tgt: Words) -> list[Alignment]:
        return [Alignment.from_pairs(aligner.get_word_aligns(s, t)[key]) for s, t in zip(src, tgt)]

    return align


@dataclass
class System:
    name: str
    align: Callable[[Words, Words], list[Alignment]]
    best: float = float("inf")


def aligner_systems(
    model: str, layer: int, method: str, runtimes: Sequence[str], peers: Sequence[str]
) -> list[System]:
    from xlner.align.reference import FullHiddenStatesEncoder
    from xlner.align.simalign import SimAlignAligner
    from xlner.models.loading import resolve_model

    systems = [
        System(
            TODAY,
            SimAlignAligner(
                encoder=FullHiddenStatesEncoder(model, layer),  # type: ignore[arg-type]
                method=method,
                block=10**9,
            ).align,
        )
    ]
    for rt in runtimes:
        aligner = SimAlignAligner(model, layer=layer, method=method, device="cpu", runtime=rt)
        name = f"xlner {rt}" if rt != "auto" else f"xlner default ({aligner.encoder.runtime.name})"
        systems.append(System(name, aligner.align))
    if "simalign" in peers:
        systems.append(System(PEER, simalign_library(resolve_model(model), layer, method)))
    return systems


def run_aligners(
    model: str = "e5-small",
    layer: int = 8,
    method: str = "itermax",
    runtimes: Sequence[str] = ("auto", "torch", "onnx", "onnx-int8", "ct2", "ct2-int8"),
    peers: Sequence[str] = ("simalign",),
    speed_pairs: int = 300,
    agreement_pairs: int = 1000,
    repeats: int = 2,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Speed (pairs/s on ``speed_pairs`` Spanish-English pairs) and link agreement with today's
    fp32 path (on the hand-aligned gold pairs and on ``agreement_pairs`` Spanish pairs)."""
    gold = load_gold_alignments()
    g_src, g_tgt, g_ref = [g.src for g in gold], [g.tgt for g in gold], [g.links for g in gold]
    src, tgt = translated_pairs(max(speed_pairs, agreement_pairs), data_dir)  # data first
    systems = aligner_systems(model, layer, method, runtimes, peers)
    s_src, s_tgt = src[:speed_pairs], tgt[:speed_pairs]
    for system in systems:  # load models and build exports outside the timings
        system.align(s_src[:4], s_tgt[:4])
    for _ in range(repeats):
        for system in systems:
            start = time.perf_counter()
            system.align(s_src, s_tgt)
            system.best = min(system.best, time.perf_counter() - start)
    today_gold = systems[0].align(g_src, g_tgt)
    today_many = systems[0].align(src, tgt)
    rows: list[dict[str, Any]] = []
    for system in systems:
        on_gold = system.align(g_src, g_tgt)
        many = today_many if system is systems[0] else system.align(src, tgt)
        rows.append(
            {
                "system": system.name,
                "pairs_per_s": len(s_src) / system.best,
                "seconds": system.best,
                "agreement_gold": link_agreement(on_gold, today_gold),
                "agreement_pairs": link_agreement(many, today_many),
                "gold": alignment_scores(on_gold, g_ref),
            }
        )
    by_name = {r["system"]: r for r in rows}
    for r in rows:
        r["x_today"] = r["pairs_per_s"] / by_name[TODAY]["pairs_per_s"]
        if PEER in by_name:
            r["x_peer"] = r["pairs_per_s"] / by_name[PEER]["pairs_per_s"]
    return {
        "model": model,
        "layer": layer,
        "method": method,
        "speed_pairs": len(s_src),
        "agreement_pairs": len(src),
        "gold_pairs": len(gold),
        "repeats": repeats,
        "rows": rows,
    }


def format_aligners(result: dict[str, Any]) -> str:
    has_peer = any("x_peer" in r for r in result["rows"])
    head = "| system | pairs/s | × today |" + (" × simalign lib |" if has_peer else "")
    head += " links kept (gold / es-en) | links added (gold / es-en) | gold AER |"
    lines = [head, "|---" + "|---:" * (head.count("|") - 2) + "|"]
    for r in result["rows"]:
        ag, ap = r["agreement_gold"], r["agreement_pairs"]
        cells = [r["system"], f"{r['pairs_per_s']:.1f}", f"{r['x_today']:.2f}"]
        if has_peer:
            cells.append(f"{r['x_peer']:.1f}" if "x_peer" in r else "")
        cells += [
            f"{100 * ag['kept']:.2f}% / {100 * ap['kept']:.2f}%",
            f"{100 * ag['added']:.2f}% / {100 * ap['added']:.2f}%",
            f"{r['gold']['aer']:.3f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- taggers

#: Test sets of the tagger F1 check: (dataset, language).
TAGGER_SETS = (
    ("conll02-es", "es"),
    ("masakhaner2", "hau"),
    ("masakhaner2", "swa"),
    ("masakhaner2", "yor"),
)


def run_taggers(
    model: str,
    runtimes: Sequence[str] = ("auto", "torch", "onnx", "onnx-int8", "ct2", "ct2-int8"),
    sets: Sequence[tuple[str, str]] = TAGGER_SETS,
    speed_sentences: int | None = None,
    repeats: int = 2,
    data_dir: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Sentences/s on the first set (all of it, or ``speed_sentences``) and entity F1 on every
    set (its first ``limit`` sentences, when given), for today's path (torch fp32, 32-sentence
    batches) and each runtime."""
    from xlner.evaluate import score_spans
    from xlner.tag.hf import HFTagger

    data = {f"{d}/{lang}": load_dataset(d, lang, "test", data_dir)[:limit] for d, lang in sets}
    today = HFTagger(model, device="cpu", runtime="torch", batch_size=32, max_tokens=10**9)
    taggers: dict[str, HFTagger] = {TODAY_TAGGER: today}
    for rt in runtimes:
        tagger = HFTagger(model, device="cpu", runtime=rt)
        name = f"xlner {rt}" if rt != "auto" else f"xlner default ({tagger.runtime.name})"
        taggers[name] = tagger
    speed_set = next(iter(data.values()))[:speed_sentences]
    words = [s.tokens for s in speed_set]
    best = dict.fromkeys(taggers, float("inf"))
    for tagger in taggers.values():
        tagger.tag(words[:4])  # load, export
    for _ in range(repeats):
        for name, tagger in taggers.items():
            start = time.perf_counter()
            tagger.tag(words)
            best[name] = min(best[name], time.perf_counter() - start)
    rows: list[dict[str, Any]] = []
    for name, tagger in taggers.items():
        f1 = {}
        for key, sents in data.items():
            pred = tagger.tag([s.tokens for s in sents])
            f1[key] = score_spans([s.spans or [] for s in sents], pred).overall.f1
        rows.append(
            {
                "system": name,
                "sentences_per_s": len(words) / best[name],
                "seconds": best[name],
                "f1": f1,
            }
        )
    ref = next(r for r in rows if r["system"] == TODAY_TAGGER)
    for r in rows:
        r["x_today"] = r["sentences_per_s"] / ref["sentences_per_s"]
        r["f1_delta"] = {k: r["f1"][k] - ref["f1"][k] for k in r["f1"]}
    return {
        "model": model,
        "speed_set": next(iter(data)),
        "speed_sentences": len(words),
        "speed_words": sum(len(w) for w in words),
        "repeats": repeats,
        "rows": rows,
    }


def format_taggers(result: dict[str, Any]) -> str:
    sets = list(result["rows"][0]["f1"])
    head = "| system | sent./s | × today | " + " | ".join(f"F1 {s} (Δ)" for s in sets) + " |"
    lines = [head, "|---" + "|---:" * (len(sets) + 2) + "|"]
    for r in result["rows"]:
        cells = [r["system"], f"{r['sentences_per_s']:.1f}", f"{r['x_today']:.2f}"]
        cells += [f"{100 * r['f1'][s]:.2f} ({100 * r['f1_delta'][s]:+.2f})" for s in sets]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- memory


def _cycled(sents: Sequence[Sentence], n: int) -> Words:
    pool = [list(s.tokens) for s in sents if s.tokens]
    return [pool[i % len(pool)] for i in range(n)]


def _peak_child(kind: str, spec: str, n: int, runtime: str | None, data_dir: str | None) -> dict:
    """In a fresh process: build the backend, warm it on 8 sentences, then one call on ``n``."""
    from xlner.align import ALIGNERS
    from xlner.tag import TAGGERS

    es = _cycled(load_dataset("conll02-es", "es", "train", data_dir), n)
    opts = {"device": "cpu", **({"runtime": runtime} if runtime else {})}
    if kind == "tagger":
        tagger = TAGGERS.create(spec, opts)
        tagger.tag(es[:8])
        before = peak_rss_mb()
        tagger.tag(es)
    else:
        en = _cycled(load_dataset("conll03-en", None, "train", data_dir), n)
        aligner = ALIGNERS.create(spec, opts)
        aligner.align(es[:8], en[:8])
        before = peak_rss_mb()
        aligner.align(es, en)
    return {"peak_rss_mb": peak_rss_mb(), "rss_before_call_mb": before}


def peak_rss(
    kind: str,
    spec: str,
    sizes: Sequence[int] = (1000, 10000),
    runtime: str | None = None,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Peak RSS of one ``tag``/``align`` call per size, each in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    rows = []
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        for n in sizes:
            row = pool.apply(_peak_child, (kind, spec, n, runtime, data_dir))
            rows.append({"sentences": n, **row})
    return {
        "kind": kind,
        "spec": spec,
        "runtime": runtime,
        "rows": rows,
        "ratio": rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"] if rows else None,
    }


def format_memory(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| backend | runtime | sentences | peak RSS MB | RSS before the call MB | ratio to first |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for res in results:
        first = res["rows"][0]["peak_rss_mb"]
        for r in res["rows"]:
            lines.append(
                f"| {res['kind']} {res['spec']} | {res['runtime'] or 'default'} | "
                f"{r['sentences']:,} | {r['peak_rss_mb']:.0f} | {r['rss_before_call_mb']:.0f} | "
                f"{r['peak_rss_mb'] / first:.3f} |"
            )
    return "\n".join(lines)
