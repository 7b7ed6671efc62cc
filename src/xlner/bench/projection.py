"""Projection throughput on synthetic sentence pairs (``xlner bench projection``).

Two sets: MasakhaNER-like pairs (~25 words, 2 entities, near-diagonal alignments) and long
pairs (100 words, 5 entities, dense alignments: 2-3 links per source word). Every projection
method is timed on the same pairs; the naive dense reference (all n-grams, double loop,
Python greedy) is timed on a few long pairs to give the speed-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xlner.data import Alignment, Span
from xlner.methods import Method
from xlner.project import PROJECTORS, Projector
from xlner.project.naive import naive_ngram_greedy

#: The projection methods timed, by their canonical names (:mod:`xlner.methods`).
METHODS = ("heuristic", "ngram", "ngram:exact", "ner", "ner:exact")


@dataclass
class Pair:
    src_spans: list[Span]
    alignment: Alignment
    src_len: int
    tgt_tokens: list[str]
    ner: list[Span]


def _spans(rng: np.random.Generator, n: int, k: int, max_len: int = 3) -> list[Span]:
    out: list[Span] = []
    for _ in range(50):
        if len(out) == k:
            break
        length = int(rng.integers(1, max_len + 1))
        start = int(rng.integers(0, max(1, n - length + 1)))
        new = Span(start, min(n, start + length), str(rng.choice(["PER", "ORG", "LOC"])))
        if not any(new.overlaps(o) for o in out):
            out.append(new)
    return sorted(out)


def synthetic_pairs(
    n: int, mean_len: int, n_entities: int, links_per_word: float, seed: int = 0
) -> list[Pair]:
    """Random sentence pairs with near-monotone alignments (a fixed seed: reproducible)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        src_len = max(5, int(rng.normal(mean_len, mean_len / 4)))
        tgt_len = max(3, int(src_len * rng.uniform(0.8, 1.25)))
        ratio = tgt_len / src_len
        src = np.repeat(np.arange(src_len), rng.poisson(links_per_word, src_len))
        tgt = np.clip(np.round(src * ratio + rng.normal(0, 1.0, len(src))), 0, tgt_len - 1)
        al = Alignment(np.stack([src, tgt.astype(np.int64)], axis=1))
        tokens = [
            str(rng.choice(["w", "x", "y", ",", "!"], p=[0.4, 0.3, 0.24, 0.05, 0.01]))
            for _ in range(tgt_len)
        ]
        pairs.append(
            Pair(
                _spans(rng, src_len, n_entities),
                al,
                src_len,
                tokens,
                _spans(rng, tgt_len, n_entities + 1),
            )
        )
    return pairs


def _rate(fn: Callable[[Pair], object], pairs: list[Pair], min_seconds: float = 0.0) -> float:
    start = time.perf_counter()
    done = 0
    while True:
        for p in pairs:
            fn(p)
        done += len(pairs)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def run_projection_bench(
    n_short: int = 10_000, n_long: int = 1_000, n_naive: int = 5, seed: int = 0
) -> dict:
    """``{"masakhaner_like": {method: {"sentences_per_s": x}}, "long": {..., "naive_reference":
    {...}}}``."""
    sets = {
        "masakhaner_like": synthetic_pairs(n_short, 25, 2, 1.0, seed),
        "long": synthetic_pairs(n_long, 100, 5, 2.5, seed + 1),
    }
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, pairs in sets.items():
        out[name] = {}
        for key in METHODS:
            proj = PROJECTORS.create(Method.parse(key).projector)

            def run(p: Pair, proj: Projector = proj) -> object:
                return proj.project(p.src_spans, p.alignment, p.src_len, p.tgt_tokens, p.ner)

            rate = _rate(
                run,
                pairs,
            )
            out[name][key] = {"sentences_per_s": round(rate, 1)}
    naive = sets["long"][:n_naive]
    rate = _rate(lambda p: naive_ngram_greedy(p.src_spans, p.alignment, p.tgt_tokens), naive)
    out["long"]["naive_reference"] = {"sentences_per_s": round(rate, 3)}
    fast = out["long"]["ngram"]["sentences_per_s"]
    out["long"]["ngram"]["speedup_vs_naive"] = round(fast / rate, 1)
    return out


def format_markdown(result: dict) -> str:
    lines = ["| set | method | sentences/s |", "|---|---|---:|"]
    for name, methods in result.items():
        for key, vals in methods.items():
            extra = f" ({vals['speedup_vs_naive']}× naive)" if "speedup_vs_naive" in vals else ""
            lines.append(f"| {name} | {key} | {vals['sentences_per_s']:,}{extra} |")
    return "\n".join(lines)
