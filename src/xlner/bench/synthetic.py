"""Synthetic sentences of realistic length for benchmarks: realistic compute, meaningless
content."""

from __future__ import annotations

import numpy as np

from xlner.data import Sentence, Span

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


LABELS = ("PER", "ORG", "LOC")


def synthetic_sentences(
    n: int, seed: int = 0, lang: str = "hau", entities: int = 0
) -> list[Sentence]:
    """Sentences of MasakhaNER-like length (log-normal, median ~22 words) from a fixed
    word list; with ``entities``, that many labelled spans (1–2 words, PER/ORG/LOC, not
    overlapping) per sentence, as gold English data for translate-train."""
    from xlner.models.tiny import SAMPLE_TEXTS

    words = sorted({w for t in SAMPLE_TEXTS for w in t.split() if w.isalpha()})
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(22), 0.45, n).astype(int), 4, 120)
    out = []
    for i, k in enumerate(lengths):
        spans = []
        m = min(entities, int(k))
        for j in range(m):  # the j-th span lies in the j-th of ``m`` equal parts
            lo, hi = j * k // m, (j + 1) * k // m
            start = int(rng.integers(lo, hi))
            end = min(hi, start + int(rng.integers(1, 3)))
            spans.append(Span(start, end, LABELS[int(rng.integers(len(LABELS)))]))
        out.append(Sentence([str(w) for w in rng.choice(words, k)], spans, lang, f"syn-{i}"))
    return out
